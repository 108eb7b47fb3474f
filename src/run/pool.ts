/** A bound on engine calls in flight: tasks queue for a slot, FIFO. */
export class Pool {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`pool size must be at least 1, got ${size}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/** Runs `fn` for a DAG of keys: each starts once all of its `after` keys finished, in parallel otherwise. */
export async function runDag<K>(
  items: { key: K; after: K[] }[],
  fn: (key: K) => Promise<void>,
): Promise<void> {
  const done = new Map<K, Promise<void>>();
  const byKey = new Map(items.map((i) => [i.key, i]));
  // Labels on containers come from outside: a cycle among them must not hang or recurse forever.
  const visiting = new Set<K>();
  const start = (key: K): Promise<void> => {
    const existing = done.get(key);
    if (existing) return existing;
    if (visiting.has(key)) return Promise.resolve();
    visiting.add(key);
    const item = byKey.get(key)!;
    const p = Promise.all(item.after.filter((a) => byKey.has(a)).map(start)).then(() => fn(key));
    visiting.delete(key);
    done.set(key, p);
    return p;
  };
  const results = await Promise.allSettled(items.map((i) => start(i.key)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
