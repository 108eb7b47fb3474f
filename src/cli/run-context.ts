/**
 * What long-running verbs share: the progress renderer the flags ask for, and Ctrl-C
 * handling — the first signal cancels gracefully, a second exits at once.
 */
import type { ChalkInstance } from 'chalk';
import { ExitCode, InterruptedError } from '../errors.js';
import type { ProgressEvent, ProgressListener } from '../run/progress.js';
import type { ProgressRenderer } from '../ui/renderer.js';
import { progressRenderer } from '../ui/select.js';
import { onSignals } from '../util/signals.js';
import type { GlobalArgs } from './options.js';
import { stderrStyle, stdoutStyle } from './style.js';

/** Both have defaults, so a handler's args always carry them. */
type OutputArgs = Pick<GlobalArgs, 'progress' | 'ansi'>;

/**
 * The renderer for these flags: pass `.listener` to the runner and await `.close()` before
 * printing anything else. The handle is also callable as the listener itself, for verbs
 * written before renderers could be closed; the live display closes itself at exit for them.
 */
export type ProgressHandle = ProgressListener & ProgressRenderer;

export function progressFor(args: OutputArgs): ProgressHandle {
  const ansi = args.ansi;
  const r = progressRenderer(args.progress, {
    stream: process.stderr,
    other: process.stdout,
    color: stderrStyle(ansi),
    ansi: ansi !== 'never',
  });
  return Object.assign((e: ProgressEvent) => r.listener(e), { listener: r.listener, close: () => r.close() });
}

/** Colours for what goes to stdout (attached log prefixes). */
export function stdoutColors(args: OutputArgs): ChalkInstance {
  return stdoutStyle(args.ansi);
}

export interface InterruptibleOptions {
  /**
   * A signal is how the task normally ends (`watch`: Ctrl-C ends watching): the task returning
   * after it is a success (exit 0); only a task that fails after it exits 130.
   */
  signalEnds?: boolean;
}

export async function interruptible(task: (signal: AbortSignal) => Promise<void>, opts: InterruptibleOptions = {}): Promise<void> {
  const ctl = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(ExitCode.interrupted);
    process.stderr.write(`\n${sig === 'SIGINT' ? 'Interrupted' : 'Terminated'}: stopping gracefully (press Ctrl-C again to exit at once)\n`);
    ctl.abort(new InterruptedError());
  };
  const release = onSignals(onSignal);
  try {
    await task(ctl.signal);
  } catch (err) {
    throw ctl.signal.aborted ? ctl.signal.reason : err;
  } finally {
    release();
  }
  // A signal that arrived as the task finished still interrupted it: the exit code says so.
  if (ctl.signal.aborted && !opts.signalEnds) throw ctl.signal.reason;
}
