/**
 * The CLI side of the project lock: which engine and whether to wait come from the global
 * options, and the waiting message goes where progress goes (a JSON event under
 * `--progress json`, so stderr stays one object per line; a plain line otherwise).
 *
 * The lock is keyed by the engine's identity (its ID), asked of the engine the command uses,
 * so two spellings of one engine (DOCKER_HOST=unix:///run/docker.sock and the default
 * /var/run/docker.sock) take one lock.
 */
import type { Engine } from '../engine/engine.js';
import type { GlobalArgs } from './options.js';
import { printWarning } from './fail.js';

export async function withCliLock<T>(
  args: GlobalArgs,
  project: string,
  command: string,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
  /** The engine the command uses; connected here when not given. */
  engine?: Engine,
): Promise<T> {
  const { engineIdentity, withProjectLock } = await import('../run/lock.js');
  const { connectEngine } = await import('./engine.js');
  const key = await engineIdentity(engine ?? await connectEngine());
  const json = args.progress === 'json';
  const event = (state: 'waiting' | 'done', extra: { message?: string; durationMs?: number }) =>
    void process.stderr.write(`${JSON.stringify({ resource: 'project', name: project, action: 'lock', state, time: new Date().toISOString(), ...extra })}\n`);
  return withProjectLock(key, project, {
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
