/**
 * Progress for a person at a terminal: one live line per resource, redrawn in place by
 * listr2 (see tty-display.ts), each with its state, elapsed time and message; finished lines
 * stay on screen.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { ProgressEvent } from '../run/progress.js';
import { paintWith, plainRenderer } from './plain.js';
import type { ProgressRenderer } from './renderer.js';
import { Rows } from './rows.js';
import { Display, type Listr2 } from './tty-display.js';

export interface TtyOptions {
  /** The terminal the display is drawn on (stderr). */
  stream: NodeJS.WritableStream;
  /**
   * The other output stream (stdout): anything written to it while the display is live is
   * held back until it closes, or it would tear the frame being redrawn.
   */
  other?: NodeJS.WritableStream;
  color?: ChalkInstance;
  /**
   * False for `--ansi never`: without escape codes nothing can be redrawn, so the rows are
   * printed once each as plain lines instead.
   */
  ansi?: boolean;
  /** How often elapsed times are refreshed. */
  tickMs?: number;
}

export function ttyRenderer(opts: TtyOptions): ProgressRenderer {
  const write = (s: string) => void opts.stream.write(s);
  const color = opts.color ?? new Chalk({ level: 0 });
  const plain = plainRenderer(write, { color: paintWith(color) });
  if (opts.ansi === false) return { listener: plainRenderer(write), close: async () => {} };
  // A pseudo-terminal with no size (`script` without a terminal, some CI runners) cannot be
  // drawn on: every line would be truncated to nothing.
  if ((opts.stream as { columns?: number }).columns === 0) return { listener: plain, close: async () => {} };

  const rows = new Rows();
  const early: ProgressEvent[] = [];
  let lib: Listr2 | undefined;
  let display: Display | undefined;
  let unavailable = false;
  let closed = false;
  // Imported here, not at the top, so that verbs and modes that never draw never load it.
  const loading = import('listr2').then(
    (m) => {
      lib = m;
      early.length = 0;
      // Events that came while loading are drawn now, even when close came first.
      if (rows.all.length) display = new Display(m, rows, opts, color);
    },
    () => {
      // Progress must not be what fails a command: say it plainly instead.
      unavailable = true;
      for (const e of early.splice(0)) plain(e);
    },
  );

  // A caller that never closes must neither hang the process nor lose the last frame: the
  // display's timers do not keep it alive, and it closes itself once nothing else does.
  const closeAtExit = () => void renderer.close();
  process.once('beforeExit', closeAtExit);

  const renderer: ProgressRenderer = {
    listener: (e) => {
      // Printed by the CLI after the error (see plain.ts): not a row of the display.
      if (e.action === 'summary') return;
      // Late events (after close) and a missing listr2 still get a line each.
      if (closed || unavailable) return plain(e);
      const row = rows.apply(e);
      if (!lib) return void early.push(e);
      display ??= new Display(lib, rows, opts, color);
      display.sync(row);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      process.off('beforeExit', closeAtExit);
      await loading;
      await display?.end();
    },
  };
  return renderer;
}
