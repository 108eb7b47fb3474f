/**
 * The fake engine's call log and fault injection. Every call tug makes through the `Engine`
 * interface is recorded in order with its arguments, then may be held up (`delay`), preceded by
 * something the test does meanwhile (`before`), or answered with an error (`failNext`).
 */
import type { Engine } from '../../src/engine/engine.js';
import { sleep } from './util.js';

type MethodOf<C> = { [M in keyof C]: C[M] extends (...args: never[]) => unknown ? M : never }[keyof C] & string;

/** Every method of the seam, as `client.method`: `containers.create`, `events.subscribe`... */
export type EngineMethod = { [K in keyof Engine]: `${K & string}.${MethodOf<Engine[K]>}` }[keyof Engine];

/** The arguments of one method of the seam. */
export type ArgsOf<M extends EngineMethod> = M extends `${infer C}.${infer F}`
  ? C extends keyof Engine
    ? F extends keyof Engine[C]
      ? Engine[C][F] extends (...args: infer A) => unknown ? A : never
      : never
    : never
  : never;

interface CallFields<M extends EngineMethod> {
  /** Position among calls and event deliveries (see FakeEngine.history). */
  seq: number;
  method: M;
  args: ArgsOf<M>;
  /** The name of what the call is about, as it was when called: a container's name for a container id... */
  target?: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** One recorded call; narrowing on `method` types `args`. */
export type CallRecord<M extends EngineMethod = EngineMethod> = { [K in M]: CallFields<K> }[M];

export type Matcher<M extends EngineMethod> = (call: CallRecord<M>) => boolean;

export interface RuleOptions<M extends EngineMethod> {
  /** Only calls this is true for (e.g. `({ args }) => args[0] === 'p-db-1'`, or `({ target }) => target === 'p-db-1'`). */
  when?: Matcher<M>;
  /** How many matching calls the rule applies to; default 1 for failures, Infinity for delays and hooks. */
  times?: number;
}

interface Rule {
  method: EngineMethod | '*';
  when?: (call: CallRecord) => boolean;
  left: number;
}

interface Failure extends Rule {
  error: (call: CallRecord) => Error;
  after: boolean;
}

interface Delay extends Rule {
  ms: number;
}

interface Hook extends Rule {
  fn: (call: CallRecord) => void | Promise<void>;
}

export class CallLog {
  readonly calls: CallRecord[] = [];
  private readonly failures: Failure[] = [];
  private readonly delays: Delay[] = [];
  private readonly hooks: Hook[] = [];

  constructor(private readonly seq: () => number) {}

  addFailure<M extends EngineMethod>(method: M, error: Error | ((call: CallRecord<M>) => Error), opts: RuleOptions<M> & { after?: boolean }): void {
    this.failures.push({
      method, when: opts.when as Rule['when'], left: opts.times ?? 1, after: opts.after ?? false,
      error: typeof error === 'function' ? (error as (call: CallRecord) => Error) : () => error,
    });
  }

  addDelay<M extends EngineMethod>(method: M | '*', ms: number, opts: RuleOptions<M>): void {
    this.delays.push({ method, when: opts.when as Rule['when'], left: opts.times ?? Infinity, ms });
  }

  addHook<M extends EngineMethod>(method: M, fn: (call: CallRecord<M>) => void | Promise<void>, opts: RuleOptions<M>): void {
    this.hooks.push({ method, when: opts.when as Rule['when'], left: opts.times ?? Infinity, fn: fn as Hook['fn'] });
  }

  record<M extends EngineMethod>(method: M, args: ArgsOf<M>, target: string | undefined): CallRecord {
    const call = { seq: this.seq(), method, args, at: Date.now(), ...(target !== undefined ? { target } : {}) } as CallRecord;
    this.calls.push(call);
    return call;
  }

  /** Runs `effect` as the engine would answer `call`: hooks, delay and injected failures first. */
  async run<T>(call: CallRecord, effect: () => Promise<T>): Promise<T> {
    await this.prelude(call);
    const result = await effect();
    const late = this.take(this.failures, call, (f) => f.after);
    if (late) throw late.error(call);
    return result;
  }

  /** What happens before the engine acts on a call: the test's hooks, the delay, an injected failure. */
  async prelude(call: CallRecord): Promise<void> {
    for (const h of this.hooks) if (this.applies(h, call)) await h.fn(call);
    const d = this.take(this.delays, call);
    if (d && d.ms > 0) await sleep(d.ms);
    const early = this.take(this.failures, call, (f) => !f.after);
    if (early) throw early.error(call);
  }

  private applies(r: Rule, call: CallRecord): boolean {
    if (r.left <= 0 || (r.method !== '*' && r.method !== call.method) || (r.when && !r.when(call))) return false;
    r.left--;
    return true;
  }

  private take<R extends Rule>(rules: R[], call: CallRecord, only: (r: R) => boolean = () => true): R | undefined {
    return rules.find((r) => only(r) && this.applies(r, call));
  }
}
