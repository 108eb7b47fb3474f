/**
 * dockerode's failures (HTTP errors, socket errors, aborts, errors inside a 200 stream) as
 * TugErrors, so that nothing above the engine has to know what dockerode throws.
 */
import { EngineUnreachableError, TugError } from '../../errors.js';
import { EngineApiError } from '../api-error.js';

/** What dockerode and Node's sockets put on the errors they throw (all optional). */
interface Failure {
  name?: string;
  message?: string;
  cause?: { name?: string };
  statusCode?: number;
  /** The engine's answer: `{ message }` JSON, or text. */
  json?: unknown;
  syscall?: string;
  code?: string;
}

/** Errors that mean "no engine there", as opposed to an engine saying no. */
const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ETIMEDOUT', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ENOTSOCK']);

/** `target` and `hint` name the engine in "cannot reach" messages. */
export function wrapError(e: unknown, what: string, target: string, hint: string): Error {
  if (e instanceof TugError) return e;
  const err = e as Failure | undefined;
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
    if (err.name === 'TimeoutError' || err.cause?.name === 'TimeoutError') {
      return new EngineUnreachableError(`the Docker engine at ${target} did not answer in time (${what})`, hint, e);
    }
    return e as Error; // the caller aborted; it knows why
  }
  if (typeof err?.statusCode === 'number') {
    return new EngineApiError(`${what}: ${engineMessage(e)}`, err.statusCode, e);
  }
  // Only failures to reach the socket or host: an EACCES while reading a build context is not one.
  const connecting = err?.syscall === 'connect' || err?.syscall === 'getaddrinfo' || err?.code === 'ECONNRESET';
  if (typeof err?.code === 'string' && UNREACHABLE_CODES.has(err.code) && connecting) {
    return new EngineUnreachableError(`cannot reach the Docker engine at ${target}: ${err.message}`, hint, e);
  }
  return new TugError('engine_error', `${what}: ${err?.message ?? String(e)}`, { cause: e });
}

function engineMessage(e: unknown): string {
  const body = (e as Failure | undefined)?.json;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body) && 'message' in body && typeof body.message === 'string') return body.message;
  if (typeof body === 'string' && body.trim()) return body.trim();
  return String((e as Failure | undefined)?.message ?? e).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
