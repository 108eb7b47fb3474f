/**
 * The engine going away in the middle of a command (stopped, restarted, its host gone) is
 * reported as that, with exit code 4, rather than as whatever it did to the containers on its
 * way out: a dependency "exited with code 143" because the engine stopped it is no failure of
 * that service.
 */
import type { Engine } from '../engine/engine.js';
import { engineListening } from '../engine/listening.js';
import { EngineUnreachableError } from '../errors.js';

export class EngineLostError extends EngineUnreachableError {}

/** `what`: what tug saw happen, e.g. `its event stream closed and could not be opened again`. */
export function engineLost(engine: Engine, what: string, cause?: unknown): EngineLostError {
  // The cause's own words, without the engine's address said twice.
  const said = cause instanceof Error ? (cause.message.split('\n', 1)[0] ?? '').replace(/^cannot reach the Docker engine at \S+: /, '') : '';
  const why = said && !what.includes(said) ? ` (${said})` : '';
  return new EngineLostError(
    `the Docker engine at ${engine.system.host} stopped or cannot be reached: ${what}${why}`,
    'once it runs again, run the command again: it carries on from what exists, nothing is duplicated',
    cause,
  );
}

/**
 * Whether the engine has gone away: nothing listens where it was (a new connection is refused
 * even while pooled ones are still answered, as when it is shutting down), or it cannot be
 * reached at all. A failure other than not reaching it counts as being there.
 */
export async function engineGone(engine: Engine): Promise<boolean> {
  if ((await engineListening(engine.system.host)) === false) return true;
  try {
    await engine.system.info();
    return false;
  } catch (err) {
    return err instanceof EngineUnreachableError;
  }
}
