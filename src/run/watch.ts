/**
 * What the project's containers are doing, kept from ONE engine event subscription per
 * command. Gates wait on it instead of polling: a dependent starts as soon as the event that
 * satisfies its condition arrives. State for containers that existed before the subscription
 * is seeded once by inspect, after subscribing, so no transition falls in between.
 *
 * No gate waits on an event that will not come:
 * - the stream breaking (an engine restarting, a proxy dropping the connection) is subscribed
 *   to again, and every container known is inspected again after that, so a transition made
 *   while nobody listened is not lost; when the engine cannot be subscribed to again, every
 *   waiter fails saying the engine stopped or cannot be reached;
 * - while a gate waits, its containers are inspected again now and then (`timing.rereadMs`):
 *   a lost event costs that long, not forever;
 * - a container removed while waited on fails the wait, and so does a `starting` health whose
 *   next probe is further away than `timing.probeBoundMs` (an interval of an hour), or whose
 *   probes have stopped running: reported at once, not waited on silently.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerDetails, Engine, EngineEvent, HealthState } from '../engine/engine.js';
import { EngineApiError } from '../engine/api-error.js';
import type { HealthConfig } from '../engine/api/container.js';
import { formatDuration } from '../stack/units.js';
import { abortable } from '../util/abortable.js';
import { engineLost } from './engine-lost.js';
import { containerEvents } from './observe.js';

export interface Observation {
  started: boolean;
  running: boolean;
  health: HealthState;
  /** Set once the container has stopped. */
  exitCode?: number;
  /** The container was removed (a `destroy` event, or inspect answering 404). */
  removed?: boolean;
  /** Why its `starting` health cannot turn in reasonable time (see ContainerWatch.timing). */
  stalled?: { detail: string; hint: string };
  /** The engine's timestamp (ns) of the transition that satisfied the last check. */
  lastEventNano?: number;
}

export type Condition = 'started' | 'healthy' | 'completed' | 'running-or-done' | 'exited';

export type FailedState = 'unhealthy' | 'exited' | 'no_healthcheck' | 'removed' | 'stalled';

export class ConditionFailed extends Error {
  constructor(
    readonly containerId: string,
    readonly state: FailedState,
    readonly exitCode?: number,
    /** For `stalled`: what keeps the health from turning, and what to do about it. */
    readonly stall?: { detail: string; hint: string },
  ) {
    super(state === 'exited' ? `exited with code ${exitCode}` : state === 'unhealthy' ? 'is unhealthy'
      : state === 'removed' ? 'was removed' : state === 'stalled' ? stall!.detail : 'has no healthcheck');
  }
}

interface Waiter {
  id: string;
  condition: Condition;
  check: (o: Observation) => boolean | ConditionFailed;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface WatchTiming {
  /** How often the containers a gate waits on are inspected again, in case an event was lost. */
  rereadMs: number;
  /**
   * A `starting` health whose next probe is due further away than this, or whose probes have
   * not run for this much longer than their interval, fails the gates waiting on it.
   */
  probeBoundMs: number;
  /** Pauses between attempts to subscribe again once the stream broke. */
  resubscribeDelaysMs: number[];
}

export class ContainerWatch {
  /** Shared by every watch; tests shorten them. */
  static timing: WatchTiming = { rereadMs: 2000, probeBoundMs: 120_000, resubscribeDelaysMs: [0, 250, 500, 1000, 2000] };

  private readonly obs = new Map<string, Observation>();
  /** Bumped by every change to a container's observation: an inspect answer older than one is dropped. */
  private readonly versions = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly abort = new AbortController();
  private readonly rereads = new Map<string, NodeJS.Timeout>();
  /** What tug last saw of a `starting` container's probes (its last one, and since when, on tug's clock). */
  private readonly probes = new Map<string, { last: string; since: number }>();
  private closed = false;
  /** Set once the engine cannot be subscribed to again: every wait fails with it. */
  private lost: unknown;
  /** Times the stream broke and was subscribed to again. */
  resubscribed = 0;
  /** Every event seen, for tests and the JSON progress stream. */
  readonly listeners = new Set<(e: EngineEvent) => void>();

  private constructor(private readonly engine: Engine, private readonly project: string) {}

  static async open(engine: Engine, project: string, signal?: AbortSignal): Promise<ContainerWatch> {
    const w = new ContainerWatch(engine, project);
    signal?.addEventListener('abort', () => w.close(), { once: true });
    const events = await containerEvents(engine, project, w.abort.signal);
    void w.consume(events);
    return w;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const t of this.rereads.values()) clearTimeout(t);
    this.rereads.clear();
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
    this.changed(d.id);
  }

  /** Marks a container we just started (its `start` event may still be in flight). */
  markStarted(id: string): void {
    const o = this.get(id);
    o.started = true;
    if (o.exitCode === undefined) o.running = true;
    this.changed(id);
  }

  /** A container whose config has a healthcheck: until a probe reports, it is `starting`. */
  expectHealth(id: string): void {
    const o = this.get(id);
    if (o.health === 'none') o.health = 'starting';
    this.bump(id);
  }

  /** Forgets what a container did before (a restart begins a new life). */
  reset(id: string): void {
    this.obs.delete(id);
    this.probes.delete(id);
    this.bump(id);
  }

  observation(id: string): Observation {
    return { ...this.get(id) };
  }

  waitFor(id: string, condition: Condition, signal?: AbortSignal): Promise<void> {
    const check = (o: Observation): boolean | ConditionFailed => {
      switch (condition) {
        case 'started':
          if (o.started) return true;
          return o.removed ? new ConditionFailed(id, 'removed') : false;
        case 'healthy':
          if (o.health === 'healthy') return true;
          if (o.health === 'unhealthy') return new ConditionFailed(id, 'unhealthy');
          if (o.exitCode !== undefined) return new ConditionFailed(id, 'exited', o.exitCode);
          if (o.removed) return new ConditionFailed(id, 'removed');
          if (o.stalled) return new ConditionFailed(id, 'stalled', undefined, o.stalled);
          return false;
        case 'completed':
          if (o.exitCode === undefined) return o.removed ? new ConditionFailed(id, 'removed') : false;
          return o.exitCode === 0 ? true : new ConditionFailed(id, 'exited', o.exitCode);
        case 'exited':
          // A removed container is not running any more, whatever its last words.
          return o.exitCode !== undefined || o.removed === true;
        case 'running-or-done':
          if (o.health === 'unhealthy') return new ConditionFailed(id, 'unhealthy');
          if (o.exitCode !== undefined) return o.exitCode === 0 ? true : new ConditionFailed(id, 'exited', o.exitCode);
          if (o.removed) return new ConditionFailed(id, 'removed');
          if (o.running && (o.health === 'none' || o.health === 'healthy')) return true;
          if (o.stalled) return new ConditionFailed(id, 'stalled', undefined, o.stalled);
          return false;
      }
    };
    if (this.closed) return Promise.reject(new Error('watch closed'));
    if (this.lost !== undefined) return Promise.reject(this.lost);
    const now = check(this.get(id));
    if (now === true) return Promise.resolve();
    if (now instanceof ConditionFailed) return Promise.reject(now);
    let w: Waiter | undefined;
    return abortable(signal, (p) => {
      w = { id, condition, check, ...p };
      this.waiters.add(w);
      // Inspected again now and then while waited on (a stalled health is found then too).
      this.scheduleReread(id, ContainerWatch.timing.rereadMs);
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

  private bump(id: string): void {
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
  }

  private changed(id: string): void {
    this.bump(id);
    this.recheck(id);
  }

  private async consume(events: AsyncIterable<EngineEvent>): Promise<void> {
    for (;;) {
      let cause: unknown;
      try {
        for await (const e of events) this.apply(e);
      } catch (err) {
        cause = err;
      }
      if (this.closed) return;
      // The stream ended or broke (the engine restarted or stopped, a proxy let go): subscribe
      // again, then read again what may have happened meanwhile.
      const again = await this.resubscribe(cause);
      if (!again) return;
      events = again;
    }
  }

  private async resubscribe(cause: unknown): Promise<AsyncIterable<EngineEvent> | undefined> {
    let last = cause;
    for (const ms of ContainerWatch.timing.resubscribeDelaysMs) {
      if (ms > 0) await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => {});
      if (this.closed) return undefined;
      try {
        const events = await containerEvents(this.engine, this.project, this.abort.signal);
        this.resubscribed++;
        // After subscribing, so that whatever happens from now on is seen either way.
        await this.rereadAll();
        return events;
      } catch (err) {
        if (this.closed) return undefined;
        last = err;
      }
    }
    this.lost = engineLost(this.engine, 'its event stream closed and could not be opened again', last);
    for (const w of this.waiters) w.reject(this.lost);
    this.waiters.clear();
    return undefined;
  }

  private async rereadAll(): Promise<void> {
    const ids = [...new Set([...this.obs.keys(), ...[...this.waiters].map((w) => w.id)])];
    // A few at a time: a large stack must not open a hundred connections at once.
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(ids.slice(i, i + 8).map((id) => this.reread(id, true)));
    }
  }

  private scheduleReread(id: string, ms: number): void {
    if (this.closed || this.rereads.has(id)) return;
    this.rereads.set(id, setTimeout(() => {
      this.rereads.delete(id);
      void this.reread(id).then(() => {
        if ([...this.waiters].some((w) => w.id === id)) this.scheduleReread(id, ContainerWatch.timing.rereadMs);
      });
    }, ms));
  }

  /**
   * Inspects a container again and takes what the engine says, unless the observation changed
   * meanwhile (an event arrived, tug started it): then that is newer. `all`: also containers
   * nobody waits on yet.
   */
  private async reread(id: string, all = false): Promise<void> {
    if (this.closed || (!all && ![...this.waiters].some((w) => w.id === id))) return;
    const version = this.versions.get(id) ?? 0;
    let d: ContainerDetails;
    try {
      d = await this.engine.containers.inspect(id);
    } catch (err) {
      if (this.closed || (this.versions.get(id) ?? 0) !== version) return;
      if (err instanceof EngineApiError && err.status === 404) {
        const o = this.get(id);
        o.removed = true;
        o.running = false;
        this.changed(id);
      }
      // Anything else (the engine going away) is the stream's to find out.
      return;
    }
    if (this.closed || (this.versions.get(id) ?? 0) !== version) return;
    const o = this.get(id);
    o.stalled = d.state === 'running' && d.health === 'starting' ? this.stall(d) : undefined;
    this.seed(d);
  }

  /** Why a running container's `starting` health will not turn in reasonable time, if it will not. */
  private stall(d: ContainerDetails): Observation['stalled'] {
    const hc = (d.config as { Healthcheck?: HealthConfig }).Healthcheck;
    if (!hc?.Test?.length || hc.Test[0] === 'NONE') return undefined;
    const bound = ContainerWatch.timing.probeBoundMs;
    const ms = (ns: number | undefined, dflt: number) => (ns ? ns / 1e6 : dflt);
    const interval = ms(hc.Interval, 30_000);
    const timeout = ms(hc.Timeout, 30_000);
    const started = Date.parse(d.startedAt ?? '');
    const lastProbe = d.healthLog.at(-1);
    const lastEnd = lastProbe ? Date.parse(lastProbe.end) : Number.NaN;
    const from = Number.isFinite(lastEnd) ? lastEnd : started;
    const inStartPeriod = Number.isFinite(started) && from < started + ms(hc.StartPeriod, 0);
    const every = inStartPeriod && hc.StartInterval ? ms(hc.StartInterval, interval) : interval;
    const hint = 'lower its healthcheck interval (or set start_interval, on engines with API 1.44+), or wait for it with condition: service_started';
    // The engine's clock dates the last probe; the interval alone must already be too long, so
    // that a clock skew between tug and the engine cannot make a stall of a sane interval.
    if (every > bound && Number.isFinite(from) && from + every - Date.now() > bound) {
      return { detail: `stays "health: starting": its next health probe is due in ${human(from + every - Date.now())} (healthcheck interval ${human(every)})`, hint };
    }
    // Probes that stopped running (Podman without its timers): measured on tug's own clock,
    // from when tug first saw this probe as the last one.
    const key = lastProbe ? `${lastProbe.start} ${lastProbe.end}` : `none ${d.startedAt ?? ''}`;
    const seen = this.probes.get(d.id);
    if (!seen || seen.last !== key) {
      this.probes.set(d.id, { last: key, since: Date.now() });
      return undefined;
    }
    const quiet = Date.now() - seen.since;
    if (quiet > every + timeout + bound) {
      return {
        detail: `stays "health: starting": no health probe has run for ${human(quiet)} though its interval is ${human(every)}`,
        hint: 'the engine is not running its healthcheck: check the engine (Podman needs systemd timers for healthchecks)',
      };
    }
    return undefined;
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
      o.stalled = undefined;
      o.lastEventNano = e.timeNano;
      this.changed(e.id);
      return;
    }
    o.lastEventNano = e.timeNano;
    if (action === 'start' || action === 'restart' || action === 'unpause') {
      o.started = true;
      o.running = true;
      o.exitCode = undefined;
      o.stalled = undefined;
      if (action !== 'unpause') o.health = o.health === 'none' ? 'none' : 'starting';
    } else if (action === 'die') {
      o.running = false;
      o.exitCode = Number(e.attributes.exitCode ?? 0);
    } else if (action === 'destroy') {
      o.running = false;
      o.removed = true;
    }
    this.changed(e.id);
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

/** Whole seconds in Go's notation (`59m59s`, `1h0m0s`); below a second, `0s`. */
function human(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000)) * 1e9);
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
