/**
 * File events into batches: paths are collected until none has come for the quiet time (an
 * editor's save settles into one batch), or `maxWaitMs` after the first of them, so that a tool
 * writing without pause still gets synced. Once a batch holds `burstSize` paths (a `git
 * checkout`, a build writing its output) the quiet time grows to `burstQuietMs`: a burst is
 * worth a little more wait to go as one archive, a single edit is not. One batch is handled
 * at a time, in order; paths that come meanwhile make the next one.
 */

export interface BatchOptions {
  /** Quiet time that ends a batch. */
  quietMs: number;
  /** Quiet time that ends a batch of `burstSize` paths or more. */
  burstQuietMs: number;
  burstSize: number;
  /** Longest a path waits once a batch has begun. */
  maxWaitMs: number;
}

/**
 * Defaults. @parcel/watcher reports the first change after a pause at once and what follows
 * ~50 ms later (a shell's `>` truncates, then writes), then every ~50 ms while changes go on:
 * a quiet time longer than that makes one edit one batch, not a sync of a half-written file
 * followed by a second sync (or restart).
 */
export const DEFAULT_BATCH: BatchOptions = { quietMs: 75, burstQuietMs: 400, burstSize: 50, maxWaitMs: 2000 };

export class Batcher {
  private pending = new Set<string>();
  private firstAt = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private closed = false;
  private burst = false;

  constructor(
    private readonly handle: (paths: string[]) => Promise<void>,
    private readonly opts: BatchOptions = DEFAULT_BATCH,
    /** Whether a path starts a burst (a directory that appeared). */
    private readonly startsBurst: (path: string) => boolean = () => false,
    private readonly now: () => number = Date.now,
  ) {}

  add(paths: Iterable<string>): void {
    if (this.closed) return;
    const t = this.now();
    let added = false;
    for (const p of paths) {
      if (this.pending.has(p)) continue;
      added = true;
      this.pending.add(p);
      if (!this.burst && this.startsBurst(p)) this.burst = true;
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
    const burst = this.burst || this.pending.size >= this.opts.burstSize;
    const quiet = burst ? Math.max(this.opts.quietMs, this.opts.burstQuietMs) : this.opts.quietMs;
    const due = Math.min(this.lastAt + quiet, this.firstAt + this.opts.maxWaitMs);
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - this.now()));
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.busy || this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Set();
    this.firstAt = 0;
    this.burst = false;
    void this.run(() => this.handle(batch)).catch(() => {});
  }
}
