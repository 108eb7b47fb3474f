import { TugError } from '../errors.js';

/**
 * An engine that answered with an error status; `status` lets callers tell 404 from 409.
 * Kept apart from the dockerode code so that fake engines in tests can throw it too.
 */
export class EngineApiError extends TugError {
  readonly status: number;
  constructor(message: string, status: number, cause?: unknown) {
    super('engine_error', message, { cause });
    this.status = status;
  }
}

/**
 * The answer of a call about one container, or undefined when that container was removed or
 * stopped since it was listed (404, 409): a report leaves it out rather than failing.
 */
export async function unlessGone<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof EngineApiError && (e.status === 404 || e.status === 409)) return undefined;
    throw e;
  }
}
