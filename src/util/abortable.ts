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
    const aborted = () => {
      unregister(p);
      reject(signal!.reason ?? new Error('aborted'));
    };
    if (signal?.aborted) return aborted();
    const forget = signal ? onAbort(signal, aborted) : () => {};
    p.resolve = () => {
      forget();
      resolve();
    };
    p.reject = (e) => {
      forget();
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
  const forget = signal ? onAbort(signal, () => ctl.abort(signal.reason)) : () => {};
  return {
    signal: ctl.signal,
    timedOut: () => expired,
    clear: () => {
      clearTimeout(timer);
      forget();
    },
  };
}

/**
 * Many concurrent waits share one long-lived signal (Ctrl-C for the whole command): one per
 * container followed, waited on or pulled. Each adding its own listener puts 2N on that
 * signal, and past 10 Node prints a MaxListenersExceededWarning to the user although nothing
 * leaks. So the signal gets one listener, which calls the waits registered here; a wait that
 * ends forgets its callback. Raising the limit instead would hide a real leak elsewhere.
 */
const fanOuts = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once `signal` aborts (at once when it has); returns what forgets `fn` again. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  let waiting = fanOuts.get(signal);
  if (!waiting) {
    const set = new Set<() => void>();
    waiting = set;
    fanOuts.set(signal, set);
    signal.addEventListener('abort', () => {
      fanOuts.delete(signal);
      for (const f of [...set]) f();
    }, { once: true });
  }
  const set = waiting;
  set.add(fn);
  return () => void set.delete(fn);
}

/**
 * A signal of its own that aborts with `signal`, for an API that adds listeners itself
 * (dockerode's abortSignal): `release()` once the call is over.
 */
export function childSignal(signal: AbortSignal): { signal: AbortSignal; release: () => void } {
  const ctl = new AbortController();
  const release = onAbort(signal, () => ctl.abort(signal.reason));
  return { signal: ctl.signal, release };
}
