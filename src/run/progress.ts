/**
 * The one stream of progress the runner emits and every renderer (tty, plain, json) reads.
 * The runner never prints.
 */
import { TugError, type ErrorCode } from '../errors.js';
import type { UpSummary } from './up-summary.js';
export type ResourceKind = 'project' | 'network' | 'volume' | 'image' | 'container' | 'service' | 'secret' | 'config';

export type ProgressState = 'waiting' | 'working' | 'done' | 'skipped' | 'warning' | 'error';

/** What is being done to the resource; renderers word each one (ui/words.ts). */
export type ProgressAction =
  | 'create' | 'recreate' | 'start' | 'restart' | 'stop' | 'kill' | 'pause' | 'unpause' | 'remove'
  | 'wait' | 'healthy' | 'ready' | 'pull' | 'build' | 'orphan' | 'lock' | 'abort' | 'attach' | 'pre_start'
  // swarm services
  | 'update' | 'push' | 'converge'
  // the dev loop (watch): files synced into containers, a hook run after a sync, a service rebuilt
  | 'watch' | 'sync' | 'exec' | 'rebuild'
  // the end of an `up` that failed part-way: which services are up, failed, never started
  | 'summary';

export interface ProgressEvent {
  resource: ResourceKind;
  /** The engine-side name: `app-web-1`, `app_default`, `busybox:latest`. */
  name: string;
  service?: string;
  action: ProgressAction;
  state: ProgressState;
  /** Milliseconds since the epoch. */
  time: number;
  /** How long the action took, when it ended. */
  durationMs?: number;
  message?: string;
  /** Set when `message` is a line of a lifecycle hook's output: which one (`post_start[0]`). */
  hook?: string;
  error?: { code: ErrorCode | 'error'; message: string };
  /** Counts an action reports besides its message (a sync: files, deleted, containers, archives). */
  detail?: Record<string, number>;
  /** With `action: "summary"`: where each service of a failed `up` ended. */
  summary?: UpSummary;
}

export type ProgressListener = (e: ProgressEvent) => void;

/** Emits `working` now and `done`/`error` when the task settles, with its duration. */
export async function step<T>(
  emit: ProgressListener,
  base: Omit<ProgressEvent, 'state' | 'time'>,
  task: () => Promise<T>,
  doneMessage?: (v: T) => string | undefined,
): Promise<T> {
  const t0 = Date.now();
  emit({ ...base, state: 'working', time: t0 });
  try {
    const v = await task();
    const now = Date.now();
    emit({ ...base, state: 'done', time: now, durationMs: now - t0, message: doneMessage?.(v) ?? base.message });
    return v;
  } catch (err) {
    const now = Date.now();
    emit({ ...base, state: 'error', time: now, durationMs: now - t0, error: errorOf(err) });
    throw err;
  }
}

/**
 * Like `step`, for a task whose expected failures (`expected(err)`) are answers rather than
 * exceptions: with `tolerate` such a failure is reported as a warning, otherwise as an error,
 * and either way the step resolves with its message. Any other failure throws, as in `step`.
 */
export async function tolerantStep(
  emit: ProgressListener,
  base: Omit<ProgressEvent, 'state' | 'time'>,
  task: () => Promise<unknown>,
  expected: (err: unknown) => boolean,
  tolerate: boolean,
): Promise<string | undefined> {
  const t0 = Date.now();
  emit({ ...base, state: 'working', time: t0 });
  try {
    await task();
    emit({ ...base, state: 'done', time: Date.now(), durationMs: Date.now() - t0 });
    return undefined;
  } catch (err) {
    if (!expected(err)) throw err;
    const error = errorOf(err);
    if (tolerate) emit({ ...base, state: 'warning', time: Date.now(), message: error.message });
    else emit({ ...base, state: 'error', time: Date.now(), durationMs: Date.now() - t0, error });
    return error.message;
  }
}

/** A failure as the progress stream carries it: tug's code, or `error` for anything else. */
function errorOf(err: unknown): NonNullable<ProgressEvent['error']> {
  return { code: err instanceof TugError ? err.code : 'error', message: err instanceof Error ? err.message : String(err) };
}
