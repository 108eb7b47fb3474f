/**
 * What the fake engine holds and how it changes: containers with the engine's state machine
 * (created → running ⇄ paused → exited, restarting, removing), their health, output, networks
 * and mounts; networks, volumes and images. Each change emits the events a real engine emits,
 * in the same order. Refusals are thrown as `Refusal` (status + the engine's message); the
 * clients word them as the real client does.
 */
import { PassThrough } from 'node:stream';
import type {
  ContainerConfig, ContainerCreateBody, ContainerDetails, ContainerInfo, ContainerState, EndpointSettings, EngineEvent,
  HealthConfig, HealthState, HostConfig, LogLine, LogOptions, NetworkCreateBody, NetworkSummary, PortSummary, PullProgress,
  VolumeCreateBody, VolumeSummary,
} from '../../src/engine/engine.js';
import { EventBus } from './events.js';
import { FakeFs } from './fs.js';
import {
  abortError, humanDuration, logTimeNs, matchLabels, newId, normaliseRef, Notifier, nowNs, parseRfc3339, parseSignal, rfc3339,
  rfc3339Fixed, sleep,
} from './util.js';

/** The engine said no: an HTTP status and the engine's own message. */
export class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export type HealthBehaviour =
  /** Healthy after the engine's `healthyAfterMs` (the default). */
  | 'healthy'
  | 'unhealthy'
  /** Stays `starting`: only `setHealth` moves it. */
  | 'never'
  | { status: 'healthy' | 'unhealthy'; afterMs?: number; output?: string };

/** What a container's command does; resolved at each start from its image, the matching `onContainer` rules and its own. */
export interface Behaviour {
  /** Lines the command prints each time it starts. */
  output?: (string | { stream: 'stdout' | 'stderr'; text: string })[];
  /** The command exits on its own with `code`, `afterMs` after each start; without it, it runs until stopped. */
  exit?: { code: number; afterMs?: number };
  /**
   * The start call itself fails (a command that cannot be executed): the engine answers
   * `status` (default 400), emits `die` with `exitCode` (default 127) and leaves the container as it was.
   */
  startError?: string | { message: string; status?: number; exitCode?: number };
  /**
   * How the command reacts to a signal: the exit code it then exits with, or `ignore`. By
   * default a signal kills it (128 + the signal's number); SIGKILL always does. A stop whose
   * signal is ignored waits its timeout (`msPerSecond` per second) then kills.
   */
  signals?: Partial<Record<string, number | 'ignore'>>;
  /** What the healthcheck reports after each start (containers with a healthcheck only). */
  health?: HealthBehaviour;
  /** How long a remove takes, during which the container is `removing`. */
  removeMs?: number;
}

/** What an image brings to the containers made from it. */
export interface ImageConfig {
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  Labels?: Record<string, string>;
  /** Anonymous volumes every container gets: `{ '/data': {} }`. */
  Volumes?: Record<string, object>;
}

export interface FakeImage {
  id: string;
  tags: Set<string>;
  config: ImageConfig;
  behaviour?: Behaviour;
  size: number;
  created: number;
}

export interface FakeNetwork {
  id: string;
  name: string;
  driver: string;
  labels: Record<string, string>;
  body: NetworkCreateBody;
  builtin: boolean;
  created: string;
}

export interface FakeVolume {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

interface Mount {
  type: string;
  name?: string;
  source: string;
  destination: string;
  anonymous?: boolean;
}

interface LogEntry {
  stream: 'stdout' | 'stderr';
  text: string;
  ns: bigint;
}

export interface Attachment {
  stdout: PassThrough;
  stderr: PassThrough;
  tty: boolean;
  /** Resolves when the container's output ends (it stopped, or was removed) or the session closed. */
  done: Promise<void>;
  end: () => void;
}

export interface FakeContainer {
  id: string;
  name: string;
  /** The reference it was created with. */
  imageRef: string;
  imageId: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Unix seconds. */
  created: number;
  /** Creation order: listings are newest first. */
  order: number;
  state: ContainerState;
  exitCode: number;
  error?: string;
  startedAt?: bigint;
  finishedAt?: bigint;
  health?: { status: 'starting' | 'healthy' | 'unhealthy'; log: ContainerDetails['healthLog'] };
  /** By network id. */
  networks: Map<string, EndpointSettings>;
  mounts: Mount[];
  logs: LogEntry[];
  /** Any change: output, state. */
  changed: Notifier;
  /** Each time the container stops (or is removed): what `wait` waits for. */
  stops: Notifier;
  /** Incremented at each start, so a timer of a previous life does nothing. */
  life: number;
  manualStop: boolean;
  restartCount: number;
  behaviour: Behaviour;
  /** An exit that came while paused, taken once unpaused. */
  pendingExit?: number;
  removed: boolean;
  attachments: Set<Attachment>;
  fs: FakeFs;
  timers: Set<NodeJS.Timeout>;
  /** Host ports the engine picked, by `port/proto`. */
  hostPorts: Map<string, number>;
}

/** Which containers an `onContainer` rule is for. */
export type ContainerMatch =
  | string
  | RegExp
  | { name?: string | RegExp; service?: string; project?: string; image?: string; labels?: string[] }
  | ((c: ContainerInfo) => boolean);

export interface PullBehaviour {
  /** The registry's refusal, reported inside the pull's progress stream. */
  error?: string;
  progress?: PullProgress[];
  delayMs?: number;
  /** What the pulled image brings (when it was not present). */
  config?: ImageConfig;
}

export interface BuildBehaviour {
  error?: string;
  /** Build output lines; by default a step and "Successfully built". */
  lines?: string[];
  delayMs?: number;
  config?: ImageConfig;
}

export interface WorldOptions {
  /** The engine's `ID` in `/info`. */
  engineId: string;
  /** How the engine was reached (`system.host`). */
  host: string;
  apiVersion: string;
  serverVersion: string;
  cpus: number;
  memoryBytes: number;
  /** A container with a healthcheck and no health behaviour turns healthy this long after starting. */
  healthyAfterMs: number;
  /** How long one engine second lasts: stop timeouts are given in seconds. */
  msPerSecond: number;
  /** How long a restart policy waits before starting a container again. */
  restartDelayMs: number;
  /** Whether builds may run on BuildKit (a Docker Engine from 18.09 on); default true. */
  buildkit?: boolean;
}

const LIVE = new Set<ContainerState>(['running', 'paused', 'restarting']);
const BUILTIN_NETWORKS = ['bridge', 'host', 'none'];
const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export const refuse = (status: number, message: string): never => {
  throw new Refusal(status, message);
};

export class World {
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, FakeNetwork>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly images = new Map<string, FakeImage>();
  readonly rules: { match: (c: FakeContainer) => boolean; behaviour: Behaviour }[] = [];
  readonly pulls: { match: (ref: string) => boolean; behaviour: PullBehaviour }[] = [];
  readonly builds: { match: (tags: string[], context: string) => boolean; behaviour: BuildBehaviour }[] = [];
  readonly bus: EventBus;
  /** Names of removed networks, by id: a container still refers to one by id. */
  private readonly removedNetworks = new Map<string, string>();
  private seqN = 0;
  private made = 0;
  private nextPort = 32768;
  private generated = 0;

  constructor(readonly options: WorldOptions) {
    this.bus = new EventBus(this.seq);
    for (const name of BUILTIN_NETWORKS) {
      const id = newId();
      this.networks.set(id, { id, name, driver: name === 'bridge' ? 'bridge' : name === 'host' ? 'host' : 'null', labels: {}, body: { Name: name }, builtin: true, created: rfc3339Fixed(nowNs()) });
    }
  }

  /** One counter for calls and event deliveries, so the two can be interleaved. */
  readonly seq = (): number => ++this.seqN;

  dispose(): void {
    for (const c of this.containers.values()) this.clearTimers(c);
    this.bus.dispose();
  }

  // ——— lookups ———

  findContainer(ref: string): FakeContainer | undefined {
    const name = ref.replace(/^\//, '');
    const direct = this.containers.get(ref) ?? [...this.containers.values()].find((c) => c.name === name);
    if (direct || ref.length === 0) return direct;
    const byPrefix = [...this.containers.values()].filter((c) => c.id.startsWith(ref));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  container(ref: string): FakeContainer {
    return this.findContainer(ref) ?? refuse(404, `No such container: ${ref}`);
  }

  findNetwork(ref: string): FakeNetwork | undefined {
    const all = [...this.networks.values()];
    return this.networks.get(ref) ?? all.find((n) => n.name === ref) ?? (ref ? onlyOne(all.filter((n) => n.id.startsWith(ref))) : undefined);
  }

  network(ref: string): FakeNetwork {
    return this.findNetwork(ref) ?? refuse(404, `network ${ref} not found`);
  }

  findImage(ref: string): FakeImage | undefined {
    const all = [...this.images.values()];
    const id = ref.replace(/^sha256:/, '');
    const byId = /^[0-9a-f]{4,64}$/.test(id) ? onlyOne(all.filter((i) => i.id.replace(/^sha256:/, '').startsWith(id))) : undefined;
    if (byId) return byId;
    const norm = normaliseRef(ref);
    return all.find((i) => i.tags.has(norm));
  }

  behaviourOf(c: FakeContainer): Behaviour {
    const image = [...this.images.values()].find((i) => i.id === c.imageId);
    const rules = this.rules.filter((r) => r.match(c)).map((r) => r.behaviour);
    return Object.assign({}, image?.behaviour, ...rules, c.behaviour) as Behaviour;
  }

  matcher(m: ContainerMatch): (c: FakeContainer) => boolean {
    if (typeof m === 'function') return (c) => m(this.info(c));
    if (typeof m === 'string') return (c) => c.name === m || c.id === m;
    if (m instanceof RegExp) return (c) => m.test(c.name);
    return (c) => {
      const labels = c.config.Labels ?? {};
      if (m.name !== undefined && !(typeof m.name === 'string' ? c.name === m.name : m.name.test(c.name))) return false;
      if (m.service !== undefined && labels['com.docker.compose.service'] !== m.service) return false;
      if (m.project !== undefined && labels['com.docker.compose.project'] !== m.project) return false;
      if (m.image !== undefined && normaliseRef(c.imageRef) !== normaliseRef(m.image)) return false;
      return matchLabels(labels, m.labels);
    };
  }

  // ——— events ———

  emitContainer(c: FakeContainer, action: string, extra: Record<string, string> = {}): void {
    this.bus.emit({ type: 'container', action, id: c.id, attributes: { ...c.config.Labels, image: c.imageRef, name: c.name, ...extra } });
  }

  private emitNetwork(n: FakeNetwork, action: string, extra: Record<string, string> = {}): void {
    this.bus.emit({ type: 'network', action, id: n.id, attributes: { name: n.name, type: n.driver, ...extra } });
  }

  emitEvent(e: Omit<EngineEvent, 'timeNano'>): EngineEvent {
    return this.bus.emit(e);
  }

  // ——— containers ———

  createContainer(name: string, body: ContainerCreateBody, seed?: { id?: string; behaviour?: Behaviour }): FakeContainer {
    if (name && !NAME.test(name)) refuse(400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const wanted = name.replace(/^\//, '') || `fake_${++this.generated}`;
    const taken = [...this.containers.values()].find((c) => c.name === wanted);
    if (taken) {
      refuse(409, `Conflict. The container name "/${wanted}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    if (!body.Image) refuse(400, 'config cannot be empty in order to create a container');
    const image = this.findImage(body.Image!) ?? refuse(404, `No such image: ${body.Image}`);
    const host: HostConfig = body.HostConfig ?? {};
    const networks = this.networksFor(host, body.NetworkingConfig?.EndpointsConfig ?? {});
    for (const mode of [host.IpcMode, host.PidMode]) {
      if (mode?.startsWith('container:')) this.container(mode.slice('container:'.length));
    }
    const { HostConfig: _h, NetworkingConfig: _n, ...own } = body;
    const ic = image.config;
    const config: ContainerConfig = {
      ...(ic.Cmd && !own.Entrypoint ? { Cmd: ic.Cmd } : {}),
      ...(ic.Entrypoint ? { Entrypoint: ic.Entrypoint } : {}),
      ...(ic.Env ? { Env: ic.Env } : {}),
      ...(ic.WorkingDir ? { WorkingDir: ic.WorkingDir } : {}),
      ...(ic.User ? { User: ic.User } : {}),
      ...(ic.StopSignal ? { StopSignal: ic.StopSignal } : {}),
      ...(ic.Healthcheck ? { Healthcheck: ic.Healthcheck } : {}),
      ...own,
      Env: mergeEnv(ic.Env, own.Env),
      // The image's labels carry over, under the container's own.
      Labels: { ...ic.Labels, ...own.Labels },
    };
    const c: FakeContainer = {
      id: seed?.id ?? newId(), name: wanted, imageRef: body.Image!, imageId: image.id, config, hostConfig: host,
      created: Math.floor(Date.now() / 1000), order: ++this.made, state: 'created', exitCode: 0, networks, mounts: this.mountsFor(host, ic),
      logs: [], changed: new Notifier(), stops: new Notifier(), life: 0, manualStop: false, restartCount: 0,
      behaviour: seed?.behaviour ?? {}, removed: false, attachments: new Set(), fs: new FakeFs(), timers: new Set(), hostPorts: new Map(),
    };
    if (this.hasHealthcheck(c)) c.health = { status: 'starting', log: [] };
    this.containers.set(c.id, c);
    this.emitContainer(c, 'create');
    return c;
  }

  private networksFor(host: HostConfig, endpoints: Record<string, EndpointSettings>): Map<string, EndpointSettings> {
    const out = new Map<string, EndpointSettings>();
    const mode = host.NetworkMode ?? 'default';
    if (mode.startsWith('container:')) {
      this.container(mode.slice('container:'.length));
      return out;
    }
    const primary = mode === 'default' ? 'bridge' : mode;
    const net = this.network(primary);
    out.set(net.id, endpoints[primary] ?? endpoints[net.id] ?? {});
    for (const [key, ep] of Object.entries(endpoints)) out.set(this.network(key).id, ep);
    return out;
  }

  private mountsFor(host: HostConfig, image: ImageConfig): Mount[] {
    const mounts: Mount[] = [];
    // A volume the engine makes for a mount gets the mount's labels; one that exists keeps its own.
    const volume = (name: string | undefined, destination: string, labels: Record<string, string> = {}): void => {
      const anonymous = !name;
      const v = this.ensureVolume({ Name: name ?? newId(), Labels: anonymous ? { 'com.docker.volume.anonymous': '', ...labels } : labels });
      mounts.push({ type: 'volume', name: v.name, source: `/var/lib/docker/volumes/${v.name}/_data`, destination, ...(anonymous ? { anonymous } : {}) });
    };
    for (const b of host.Binds ?? []) {
      const [source = '', destination = ''] = b.split(':');
      if (source.startsWith('/')) mounts.push({ type: 'bind', source, destination });
      else volume(source, destination);
    }
    for (const m of host.Mounts ?? []) {
      if (m.Type === 'volume') volume(m.Source || undefined, m.Target, m.VolumeOptions?.Labels);
      else mounts.push({ type: m.Type, source: m.Source ?? '', destination: m.Target });
    }
    for (const target of Object.keys(image.Volumes ?? {})) {
      if (!mounts.some((m) => m.destination === target)) volume(undefined, target);
    }
    return mounts;
  }

  hasHealthcheck(c: FakeContainer): boolean {
    const test = c.config.Healthcheck?.Test;
    return test !== undefined && test.length > 0 && test[0] !== 'NONE';
  }

  /** Starts it; false when it was running already (the engine's 304). */
  startContainer(c: FakeContainer): boolean {
    if (c.state === 'running' || c.state === 'restarting') return false;
    if (c.state === 'paused') refuse(409, 'cannot start a paused container, try unpause instead');
    if (c.state === 'removing') refuse(409, `container is marked for removal and cannot be started`);
    if (c.state === 'dead') refuse(409, `container ${c.id} is dead`);
    for (const id of c.networks.keys()) {
      if (!this.networks.has(id)) this.failStart(c, 404, `network ${this.removedNetworks.get(id) ?? id} not found`, 255);
    }
    const b = this.behaviourOf(c);
    if (b.startError !== undefined) {
      const e = typeof b.startError === 'string' ? { message: b.startError } : b.startError;
      this.failStart(c, e.status ?? 400, e.message, e.exitCode ?? 127);
    }
    c.manualStop = false;
    this.beginLife(c);
    return true;
  }

  private failStart(c: FakeContainer, status: number, message: string, exitCode: number): never {
    c.error = message;
    c.exitCode = exitCode;
    this.emitContainer(c, 'die', { exitCode: String(exitCode) });
    c.changed.notify();
    return refuse(status, message);
  }

  private beginLife(c: FakeContainer): void {
    this.clearTimers(c);
    c.state = 'running';
    c.life++;
    c.startedAt = nowNs();
    c.exitCode = 0;
    c.error = undefined;
    c.pendingExit = undefined;
    if (c.health) c.health.status = 'starting';
    for (const [id] of c.networks) {
      const n = this.networks.get(id);
      if (n) this.emitNetwork(n, 'connect', { container: c.id });
    }
    this.emitContainer(c, 'start');
    const b = this.behaviourOf(c);
    const life = c.life;
    if (b.output?.length) this.print(c, b.output);
    if (b.exit) {
      const { code, afterMs = 0 } = b.exit;
      this.timer(c, afterMs, () => this.exitOnItsOwn(c, code, life));
    }
    if (c.health) this.scheduleHealth(c, b.health ?? 'healthy', life);
    c.changed.notify();
  }

  private scheduleHealth(c: FakeContainer, h: HealthBehaviour, life: number): void {
    if (h === 'never') return;
    const spec = typeof h === 'string' ? { status: h } : h;
    const output = spec.output ?? (spec.status === 'healthy' ? '' : 'health probe failed');
    this.timer(c, spec.afterMs ?? this.options.healthyAfterMs, () => {
      if (c.life === life && c.state === 'running') this.setHealth(c, spec.status, output);
    });
  }

  setHealth(c: FakeContainer, status: 'starting' | 'healthy' | 'unhealthy', output = ''): void {
    if (!c.health) throw new Error(`container ${c.name} has no healthcheck`);
    if (c.state !== 'running' && c.state !== 'paused') throw new Error(`container ${c.name} is not running (${c.state})`);
    const before = c.health.status;
    c.health.status = status;
    const now = rfc3339(nowNs());
    c.health.log.push({ exitCode: status === 'healthy' ? 0 : 1, output, start: now, end: now });
    if (c.health.log.length > 5) c.health.log.shift();
    if (before !== status) this.emitContainer(c, `health_status: ${status}`);
    c.changed.notify();
  }

  /** The command exits by itself (its own timer, or `FakeEngine.kill`). */
  exitOnItsOwn(c: FakeContainer, code: number, life = c.life): void {
    if (c.life !== life || c.removed) return;
    if (c.state === 'paused') {
      c.pendingExit = code;
      return;
    }
    if (c.state === 'running') this.die(c, code);
  }

  private die(c: FakeContainer, code: number): void {
    this.clearTimers(c);
    c.state = 'exited';
    c.exitCode = code;
    c.finishedAt = nowNs();
    for (const [id] of c.networks) {
      const n = this.networks.get(id);
      if (n) this.emitNetwork(n, 'disconnect', { container: c.id });
    }
    this.emitContainer(c, 'die', { exitCode: String(code) });
    this.endAttachments(c);
    if (!c.manualStop && this.restarts(c, code)) {
      c.state = 'restarting';
      this.timer(c, this.options.restartDelayMs, () => {
        if (c.state !== 'restarting') return;
        c.restartCount++;
        this.beginLife(c);
      });
    }
    c.stops.notify();
    c.changed.notify();
    if (c.state === 'exited' && c.hostConfig.AutoRemove) this.removeNow(c, true);
  }

  private restarts(c: FakeContainer, code: number): boolean {
    const policy = c.hostConfig.RestartPolicy;
    switch (policy?.Name) {
      case 'always':
      case 'unless-stopped':
        return true;
      case 'on-failure':
        return code !== 0 && (!policy.MaximumRetryCount || c.restartCount < policy.MaximumRetryCount);
      default:
        return false;
    }
  }

  /** What the command does on `signal`: the code it exits with, or ignore. */
  private reaction(c: FakeContainer, signal: { name: string; number: number }): number | 'ignore' {
    if (signal.number === 9) return 137;
    if (c.state === 'paused') return 'ignore'; // delivered once unpaused; the stop times out first
    const own = this.behaviourOf(c).signals?.[signal.name];
    if (own !== undefined) return own;
    return ['SIGCHLD', 'SIGCONT', 'SIGWINCH', 'SIGSTOP', 'SIGTSTP'].includes(signal.name) ? 'ignore' : 128 + signal.number;
  }

  /** Stops it; false when it was not running (the engine's 304). */
  async stopContainer(c: FakeContainer, timeoutSeconds?: number): Promise<boolean> {
    if (!LIVE.has(c.state)) {
      if (c.state === 'removing') refuse(409, `removal of container ${c.id} is already in progress`);
      return false;
    }
    c.manualStop = true;
    if (c.state === 'restarting') {
      this.clearTimers(c);
      c.state = 'exited';
      c.stops.notify();
      c.changed.notify();
      this.emitContainer(c, 'stop');
      return true;
    }
    const signal = parseSignal(c.config.StopSignal ?? 'SIGTERM') ?? { name: 'SIGTERM', number: 15 };
    const timeout = timeoutSeconds ?? c.config.StopTimeout ?? 10;
    const life = c.life;
    this.emitContainer(c, 'kill', { signal: String(signal.number) });
    const r = this.reaction(c, signal);
    if (r !== 'ignore') this.die(c, r);
    else {
      await Promise.race([sleep(timeout * this.options.msPerSecond), c.stops.wait()]);
      if (c.life === life && (c.state === 'running' || c.state === 'paused')) {
        this.emitContainer(c, 'kill', { signal: '9' });
        this.die(c, 137);
      }
    }
    this.emitContainer(c, 'stop');
    return true;
  }

  killContainer(c: FakeContainer, signalName = 'SIGKILL'): void {
    const signal = parseSignal(signalName) ?? refuse(400, `Invalid signal: ${signalName}`);
    if (c.state === 'restarting') refuse(409, `Container ${c.id} is restarting, wait until the container is running`);
    if (c.state !== 'running' && c.state !== 'paused') refuse(409, `Cannot kill container: ${c.id}: Container ${c.id} is not running`);
    this.emitContainer(c, 'kill', { signal: String(signal.number) });
    const r = this.reaction(c, signal);
    if (r === 'ignore') return;
    c.manualStop = true;
    this.die(c, r);
  }

  pauseContainer(c: FakeContainer): void {
    if (c.state === 'paused') refuse(409, `Container ${c.id} is already paused`);
    if (c.state !== 'running') refuse(409, `Container ${c.id} is not running`);
    c.state = 'paused';
    this.emitContainer(c, 'pause');
    c.changed.notify();
  }

  unpauseContainer(c: FakeContainer): void {
    if (c.state !== 'paused') refuse(409, `Container ${c.id} is not paused`);
    c.state = 'running';
    this.emitContainer(c, 'unpause');
    c.changed.notify();
    if (c.pendingExit !== undefined) this.die(c, c.pendingExit);
  }

  async removeContainer(c: FakeContainer, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    if (c.state === 'removing') refuse(409, `removal of container ${c.id} is already in progress`);
    if (LIVE.has(c.state)) {
      if (!opts.force) {
        refuse(409, `You cannot remove a ${c.state} container ${c.id}. Stop the container before attempting removal or force remove`);
      }
      c.manualStop = true;
      if (c.state === 'restarting') this.clearTimers(c);
      else {
        this.emitContainer(c, 'kill', { signal: '9' });
        this.die(c, 137);
      }
    }
    c.state = 'removing';
    c.changed.notify();
    const ms = this.behaviourOf(c).removeMs ?? 0;
    if (ms > 0) await sleep(ms);
    this.removeNow(c, opts.volumes ?? false);
  }

  private removeNow(c: FakeContainer, volumes: boolean): void {
    if (c.removed) return;
    c.removed = true;
    this.clearTimers(c);
    this.containers.delete(c.id);
    if (volumes) {
      for (const m of c.mounts) {
        if (!m.anonymous || !m.name || !this.volumes.has(m.name)) continue;
        if (this.volumeUsers(m.name).length > 0) continue;
        const v = this.volumes.get(m.name)!;
        this.volumes.delete(m.name);
        this.bus.emit({ type: 'volume', action: 'destroy', id: v.name, attributes: { driver: v.driver } });
      }
    }
    this.emitContainer(c, 'destroy');
    this.endAttachments(c);
    c.stops.notify();
    c.changed.notify();
  }

  renameContainer(c: FakeContainer, name: string): void {
    const wanted = name.replace(/^\//, '');
    if (!NAME.test(wanted)) refuse(400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (wanted === c.name) refuse(400, 'Renaming a container with the same name as its current name');
    const taken = [...this.containers.values()].find((o) => o.name === wanted);
    if (taken) {
      refuse(409, `Conflict. The container name "/${wanted}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const old = c.name;
    c.name = wanted;
    this.emitContainer(c, 'rename', { oldName: `/${old}` });
  }

  async waitContainer(c: FakeContainer, signal?: AbortSignal): Promise<number> {
    if (!LIVE.has(c.state)) return c.exitCode;
    await c.stops.wait(signal);
    if (signal?.aborted) throw abortError(signal);
    return c.exitCode;
  }

  /** Output of the container's command, as its log and any attached session receive it. */
  print(c: FakeContainer, lines: (string | { stream: 'stdout' | 'stderr'; text: string })[]): void {
    for (const l of lines) {
      const entry = typeof l === 'string' ? { stream: 'stdout' as const, text: l } : l;
      const stream = c.config.Tty ? 'stdout' : entry.stream;
      c.logs.push({ stream, text: entry.text, ns: nowNs() });
      for (const a of c.attachments) a[stream].write(`${entry.text}\n`);
    }
    c.changed.notify();
  }

  attach(c: FakeContainer, tty: boolean): Attachment {
    let end = (): void => {};
    const done = new Promise<void>((resolve) => (end = resolve));
    const a: Attachment = { stdout: new PassThrough(), stderr: new PassThrough(), tty, done, end: () => {} };
    a.end = () => {
      c.attachments.delete(a);
      if (!a.stdout.writableEnded) a.stdout.end();
      if (!a.stderr.writableEnded) a.stderr.end();
      end();
    };
    if (c.state === 'exited' || c.state === 'dead' || c.removed) a.end();
    else c.attachments.add(a);
    return a;
  }

  private endAttachments(c: FakeContainer): void {
    for (const a of [...c.attachments]) a.end();
  }

  async *logs(c: FakeContainer, opts: LogOptions): AsyncGenerator<LogLine> {
    const signal = opts.signal;
    if (signal?.aborted) return;
    const since = opts.since === undefined ? undefined : logTimeNs(opts.since);
    const until = opts.until === undefined ? undefined : logTimeNs(opts.until);
    const line = (e: LogEntry): LogLine => (opts.timestamps ? { stream: e.stream, text: e.text, time: rfc3339Fixed(e.ns) } : { stream: e.stream, text: e.text });
    const inWindow = (e: LogEntry): boolean => (since === undefined || e.ns >= since) && (until === undefined || e.ns <= until);
    let seen = c.logs.length;
    let first = c.logs.filter(inWindow);
    if (opts.tail !== undefined && opts.tail !== 'all') first = opts.tail <= 0 ? [] : first.slice(-opts.tail);
    for (const e of first) {
      if (signal?.aborted) return;
      yield line(e);
    }
    if (!opts.follow) return;
    const life = c.life;
    for (;;) {
      const following = (c.state === 'running' || c.state === 'paused') && c.life === life && !c.removed;
      while (seen < c.logs.length) {
        const e = c.logs[seen++]!;
        if (until !== undefined && e.ns > until) return;
        if (signal?.aborted) return;
        if (inWindow(e)) yield line(e);
      }
      if (!following || signal?.aborted) return;
      await c.changed.wait(signal);
    }
  }

  private timer(c: FakeContainer, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      c.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    c.timers.add(t);
  }

  private clearTimers(c: FakeContainer): void {
    for (const t of c.timers) clearTimeout(t);
    c.timers.clear();
  }

  // ——— how the engine reports a container ———

  private statusText(c: FakeContainer): string {
    const since = (ns: bigint | undefined): string => humanDuration(ns === undefined ? 0 : Date.now() - Number(ns / 1_000_000n));
    switch (c.state) {
      case 'running':
        return `Up ${since(c.startedAt)}${c.health ? ` (${c.health.status === 'starting' ? 'health: starting' : c.health.status})` : ''}`;
      case 'paused':
        return `Up ${since(c.startedAt)} (Paused)`;
      case 'restarting':
        return `Restarting (${c.exitCode}) ${since(c.finishedAt)} ago`;
      case 'removing':
        return 'Removal In Progress';
      case 'dead':
        return 'Dead';
      case 'created':
        return 'Created';
      case 'exited':
        return `Exited (${c.exitCode}) ${since(c.finishedAt)} ago`;
    }
  }

  private ports(c: FakeContainer): PortSummary[] {
    const out: PortSummary[] = [];
    const live = c.state === 'running' || c.state === 'paused';
    const bindings = c.hostConfig.PortBindings ?? {};
    const keys = new Set([...Object.keys(c.config.ExposedPorts ?? {}), ...Object.keys(bindings)]);
    for (const key of keys) {
      const [port = '0', type = 'tcp'] = key.split('/');
      const bound = bindings[key] ?? [];
      if (!live || bound.length === 0) {
        out.push({ privatePort: Number(port), type });
        continue;
      }
      bound.forEach((b, i) => {
        const k = `${key}#${i}`;
        let hostPort = Number.parseInt(b.HostPort, 10);
        if (!Number.isFinite(hostPort)) hostPort = c.hostPorts.get(k) ?? this.nextPort++;
        c.hostPorts.set(k, hostPort);
        out.push({ privatePort: Number(port), publicPort: hostPort, ip: b.HostIp || '0.0.0.0', type });
      });
    }
    return out;
  }

  info(c: FakeContainer): ContainerInfo {
    const status = this.statusText(c);
    return {
      id: c.id, name: c.name, state: c.state, status,
      health: c.health && (c.state === 'running') ? c.health.status : 'none',
      image: c.imageRef, imageId: c.imageId, labels: { ...c.config.Labels }, created: c.created, ports: this.ports(c),
    };
  }

  details(c: FakeContainer): ContainerDetails {
    const health: HealthState = c.health && c.life > 0 ? c.health.status : 'none';
    const base = this.info(c);
    const status = c.state === 'running' ? 'Up' : c.state === 'exited' ? `Exited (${c.exitCode})` : c.state[0]!.toUpperCase() + c.state.slice(1);
    return {
      ...base,
      health,
      status: health === 'none' ? status : `${status} (${health === 'starting' ? 'health: starting' : health})`,
      exitCode: c.exitCode,
      ...(c.startedAt !== undefined ? { startedAt: rfc3339(c.startedAt) } : {}),
      ...(c.finishedAt !== undefined ? { finishedAt: rfc3339(c.finishedAt) } : {}),
      oomKilled: false,
      ...(c.error ? { error: c.error } : {}),
      healthLog: c.health ? c.health.log.map((l) => ({ ...l })) : [],
      mounts: c.mounts.map((m) => ({ type: m.type, ...(m.name ? { name: m.name } : {}), source: m.source, destination: m.destination })),
      hostConfig: structuredClone(c.hostConfig),
      config: structuredClone(c.config),
    };
  }

  listContainers(filter: { all?: boolean; labels?: string[] }): ContainerInfo[] {
    return [...this.containers.values()]
      .filter((c) => (filter.all || LIVE.has(c.state)) && matchLabels(c.config.Labels ?? {}, filter.labels))
      .sort((a, b) => b.order - a.order)
      .map((c) => this.info(c));
  }

  /** A container as if it had been made before the test began: no calls, no events. */
  seedContainer(seed: ContainerSeed): FakeContainer {
    const image = seed.image ?? 'busybox';
    if (!this.findImage(image)) this.addImage(image);
    const healthcheck = seed.healthcheck === true || (seed.healthcheck === undefined && seed.health !== undefined && seed.health !== 'none')
      ? { Test: ['CMD', 'true'] }
      : seed.healthcheck || undefined;
    const body: ContainerCreateBody = {
      ...seed.body, Image: image, Labels: { ...seed.body?.Labels, ...seed.labels },
      ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    };
    // Made before anyone watched: no events.
    const c = this.bus.quietly(() => this.createContainer(seed.name, body, { id: seed.id, behaviour: seed.behaviour }));
    const at = seed.at ?? nowNs();
    for (const l of seed.logs ?? []) {
      const e = typeof l === 'string' ? { stream: 'stdout' as const, text: l } : l;
      c.logs.push({ stream: e.stream ?? 'stdout', text: e.text, ns: e.time ? (parseRfc3339(e.time) ?? at) : at });
    }
    const state = seed.state ?? 'running';
    if (state !== 'created') {
      c.life = 1;
      c.startedAt = at;
    }
    if (state === 'running' || state === 'paused') {
      c.state = state;
      if (c.health) c.health.status = seed.health && seed.health !== 'none' ? seed.health : 'starting';
      const b = this.behaviourOf(c);
      if (b.exit) {
        const { code, afterMs = 0 } = b.exit;
        this.timer(c, afterMs, () => this.exitOnItsOwn(c, code, 1));
      }
      if (c.health?.status === 'starting') this.scheduleHealth(c, b.health ?? 'healthy', 1);
    } else if (state === 'exited' || state === 'dead') {
      c.state = state;
      c.exitCode = seed.exitCode ?? 0;
      c.finishedAt = seed.finishedAt ? (parseRfc3339(seed.finishedAt) ?? at) : at;
      if (c.health && seed.health && seed.health !== 'none') c.health.status = seed.health;
    }
    if (c.health && seed.health && seed.health !== 'none' && seed.health !== 'starting') {
      const now = rfc3339(at);
      c.health.log.push({ exitCode: seed.health === 'healthy' ? 0 : 1, output: seed.healthOutput ?? '', start: now, end: now });
    }
    return c;
  }

  // ——— networks and volumes ———

  createNetwork(body: NetworkCreateBody): FakeNetwork {
    if (!body.Name) refuse(400, 'network name must not be empty');
    if ([...this.networks.values()].some((n) => n.name === body.Name)) refuse(409, `network with name ${body.Name} already exists`);
    const n: FakeNetwork = {
      id: newId(), name: body.Name, driver: body.Driver ?? 'bridge', labels: { ...body.Labels }, body: structuredClone(body), builtin: false,
      created: rfc3339Fixed(nowNs()),
    };
    this.networks.set(n.id, n);
    this.emitNetwork(n, 'create');
    return n;
  }

  /** Containers with an endpoint on the network: only running ones have one. */
  networkUsers(n: FakeNetwork): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.networks.has(n.id) && (c.state === 'running' || c.state === 'paused'));
  }

  removeNetwork(n: FakeNetwork): void {
    if (n.builtin) refuse(403, `${n.name} is a pre-defined network and cannot be removed`);
    if (this.networkUsers(n).length > 0) refuse(403, `error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    this.networks.delete(n.id);
    this.removedNetworks.set(n.id, n.name);
    this.emitNetwork(n, 'destroy');
  }

  connectNetwork(n: FakeNetwork, c: FakeContainer, endpoint: EndpointSettings): void {
    if (c.networks.has(n.id)) refuse(403, `endpoint with name ${c.name} already exists in network ${n.name}`);
    c.networks.set(n.id, structuredClone(endpoint));
    if (c.state === 'running' || c.state === 'paused') this.emitNetwork(n, 'connect', { container: c.id });
  }

  /** The engine refuses to detach a container that is not attached. */
  disconnectNetwork(n: FakeNetwork, c: FakeContainer): void {
    if (!c.networks.has(n.id)) refuse(403, `container ${c.id} is not connected to network ${n.name}`);
    c.networks.delete(n.id);
    if (c.state === 'running' || c.state === 'paused') this.emitNetwork(n, 'disconnect', { container: c.id });
  }

  networkSummary(n: FakeNetwork): NetworkSummary {
    const users = this.networkUsers(n);
    return {
      id: n.id, name: n.name, created: n.created, labels: { ...n.labels }, driver: n.driver, containers: users.map((c) => c.id),
      ...(users.length ? { endpointNames: Object.fromEntries(users.map((c) => [c.id, c.name])) } : {}),
    };
  }

  ensureVolume(body: VolumeCreateBody): FakeVolume {
    const name = body.Name || newId();
    const existing = this.volumes.get(name);
    if (existing) return existing;
    const v: FakeVolume = { name, driver: body.Driver ?? 'local', labels: { ...body.Labels }, options: { ...body.DriverOpts } };
    this.volumes.set(name, v);
    this.bus.emit({ type: 'volume', action: 'create', id: name, attributes: { driver: v.driver } });
    return v;
  }

  volumeUsers(name: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.mounts.some((m) => m.type === 'volume' && m.name === name));
  }

  removeVolume(name: string): void {
    const v = this.volumes.get(name) ?? refuse(404, `get ${name}: no such volume`);
    const users = this.volumeUsers(name);
    if (users.length > 0) refuse(409, `remove ${name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`);
    this.volumes.delete(name);
    this.bus.emit({ type: 'volume', action: 'destroy', id: name, attributes: { driver: v.driver } });
  }

  volumeSummary(v: FakeVolume): VolumeSummary {
    return { name: v.name, labels: { ...v.labels }, driver: v.driver };
  }

  // ——— images ———

  addImage(ref: string, spec: { id?: string; config?: ImageConfig; behaviour?: Behaviour; size?: number } = {}): FakeImage {
    const tag = normaliseRef(ref);
    for (const i of this.images.values()) i.tags.delete(tag);
    const id = spec.id ?? `sha256:${newId()}`;
    const existing = this.images.get(id);
    if (existing) {
      existing.tags.add(tag);
      return existing;
    }
    const img: FakeImage = {
      id, tags: new Set([tag]), config: spec.config ?? {}, size: spec.size ?? 4_000_000, created: Math.floor(Date.now() / 1000),
      ...(spec.behaviour ? { behaviour: spec.behaviour } : {}),
    };
    this.images.set(id, img);
    return img;
  }

  tagImage(img: FakeImage, target: string): void {
    const tag = normaliseRef(target);
    for (const i of this.images.values()) if (i !== img) i.tags.delete(tag);
    img.tags.add(tag);
    this.bus.emit({ type: 'image', action: 'tag', id: img.id, attributes: { name: tag } });
  }

  removeImage(ref: string): void {
    const img = this.findImage(ref) ?? refuse(404, `No such image: ${ref}`);
    const tag = normaliseRef(ref);
    if (img.tags.has(tag) && img.tags.size > 1) {
      img.tags.delete(tag);
      this.bus.emit({ type: 'image', action: 'untag', id: img.id, attributes: { name: tag } });
      return;
    }
    const user = [...this.containers.values()].find((c) => c.imageId === img.id);
    if (user) {
      refuse(409, img.tags.has(tag)
        ? `conflict: unable to remove repository reference "${ref}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${img.id.replace(/^sha256:/, '').slice(0, 12)}`
        : `conflict: unable to delete ${img.id.replace(/^sha256:/, '').slice(0, 12)} (must be forced) - image is being used by ${user.state === 'running' ? 'running' : 'stopped'} container ${user.id.slice(0, 12)}`);
    }
    this.images.delete(img.id);
    for (const t of img.tags) this.bus.emit({ type: 'image', action: 'untag', id: img.id, attributes: { name: t } });
    this.bus.emit({ type: 'image', action: 'delete', id: img.id, attributes: { name: img.id } });
  }
}

/** A container that exists when the test begins (see FakeEngine.addContainer). */
export interface ContainerSeed {
  name: string;
  id?: string;
  /** Default busybox, added when missing. */
  image?: string;
  labels?: Record<string, string>;
  /** Default running. */
  state?: 'created' | 'running' | 'paused' | 'exited' | 'dead';
  exitCode?: number;
  /** Implies a healthcheck; a running container without it starts `starting` and follows its health behaviour. */
  health?: HealthState;
  healthOutput?: string;
  /** `true` for `CMD true`. */
  healthcheck?: HealthConfig | boolean;
  /** The rest of its create body (Cmd, Tty, HostConfig...). */
  body?: ContainerCreateBody;
  behaviour?: Behaviour;
  /** What it printed before. */
  logs?: (string | { stream?: 'stdout' | 'stderr'; text: string; time?: string })[];
  /** When it started (and printed its logs): default now. */
  at?: bigint;
  finishedAt?: string;
}

/** The container's environment over the image's, key by key. */
function mergeEnv(image: string[] = [], own: string[] = []): string[] {
  const key = (e: string): string => e.split('=')[0]!;
  const mine = new Set(own.map(key));
  return [...image.filter((e) => !mine.has(key(e))), ...own];
}

function onlyOne<T>(list: T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}
