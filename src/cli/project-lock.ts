/**
 * The CLI side of the project lock: which engine and whether to wait come from the global
 * options, and the waiting message goes where progress goes (a JSON event under
 * `--progress json`, so stderr stays one object per line; a plain line otherwise).
 */
import type { GlobalArgs } from './options.js';
import { printWarning } from './fail.js';

export async function withCliLock<T>(
  args: GlobalArgs,
  project: string,
  command: string,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const { engineHost, withProjectLock } = await import('../run/lock.js');
  const json = args.progress === 'json';
  const event = (state: 'waiting' | 'done', extra: { message?: string; durationMs?: number }) =>
    void process.stderr.write(`${JSON.stringify({ resource: 'project', name: project, action: 'lock', state, time: new Date().toISOString(), ...extra })}\n`);
  return withProjectLock(engineHost(), project, {
    wait: !args['no-wait-lock'],
    command,
    signal,
    onWait: (message) => (json ? event('waiting', { message }) : void process.stderr.write(`${message}\n`)),
    onAcquired: (waitedMs) => (json ? event('done', { durationMs: waitedMs }) : undefined),
    onCompromised: (err) => printWarning({
      code: 'lock_compromised',
      message: `another command took over the lock of project ${project} (${err.message}); its changes may interleave with this one's`,
    }),
  }, fn);
}
