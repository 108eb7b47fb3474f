/**
 * File events into batches: paths are collected until none has come for `quietMs` (an editor's
 * save, a `git checkout`, a build writing many files settle into one batch), or `maxWaitMs`
 * after the first of them, so that a tool writing without pause still gets synced. One batch
 * is handled at a time, in order; paths that come meanwhile make the next one.
 */

export interface BatchOptions {
  /** Quiet time that ends a batch. */
  quietMs: number;
  /** Longest a path waits once a batch has begun. */
  maxWaitMs: number;
}

/**
 * Defaults. @parcel/watcher reports the first change after a pause at once and what follows
 * ~50 ms later (a shell's `>` truncates, then writes): a quiet time longer than that makes one
 * edit one batch, not a sync of a half-written file followed by a second sync (or restart).
 */
export const DEFAULT_BATCH: BatchOptions = { quietMs: 75, maxWaitMs: 1000 };

export class Batcher {
  private pending = new Set<string>();
  private firstAt = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly handle: (paths: string[]) => Promise<void>,
    private readonly opts: BatchOptions = DEFAULT_BATCH,
    private readonly now: () => number = Date.now,
  ) {}

  add(paths: Iterable<string>): void {
    if (this.closed) return;
    const t = this.now();
    let added = false;
    for (const p of paths) {
      if (!this.pending.has(p)) added = true;
      this.pending.add(p);
    }
    if (!added && this.pending.size === 0) return;
    if (this.firstAt === 0) this.firstAt = t;
    this.lastAt = t;
    this.schedule();
  }

  /**
   * Runs `task` as if it were a batch: batches wait until it has finished (the initial sync runs
   * this way, so that changes made meanwhile are synced after it, not lost or overtaken).
   */
  run(task: () => Promise<void>): Promise<void> {
    const previous = this.busy;
    const run = (async () => {
      await previous;
      await task();
    })();
    const settled = run.then(() => {}, () => {});
    this.busy = settled;
    void settled.then(() => {
      if (this.busy !== settled) return;
      this.busy = undefined;
      this.schedule();
    });
    return run;
  }

  /** Stops taking paths; resolves once the batch being handled (if any) has ended. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.pending.clear();
    await this.busy;
  }

  /** The batch in hand and the timer, for tests. */
  get idle(): boolean {
    return this.busy === undefined && this.pending.size === 0;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.busy || this.pending.size === 0) return;
    const due = Math.min(this.lastAt + this.opts.quietMs, this.firstAt + this.opts.maxWaitMs);
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - this.now()));
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.busy || this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Set();
    this.firstAt = 0;
    void this.run(() => this.handle(batch)).catch(() => {});
  }
}
