/** Picks the renderer: plain when not on a terminal or in CI, as Compose does. */
import type { ProgressListener } from '../run/progress.js';
import { jsonRenderer } from './json.js';
import { plainRenderer } from './plain.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export function progressRenderer(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): ProgressListener {
  const write = (s: string) => void stream.write(s);
  if (mode === 'quiet') return () => {};
  if (mode === 'json') return jsonRenderer(write);
  // The interactive (listr2) renderer is not written yet: a terminal gets plain lines too.
  return plainRenderer(write);
}
