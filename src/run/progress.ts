/**
 * The one stream of progress the runner emits and every renderer (tty, plain, json) reads.
 * The runner never prints.
 */
export type ResourceKind = 'project' | 'network' | 'volume' | 'image' | 'container' | 'service';

export type ProgressState = 'waiting' | 'working' | 'done' | 'skipped' | 'warning' | 'error';

export interface ProgressEvent {
  resource: ResourceKind;
  /** The engine-side name: `app-web-1`, `app_default`, `busybox:latest`. */
  name: string;
  service?: string;
  /** What is being done: `create`, `start`, `recreate`, `wait`, `healthy`, `stop`, `remove`, `pull`... */
  action: string;
  state: ProgressState;
  /** Milliseconds since the epoch. */
  time: number;
  /** How long the action took, when it ended. */
  durationMs?: number;
  message?: string;
  error?: { code: string; message: string };
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
    const e = err as { code?: string; message?: string };
    emit({ ...base, state: 'error', time: now, durationMs: now - t0, error: { code: e.code ?? 'error', message: e.message ?? String(err) } });
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
    const e = err as { code?: string; message?: string };
    const message = e.message ?? String(err);
    if (tolerate) emit({ ...base, state: 'warning', time: Date.now(), message });
    else emit({ ...base, state: 'error', time: Date.now(), durationMs: Date.now() - t0, error: { code: e.code ?? 'error', message } });
    return message;
  }
}
