import type { ProgressListener } from '../run/progress.js';

/**
 * A renderer as the CLI holds it: the listener the runner emits to, and `close`, which must
 * be awaited before anything else is printed or the process exits, so that a live display
 * has drawn its last frame and given the terminal back.
 */
export interface ProgressRenderer {
  listener: ProgressListener;
  close(): Promise<void>;
}

export function closeless(listener: ProgressListener): ProgressRenderer {
  return { listener, close: async () => {} };
}
