/**
 * The fake engine's event stream. As the real one: an event goes only to the subscriptions
 * that existed when it happened, each subscription receives its events in the order they
 * happened, asynchronously, buffered until read. Tests may delay delivery (the engine's stream
 * lagging behind its API answers), drop events (one that never comes) or break the stream.
 */
import { EngineUnreachableError } from '../../src/errors.js';
import type { EngineEvent, EventFilter } from '../../src/engine/engine.js';
import { matchLabels } from './util.js';

export interface EventRecord {
  /** Position among calls and event deliveries (see FakeEngine.history). */
  seq: number;
  event: EngineEvent;
  /** Milliseconds since the epoch. */
  at: number;
  /** Dropped by `dropEvents`: no subscriber ever saw it. */
  dropped?: boolean;
}

interface Subscription {
  filter: EventFilter;
  queue: EngineEvent[];
  wake: () => void;
  failure?: unknown;
}

interface Pending {
  event: EngineEvent;
  releaseAt: number;
  to: Subscription[];
}

export class EventBus {
  /** Every event the engine produced, in order, stamped when it happened. */
  readonly emitted: EventRecord[] = [];
  /** Events as they reached the subscribers (after any delay), stamped then. */
  readonly delivered: EventRecord[] = [];
  delay: number | ((e: EngineEvent) => number) = 0;
  private readonly drops = new Set<(e: EngineEvent) => boolean>();
  private readonly subs = new Set<Subscription>();
  private readonly pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastRelease = 0;
  private lastNano = 0;
  private quiet = 0;
  private readonly flushed = new Set<() => void>();
  private readonly subscribed = new Set<() => void>();

  constructor(private readonly seq: () => number) {}

  get subscribers(): number {
    return this.subs.size;
  }

  /** Registers at once; the iterable yields what happens from now on, until `signal` aborts. */
  subscribe(filter: EventFilter, signal: AbortSignal): AsyncIterable<EngineEvent> {
    if (signal.aborted) return (async function* () {})();
    const sub: Subscription = { filter, queue: [], wake: () => {} };
    this.subs.add(sub);
    for (const f of this.subscribed) f();
    const onAbort = (): void => {
      this.subs.delete(sub);
      sub.wake();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const subs = this.subs;
    return (async function* () {
      try {
        for (;;) {
          if (signal.aborted) return;
          const e = sub.queue.shift();
          if (e) {
            yield e;
            continue;
          }
          if (sub.failure !== undefined) throw sub.failure;
          await new Promise<void>((resolve) => (sub.wake = resolve));
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        subs.delete(sub);
      }
    })();
  }

  whenSubscribed(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.subs.size < count) return;
        this.subscribed.delete(check);
        resolve();
      };
      this.subscribed.add(check);
      check();
    });
  }

  /** Every subscription fails with `error` once it has read what it was already sent. */
  break(error: unknown = new EngineUnreachableError('the fake engine closed the event stream', 'it was told to (breakEvents)')): void {
    for (const s of this.subs) {
      s.failure = error;
      s.wake();
    }
    this.subs.clear();
  }

  dropWhen(predicate: (e: EngineEvent) => boolean): () => void {
    this.drops.add(predicate);
    return () => void this.drops.delete(predicate);
  }

  /** Runs `fn` without emitting: what it does happened before anyone could watch. */
  quietly<T>(fn: () => T): T {
    this.quiet++;
    try {
      return fn();
    } finally {
      this.quiet--;
    }
  }

  emit(e: Omit<EngineEvent, 'timeNano'>): EngineEvent {
    // Number(ns) rounds to 256 ns at today's epoch: steps of a microsecond stay increasing.
    this.lastNano = Math.max(Date.now() * 1e6, this.lastNano + 1000);
    const event: EngineEvent = { ...e, attributes: { ...e.attributes }, timeNano: this.lastNano };
    if (this.quiet > 0) return event;
    const dropped = [...this.drops].some((d) => d(event));
    this.emitted.push({ seq: this.seq(), event, at: Date.now(), ...(dropped ? { dropped } : {}) });
    if (dropped) return event;
    const to = [...this.subs].filter((s) => matches(s.filter, event));
    const wait = typeof this.delay === 'function' ? this.delay(event) : this.delay;
    // One stream, in order: an event held up holds up the ones after it.
    const releaseAt = Math.max(Date.now() + Math.max(0, wait), this.lastRelease);
    this.lastRelease = releaseAt;
    this.pending.push({ event, releaseAt, to });
    this.schedule();
    return event;
  }

  /** Resolves once every event emitted so far has been delivered (or dropped). */
  flush(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushed.add(resolve));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.length = 0;
    for (const f of this.flushed) f();
    this.flushed.clear();
  }

  private schedule(): void {
    if (this.timer || this.pending.length === 0) return;
    const head = this.pending[0]!;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, Math.max(0, head.releaseAt - Date.now()));
    this.timer.unref();
  }

  private release(): void {
    while (this.pending.length > 0 && this.pending[0]!.releaseAt <= Date.now()) {
      const { event, to } = this.pending.shift()!;
      this.delivered.push({ seq: this.seq(), event, at: Date.now() });
      for (const s of to) {
        // A subscription that ended since (aborted or broken) gets nothing more.
        if (s.failure !== undefined) continue;
        s.queue.push(event);
        s.wake();
      }
    }
    if (this.pending.length === 0) {
      for (const f of this.flushed) f();
      this.flushed.clear();
    }
    this.schedule();
  }
}

function matches(filter: EventFilter, e: EngineEvent): boolean {
  if (filter.type?.length && !filter.type.includes(e.type)) return false;
  if (filter.containers?.length) {
    if (e.type !== 'container') return false;
    if (!filter.containers.some((c) => c === e.id || c === e.attributes.name)) return false;
  }
  return matchLabels(e.attributes, filter.labels);
}
