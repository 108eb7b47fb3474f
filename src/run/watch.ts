/**
 * What the project's containers are doing, kept from ONE engine event subscription per
 * command. Gates wait on it instead of polling: a dependent starts as soon as the event that
 * satisfies its condition arrives. State for containers that existed before the subscription
 * is seeded once by inspect, after subscribing, so no transition falls in between.
 */
import type { ContainerDetails, Engine, EngineEvent, HealthState } from '../engine/engine.js';
import { abortable } from '../util/abortable.js';
import { containerEvents } from './observe.js';

export interface Observation {
  started: boolean;
  running: boolean;
  health: HealthState;
  /** Set once the container has stopped. */
  exitCode?: number;
  /** The engine's timestamp (ns) of the transition that satisfied the last check. */
  lastEventNano?: number;
}

export type Condition = 'started' | 'healthy' | 'completed' | 'running-or-done' | 'exited';

export class ConditionFailed extends Error {
  constructor(
    readonly containerId: string,
    readonly state: 'unhealthy' | 'exited' | 'no_healthcheck',
    readonly exitCode?: number,
  ) {
    super(state === 'exited' ? `exited with code ${exitCode}` : state === 'unhealthy' ? 'is unhealthy' : 'has no healthcheck');
  }
}

interface Waiter {
  id: string;
  check: (o: Observation) => boolean | ConditionFailed;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class ContainerWatch {
  private readonly obs = new Map<string, Observation>();
  private readonly waiters = new Set<Waiter>();
  private readonly abort = new AbortController();
  private closed = false;
  /** Every event seen, for tests and the JSON progress stream. */
  readonly listeners = new Set<(e: EngineEvent) => void>();

  static async open(engine: Engine, project: string, signal?: AbortSignal): Promise<ContainerWatch> {
    const w = new ContainerWatch();
    signal?.addEventListener('abort', () => w.close(), { once: true });
    const events = await containerEvents(engine, project, w.abort.signal);
    void w.consume(events);
    return w;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const w of this.waiters) w.reject(new Error('watch closed'));
    this.waiters.clear();
  }

  /** Seeds a container that may have changed state before we subscribed. */
  seed(d: Pick<ContainerDetails, 'id' | 'state' | 'health' | 'exitCode'>): void {
    const running = d.state === 'running' || d.state === 'restarting' || d.state === 'paused';
    const o = this.get(d.id);
    o.running = running;
    o.started ||= running || d.state === 'exited';
    if (d.health !== 'none') o.health = d.health;
    if (d.state === 'exited' || d.state === 'dead') o.exitCode = d.exitCode;
    this.recheck(d.id);
  }

  /** Marks a container we just started (its `start` event may still be in flight). */
  markStarted(id: string): void {
    const o = this.get(id);
    o.started = true;
    if (o.exitCode === undefined) o.running = true;
    this.recheck(id);
  }

  /** A container whose config has a healthcheck: until a probe reports, it is `starting`. */
  expectHealth(id: string): void {
    const o = this.get(id);
    if (o.health === 'none') o.health = 'starting';
  }

  /** Forgets what a container did before (a restart begins a new life). */
  reset(id: string): void {
    this.obs.delete(id);
  }

  observation(id: string): Observation {
    return { ...this.get(id) };
  }

  waitFor(id: string, condition: Condition, signal?: AbortSignal): Promise<void> {
    const check = (o: Observation): boolean | ConditionFailed => {
      switch (condition) {
        case 'started':
          return o.started;
        case 'healthy':
          if (o.health === 'healthy') return true;
          if (o.health === 'unhealthy') return new ConditionFailed(id, 'unhealthy');
          if (o.exitCode !== undefined) return new ConditionFailed(id, 'exited', o.exitCode);
          return false;
        case 'completed':
          if (o.exitCode === undefined) return false;
          return o.exitCode === 0 ? true : new ConditionFailed(id, 'exited', o.exitCode);
        case 'exited':
          return o.exitCode !== undefined;
        case 'running-or-done':
          if (o.health === 'unhealthy') return new ConditionFailed(id, 'unhealthy');
          if (o.exitCode !== undefined) return o.exitCode === 0 ? true : new ConditionFailed(id, 'exited', o.exitCode);
          return o.running && (o.health === 'none' || o.health === 'healthy');
      }
    };
    if (this.closed) return Promise.reject(new Error('watch closed'));
    const now = check(this.get(id));
    if (now === true) return Promise.resolve();
    if (now instanceof ConditionFailed) return Promise.reject(now);
    let w: Waiter | undefined;
    return abortable(signal, (p) => {
      w = { id, check, ...p };
      this.waiters.add(w);
    }, () => w && this.waiters.delete(w));
  }

  private get(id: string): Observation {
    let o = this.obs.get(id);
    if (!o) {
      o = { started: false, running: false, health: 'none' };
      this.obs.set(id, o);
    }
    return o;
  }

  private async consume(events: AsyncIterable<EngineEvent>): Promise<void> {
    try {
      for await (const e of events) this.apply(e);
    } catch (err) {
      // The stream broke (engine restarted?): fail the waiters rather than hang them.
      for (const w of this.waiters) w.reject(err);
      this.waiters.clear();
    }
  }

  private apply(e: EngineEvent): void {
    for (const l of this.listeners) l(e);
    if (e.type !== 'container') return;
    const o = this.get(e.id);
    const action = e.action;
    if (action.startsWith('health_status')) {
      const status = eventHealth(e);
      // A probe that reports the state already known is no transition (Podman reports every probe).
      if (status === undefined || status === o.health) return;
      o.health = status;
      o.lastEventNano = e.timeNano;
      this.recheck(e.id);
      return;
    }
    o.lastEventNano = e.timeNano;
    if (action === 'start' || action === 'restart' || action === 'unpause') {
      o.started = true;
      o.running = true;
      o.exitCode = undefined;
      if (action !== 'unpause') o.health = o.health === 'none' ? 'none' : 'starting';
    } else if (action === 'die') {
      o.running = false;
      o.exitCode = Number(e.attributes.exitCode ?? 0);
    } else if (action === 'destroy') {
      o.running = false;
    }
    this.recheck(e.id);
  }

  private recheck(id: string): void {
    const o = this.get(id);
    for (const w of [...this.waiters]) {
      if (w.id !== id) continue;
      const r = w.check(o);
      if (r === true) {
        this.waiters.delete(w);
        w.resolve();
      } else if (r instanceof ConditionFailed) {
        this.waiters.delete(w);
        w.reject(r);
      }
    }
  }
}

/**
 * The state a health event reports, in either form: Docker's `health_status: healthy`, or
 * Podman's bare `health_status` with the state in a `HealthStatus` attribute.
 */
export function eventHealth(e: Pick<EngineEvent, 'action' | 'attributes'>): Exclude<HealthState, 'none'> | undefined {
  const colon = e.action.indexOf(':');
  const status = (colon >= 0 ? e.action.slice(colon + 1) : e.attributes.HealthStatus ?? e.attributes.health_status ?? '').trim().toLowerCase();
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : undefined;
}

/**
 * Runs `fn` with the command's one event subscription, opened before `fn` inspects or touches
 * anything. Its signal follows `outer` (Ctrl-C); a failure inside `fn` cancels whatever is still
 * waiting on a gate, and the subscription is always closed.
 */
export async function withWatch<T>(
  engine: Engine,
  project: string,
  outer: AbortSignal | undefined,
  fn: (watch: ContainerWatch, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const cancel = new AbortController();
  const onOuterAbort = () => cancel.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const watch = await ContainerWatch.open(engine, project, cancel.signal);
  try {
    return await fn(watch, cancel.signal);
  } catch (err) {
    cancel.abort(err);
    throw err;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    watch.close();
  }
}
