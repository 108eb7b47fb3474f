/**
 * A promise settled by someone else (a watcher that sees the condition), or rejected when
 * `signal` aborts, whichever comes first; the abort listener is always removed again, so a
 * long-lived signal does not collect one listener per wait.
 */
export interface Pending {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function abortable(signal: AbortSignal | undefined, register: (p: Pending) => void, unregister: (p: Pending) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const p: Pending = { resolve, reject };
    const onAbort = () => {
      unregister(p);
      reject(signal!.reason ?? new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    p.resolve = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    p.reject = (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    register(p);
  });
}

/**
 * A signal that aborts when `signal` does or once `ms` have passed, whichever comes first;
 * `clear()` once done with it. Not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on
 * Node 20 a timeout signal nothing else holds is lost to the first garbage collection (its
 * timer holds it weakly), and a wait on such a signal never ends.
 */
export function withTimeout(signal: AbortSignal | undefined, ms: number): { signal: AbortSignal; timedOut: () => boolean; clear: () => void } {
  const ctl = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    ctl.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  const follow = (): void => ctl.abort(signal!.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  return {
    signal: ctl.signal,
    timedOut: () => expired,
    clear: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', follow);
    },
  };
}
