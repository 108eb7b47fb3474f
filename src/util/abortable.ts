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
