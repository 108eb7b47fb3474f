/**
 * What long-running verbs share: the progress renderer the flags ask for, and Ctrl-C
 * handling — the first signal cancels gracefully, a second exits at once.
 */
import { ExitCode, InterruptedError } from '../errors.js';
import type { ProgressListener } from '../run/progress.js';
import { progressRenderer, type ProgressMode } from '../ui/select.js';

export function progressFor(args: { progress?: string }): ProgressListener {
  return progressRenderer((args.progress ?? 'auto') as ProgressMode);
}

export async function interruptible(task: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ctl = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(ExitCode.interrupted);
    process.stderr.write(`\n${sig === 'SIGINT' ? 'Interrupted' : 'Terminated'}: stopping gracefully (press Ctrl-C again to exit at once)\n`);
    ctl.abort(new InterruptedError());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await task(ctl.signal);
  } catch (err) {
    throw ctl.signal.aborted ? ctl.signal.reason : err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
