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
