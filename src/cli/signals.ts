/**
 * tug's answer to a signal when no verb is handling it (yet, or any more): while the stack
 * loads, yargs parses, the engine is contacted, or between two phases of a verb. Nothing tug
 * holds needs undoing then (a project lock is only taken by verbs that handle signals, and its
 * files are removed at exit anyway), so it says so and exits 130, as the README documents.
 */
import { ExitCode } from '../errors.js';
import { setSignalFallback } from '../util/signals.js';

let doing: string | undefined;

export function handleSignalsFromStart(): void {
  setSignalFallback((signal) => {
    const what = signal === 'SIGINT' ? 'Interrupted' : 'Terminated';
    process.stderr.write(`\n${what}${doing ? ` while ${doing}` : ''} (${signal}): exiting\n`);
    process.exit(ExitCode.interrupted);
  });
}

/** Names what tug is doing, for the message a signal gets meanwhile. */
export async function during<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const before = doing;
  doing = what;
  try {
    return await fn();
  } finally {
    doing = before;
  }
}
