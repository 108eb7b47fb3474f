/**
 * An in-memory Docker engine behind tug's `Engine` seam, faithful enough to drive `up`, `down`,
 * `restart`, `start`, `stop` and the watch's gates, and able to produce on demand the faults a
 * real engine produces only by bad luck.
 *
 *   const fake = new FakeEngine({ images: ['busybox'] });
 *   fake.onContainer({ service: 'db' }, { health: { status: 'healthy', afterMs: 20 } });
 *   fake.failNext('containers.start', apiError(500, 'boom'), { when: (c) => c.target === 'p-api-1' });
 *   await up(fake, project);
 *   fake.callsTo('containers.start').map((c) => c.target);
 *
 * What exists: `images` option, addImage, addContainer (with composeContainer for Compose's
 * labels), addNetwork, addVolume, and anything made through the engine itself.
 * What commands do: onContainer (output, exit after a while, failing start, signals, health,
 * slow removal), onExec, onPull, onBuild.
 * What happens on its own: kill (a crash), setHealth, print, emit.
 * Faults: failNext, delay, before (hooks), dropEvents, delayEvents, breakEvents.
 * What happened: calls / callsTo, emitted, delivered, history (calls and deliveries in one
 * order), sessions, container, containerNames, subscribers / whenSubscribed, flushEvents.
 * `outside` is the same engine for the test's own calls: not recorded, no faults.
 *
 * What it models (see fake-engine/world.ts): containers with the engine's state machine and
 * 304/404/409 answers, unique names, labels and label filters, health (a container whose
 * config has a healthcheck is `starting` on start, then healthy/unhealthy as configured),
 * commands that run forever, exit after a while or fail to start, stop timeouts, restart
 * policies, logs, exec and attach; networks (endpoints only while running), volumes and images.
 * Events are emitted as the engine emits them (attributes: the container's labels, `name`,
 * `image`) and reach only the subscriptions made before them, in order, asynchronously.
 *
 * Time is real but short: delays are milliseconds, and an engine "second" (stop timeouts)
 * lasts `msPerSecond` (1 ms by default). Call `dispose()` after a test to stop its timers.
 */
import type { ContainerDetails, Engine, EngineEvent, HealthConfig } from '../src/engine/engine.js';
import { LABEL } from '../src/labels.js';
import { CallLog, type CallRecord, type EngineMethod, type RuleOptions } from './fake-engine/calls.js';
import {
  FakeContainers, FakeEvents, FakeExec, FakeImages, FakeNetworks, FakeSystem, FakeVolumes, Gate,
} from './fake-engine/clients.js';
import { FakeConfigs, FakeNodes, FakeSecrets, FakeServices, FakeTasks } from './fake-engine/swarm.js';
import type { EventRecord } from './fake-engine/events.js';
import { Processes, type ExecAnswer, type ExecMatch, type SessionRecord } from './fake-engine/exec.js';
import { glob, normaliseRef } from './fake-engine/util.js';
import {
  World, type Behaviour, type BuildBehaviour, type ContainerMatch, type ContainerSeed, type FakeContainer, type ImageConfig,
  type PullBehaviour, type WorldOptions,
} from './fake-engine/world.js';

export { apiError, rfc3339Fixed } from './fake-engine/util.js';
export type { ArgsOf, CallRecord, EngineMethod, RuleOptions } from './fake-engine/calls.js';
export type { EventRecord } from './fake-engine/events.js';
export type { ExecAnswer, ExecMatch, ExecResult, ExecRun, SessionRecord } from './fake-engine/exec.js';
export type {
  Behaviour, BuildBehaviour, ContainerMatch, ContainerSeed, HealthBehaviour, ImageConfig, PullBehaviour,
} from './fake-engine/world.js';

export interface FakeImageSpec {
  ref: string;
  id?: string;
  config?: ImageConfig;
  /** What containers of this image do, unless a rule or the container says otherwise. */
  behaviour?: Behaviour;
}

export interface FakeEngineOptions extends Partial<WorldOptions> {
  /** Images present from the start. */
  images?: (string | FakeImageSpec)[];
  /** How long events take to reach subscribers (they stay in order). */
  eventDelayMs?: number | ((e: EngineEvent) => number);
}

/** A call or an event delivery, in the order they happened. */
export type HistoryEntry = ({ kind: 'call' } & CallRecord) | ({ kind: 'event' } & EventRecord);

export class FakeEngine implements Engine {
  readonly system: FakeSystem;
  readonly containers: FakeContainers;
  readonly exec: FakeExec;
  readonly images: FakeImages;
  readonly networks: FakeNetworks;
  readonly volumes: FakeVolumes;
  readonly events: FakeEvents;
  readonly services: FakeServices;
  readonly tasks: FakeTasks;
  readonly nodes: FakeNodes;
  readonly secrets: FakeSecrets;
  readonly configs: FakeConfigs;
  /** The same engine as another client sees it: its calls are not recorded and no fault applies. */
  readonly outside: Engine;

  private readonly world: World;
  private readonly log: CallLog;
  private readonly processes: Processes;

  constructor(opts: FakeEngineOptions = {}) {
    this.world = new World({
      engineId: opts.engineId ?? 'FAKE:ENGI:NE00:0000', host: opts.host ?? 'fake://',
      apiVersion: opts.apiVersion ?? '1.41', serverVersion: opts.serverVersion ?? '27.0.0-fake', cpus: opts.cpus ?? 4,
      memoryBytes: opts.memoryBytes ?? 8 * 1024 ** 3, healthyAfterMs: opts.healthyAfterMs ?? 5, msPerSecond: opts.msPerSecond ?? 1,
      restartDelayMs: opts.restartDelayMs ?? 5, ...(opts.buildkit !== undefined ? { buildkit: opts.buildkit } : {}),
    });
    if (opts.eventDelayMs !== undefined) this.world.bus.delay = opts.eventDelayMs;
    for (const i of opts.images ?? []) this.addImage(i);
    this.log = new CallLog(this.world.seq);
    this.processes = new Processes(this.world);
    const gate = new Gate(this.world, this.log);
    this.system = new FakeSystem(gate);
    this.containers = new FakeContainers(gate);
    this.exec = new FakeExec(gate, this.processes);
    this.images = new FakeImages(gate);
    this.networks = new FakeNetworks(gate);
    this.volumes = new FakeVolumes(gate);
    this.events = new FakeEvents(gate);
    this.services = new FakeServices(gate);
    this.tasks = new FakeTasks(gate);
    this.nodes = new FakeNodes(gate);
    this.secrets = new FakeSecrets(gate);
    this.configs = new FakeConfigs(gate);
    const quiet = new Gate(this.world, undefined);
    this.outside = {
      system: new FakeSystem(quiet), containers: new FakeContainers(quiet), exec: new FakeExec(quiet, this.processes),
      images: new FakeImages(quiet), networks: new FakeNetworks(quiet), volumes: new FakeVolumes(quiet), events: new FakeEvents(quiet),
      services: new FakeServices(quiet), tasks: new FakeTasks(quiet), nodes: new FakeNodes(quiet), secrets: new FakeSecrets(quiet),
      configs: new FakeConfigs(quiet),
    };
  }

  // ——— what exists ———

  /** An image present locally; returns its id. */
  addImage(image: string | FakeImageSpec): string {
    const spec = typeof image === 'string' ? { ref: image } : image;
    return this.world.addImage(spec.ref, spec).id;
  }

  /** A container that existed before the test began (no calls, no events); returns its id. */
  addContainer(seed: ContainerSeed): string {
    return this.world.seedContainer(seed).id;
  }

  /** A network that existed before (no calls); returns its id. */
  addNetwork(name: string, labels: Record<string, string> = {}): string {
    return this.world.bus.quietly(() => this.world.createNetwork({ Name: name, Labels: labels }).id);
  }

  addVolume(name: string, labels: Record<string, string> = {}): void {
    this.world.bus.quietly(() => this.world.ensureVolume({ Name: name, Labels: labels }));
  }

  // ——— what things do ———

  /** What the matching containers' command does (later rules win, the container's own seed behaviour over all). */
  onContainer(match: ContainerMatch, behaviour: Behaviour): void {
    this.world.rules.push({ match: this.world.matcher(match), behaviour });
  }

  /** What an exec of a matching command answers (later rules win); by default nothing, exit 0. */
  onExec(match: ExecMatch, answer: ExecAnswer, opts: { readsStdin?: boolean } = {}): void {
    this.processes.rules.push({ match, answer, readsStdin: opts.readsStdin ?? false });
  }

  /** How pulling matching references goes; by default it succeeds. A string matches the normalised reference or a glob. */
  onPull(ref: string | RegExp, behaviour: PullBehaviour): void {
    this.world.pulls.push({ match: refMatcher(ref), behaviour });
  }

  /** How building goes, by tag (string/glob/RegExp) or predicate; by default it succeeds. */
  onBuild(match: string | RegExp | ((tags: string[], context: string) => boolean), behaviour: BuildBehaviour): void {
    const m = typeof match === 'function' ? match : ((r) => (tags: string[], context: string) => tags.some(r) || r(context))(refMatcher(match));
    this.world.builds.push({ match: m, behaviour });
  }

  // ——— what happens on its own ———

  /** The container's process exits by itself with `exitCode` (a crash): `die`, then its restart policy. */
  kill(container: string, exitCode: number): void {
    const c = this.world.container(container);
    if (c.state !== 'running' && c.state !== 'paused') throw new Error(`container ${c.name} is not running (${c.state}): it cannot exit`);
    this.world.exitOnItsOwn(c, exitCode);
  }

  /** Its healthcheck now reports `status` (emits `health_status: ...` when that is a change). */
  setHealth(container: string, status: 'starting' | 'healthy' | 'unhealthy', output = ''): void {
    this.world.setHealth(this.world.container(container), status, output);
  }

  /** The container prints lines (to its log and any attached session). */
  print(container: string, ...lines: (string | { stream: 'stdout' | 'stderr'; text: string })[]): void {
    this.world.print(this.world.container(container), lines);
  }

  /** An event of a kind the fake does not produce itself (delivered like any other). */
  emit(event: Omit<EngineEvent, 'timeNano'>): EngineEvent {
    return this.world.emitEvent(event);
  }

  // ——— faults ———

  /** The next matching call (or `times` of them) fails with `error` before doing anything (`after`: once done). */
  failNext<M extends EngineMethod>(method: M, error: Error | ((call: CallRecord<M>) => Error), opts: RuleOptions<M> & { after?: boolean } = {}): void {
    this.log.addFailure(method, error, opts);
  }

  /** Matching calls (`*`: all) take `ms` longer before the engine acts on them. */
  delay<M extends EngineMethod>(method: M | '*', ms: number, opts: RuleOptions<M> = {}): void {
    this.log.addDelay(method, ms, opts);
  }

  /** Runs `fn` when a matching call arrives, before the engine acts on it (e.g. something else removes the container meanwhile). */
  before<M extends EngineMethod>(method: M, fn: (call: CallRecord<M>) => void | Promise<void>, opts: RuleOptions<M> = {}): void {
    this.log.addHook(method, fn, opts);
  }

  /** Events matching `predicate` never reach anyone; returns a function that stops dropping them. */
  dropEvents(predicate: (e: EngineEvent) => boolean): () => void {
    return this.world.bus.dropWhen(predicate);
  }

  /** Events reach subscribers this much later (per event when a function), still in order. */
  delayEvents(ms: number | ((e: EngineEvent) => number)): void {
    this.world.bus.delay = ms;
  }

  /** Every open event stream fails (once it has delivered what it had), as when the engine goes away. */
  breakEvents(error?: unknown): void {
    this.world.bus.break(error);
  }

  // ——— what happened ———

  /** Every call made through this engine (not `outside`), in order. */
  get calls(): readonly CallRecord[] {
    return this.log.calls;
  }

  /** The calls of one method. */
  callsTo<M extends EngineMethod>(method: M): CallRecord<M>[] {
    return this.log.calls.filter((c) => c.method === method) as CallRecord<M>[];
  }

  /** Every event the engine produced (dropped ones marked), in order. */
  get emitted(): readonly EventRecord[] {
    return this.world.bus.emitted;
  }

  /** Events as they reached subscribers. */
  get delivered(): readonly EventRecord[] {
    return this.world.bus.delivered;
  }

  /** Calls and event deliveries interleaved, in the order they happened. */
  history(): HistoryEntry[] {
    const calls: HistoryEntry[] = this.log.calls.map((c) => ({ kind: 'call', ...c }));
    const events: HistoryEntry[] = this.world.bus.delivered.map((e) => ({ kind: 'event', ...e }));
    return [...calls, ...events].sort((a, b) => a.seq - b.seq);
  }

  /** Exec and attach sessions, in order. */
  get sessions(): readonly SessionRecord[] {
    return this.processes.sessions;
  }

  get subscribers(): number {
    return this.world.bus.subscribers;
  }

  whenSubscribed(count = 1): Promise<void> {
    return this.world.bus.whenSubscribed(count);
  }

  /** Resolves once every event emitted so far has reached its subscribers. */
  flushEvents(): Promise<void> {
    return this.world.bus.flush();
  }

  /** A container as inspect shows it now (by id, name or id prefix), or undefined. */
  container(ref: string): ContainerDetails | undefined {
    const c = this.world.findContainer(ref);
    return c && this.world.details(c);
  }

  /** Names of the containers that exist now, sorted. */
  containerNames(): string[] {
    return [...this.world.containers.values()].map((c: FakeContainer) => c.name).sort();
  }

  /** Stops every timer: containers stop changing, pending events are never delivered. */
  dispose(): void {
    this.world.dispose();
  }
}

/** A container as Compose (and tug) labels it: `composeContainer('p', 'db', 1, { health: 'healthy' })`. */
export function composeContainer(
  project: string,
  service: string,
  number = 1,
  extra: Partial<ContainerSeed> & { oneoff?: boolean; dependsOn?: string; configHash?: string; healthcheck?: HealthConfig | boolean } = {},
): ContainerSeed {
  const { oneoff = false, dependsOn, configHash, ...seed } = extra;
  return {
    name: oneoff ? `${project}-${service}-run-${Math.random().toString(16).slice(2, 14)}` : `${project}-${service}-${number}`,
    ...seed,
    labels: {
      [LABEL.project]: project, [LABEL.service]: service, [LABEL.number]: String(number), [LABEL.oneoff]: oneoff ? 'True' : 'False',
      ...(dependsOn !== undefined ? { [LABEL.dependsOn]: dependsOn } : {}),
      ...(configHash !== undefined ? { [LABEL.configHash]: configHash } : {}),
      [LABEL.managedBy]: 'tug',
      ...seed.labels,
    },
  };
}

function refMatcher(ref: string | RegExp): (s: string) => boolean {
  if (ref instanceof RegExp) return (s) => ref.test(s);
  return (s) => s === ref || normaliseRef(s) === normaliseRef(ref) || glob(ref, s);
}
