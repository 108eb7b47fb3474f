/**
 * The `Engine` interface over the fake's world, client by client. Every call goes through
 * `Gate.call`: recorded, then subject to the test's hooks, delays and injected failures, then
 * answered; a refusal is worded as the real client words it (`starting container x: ...`).
 * The `outside` view skips the gate: calls the test makes as another client of the engine.
 */
import type { Readable } from 'node:stream';
import type {
  AttachOptions, BuildOptions, BuilderSupport, ContainerClient, ContainerCreateBody, ContainerDetails, ContainerInfo, ContainerStats, EndpointSettings,
  EngineEvent, EngineInfo, EventClient, EventFilter, ExecClient, ExecOptions, ExecSession, FileToCopy, ImageClient, ImagePlatform, ImageSummary,
  LabelFilter, LogLine, LogOptions, NetworkClient, NetworkCreateBody, NetworkSummary, PathStat, ProcessList, PullProgress,
  SystemClient, VolumeClient, VolumeCreateBody, VolumeSummary,
} from '../../src/engine/engine.js';
import { ExitCode, TugError } from '../../src/errors.js';
import type { ArgsOf, CallLog, CallRecord, EngineMethod } from './calls.js';
import type { Processes } from './exec.js';
import { abortError, apiError, glob, matchLabels, normaliseRef, repoOf, sleep } from './util.js';
import { Refusal, refuse, type World } from './world.js';

export class Gate {
  constructor(readonly world: World, private readonly log: CallLog | undefined) {}

  /** The name of what a call is about: its first argument resolved (a container id → its name). */
  private target<M extends EngineMethod>(method: M, args: ArgsOf<M>): string | undefined {
    const first: unknown = args[0];
    const [client] = method.split('.');
    if (method === 'containers.list' || method === 'networks.list' || method === 'volumes.list' || method === 'images.list') return undefined;
    if (method === 'containers.create') return String(first);
    if (method === 'images.build') return (first as BuildOptions).tags[0] ?? (first as BuildOptions).context;
    if (method === 'networks.create' || method === 'volumes.create') return (first as { Name: string }).Name;
    if (typeof first !== 'string') return undefined;
    if (client === 'containers' || client === 'exec') return this.world.findContainer(first)?.name ?? first;
    if (client === 'networks') return this.world.findNetwork(first)?.name ?? first;
    return first;
  }

  /** Records the call now; what the engine does happens when the returned promise runs. */
  begin<M extends EngineMethod>(method: M, args: ArgsOf<M>): CallRecord | undefined {
    return this.log?.record(method, args, this.target(method, args));
  }

  async call<M extends EngineMethod, T>(method: M, args: ArgsOf<M>, what: string, effect: () => T | Promise<T>): Promise<T> {
    const record = this.begin(method, args);
    const run = async (): Promise<T> => {
      try {
        return await effect();
      } catch (e) {
        if (e instanceof Refusal) throw apiError(e.status, e.message, what);
        throw e;
      }
    };
    return record && this.log ? this.log.run(record, run) : run();
  }

  /** A call whose answer is a stream: recorded now, the rest when it is first read. */
  async *stream<T>(record: CallRecord | undefined, what: string, effect: () => AsyncIterable<T>): AsyncGenerator<T> {
    try {
      if (record && this.log) await this.log.prelude(record);
      yield* effect();
    } catch (e) {
      if (e instanceof Refusal) throw apiError(e.status, e.message, what);
      throw e;
    }
  }
}

export class FakeSystem implements SystemClient {
  constructor(private readonly gate: Gate) {}

  /** As the test named it (`host` option), by default `fake://`. */
  get host(): string {
    return this.gate.world.options.host;
  }

  info(): Promise<EngineInfo> {
    const o = this.gate.world.options;
    return this.gate.call('system.info', [], 'reading engine info', () => ({
      id: o.engineId, apiVersion: o.apiVersion, serverVersion: o.serverVersion, cpus: o.cpus, memoryBytes: o.memoryBytes,
      swarm: { state: 'inactive', controlAvailable: false },
    }));
  }

  apiVersion(): Promise<string> {
    return this.gate.call('system.apiVersion', [], 'asking the engine for its version', () => this.gate.world.options.apiVersion);
  }
}

export class FakeContainers implements ContainerClient {
  constructor(private readonly gate: Gate) {}

  private get world(): World {
    return this.gate.world;
  }

  list(filter: LabelFilter & { all?: boolean }): Promise<ContainerInfo[]> {
    return this.gate.call('containers.list', [filter], 'listing containers', () => this.world.listContainers(filter));
  }

  inspect(id: string): Promise<ContainerDetails> {
    return this.gate.call('containers.inspect', [id], `inspecting container ${id}`, () => this.world.details(this.world.container(id)));
  }

  create(name: string, body: ContainerCreateBody, opts?: { platform?: string }): Promise<string> {
    const args: ArgsOf<'containers.create'> = opts === undefined ? [name, body] : [name, body, opts];
    return this.gate.call('containers.create', args, `creating container ${name}`, () => this.world.createContainer(name, structuredClone(body)).id);
  }

  copyFiles(id: string, files: FileToCopy[]): Promise<void> {
    return this.gate.call('containers.copyFiles', [id, files], `copying files into container ${id}`, () => {
      const c = this.world.container(id);
      for (const f of files) c.fs.writeFile(f.path, f.content, f.mode, f.uid, f.gid);
    });
  }

  start(id: string): Promise<void> {
    return this.gate.call('containers.start', [id], `starting container ${id}`, () => void this.world.startContainer(this.world.container(id)));
  }

  stop(id: string, timeoutSeconds?: number): Promise<void> {
    const args: ArgsOf<'containers.stop'> = timeoutSeconds === undefined ? [id] : [id, timeoutSeconds];
    return this.gate.call('containers.stop', args, `stopping container ${id}`, async () => {
      await this.world.stopContainer(this.world.container(id), timeoutSeconds === undefined ? undefined : Math.max(0, Math.round(timeoutSeconds)));
    });
  }

  kill(id: string, signal?: string): Promise<void> {
    const args: ArgsOf<'containers.kill'> = signal === undefined ? [id] : [id, signal];
    return this.gate.call('containers.kill', args, `killing container ${id}`, () => this.world.killContainer(this.world.container(id), signal));
  }

  remove(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    return this.gate.call('containers.remove', [id, opts], `removing container ${id}`, () => this.world.removeContainer(this.world.container(id), opts));
  }

  rename(id: string, name: string): Promise<void> {
    return this.gate.call('containers.rename', [id, name], `renaming container ${id} to ${name}`, () => this.world.renameContainer(this.world.container(id), name));
  }

  pause(id: string): Promise<void> {
    return this.gate.call('containers.pause', [id], `pausing container ${id}`, () => this.world.pauseContainer(this.world.container(id)));
  }

  unpause(id: string): Promise<void> {
    return this.gate.call('containers.unpause', [id], `unpausing container ${id}`, () => this.world.unpauseContainer(this.world.container(id)));
  }

  wait(id: string, signal?: AbortSignal): Promise<number> {
    const args: ArgsOf<'containers.wait'> = signal === undefined ? [id] : [id, signal];
    return this.gate.call('containers.wait', args, `waiting for container ${id}`, () => this.world.waitContainer(this.world.container(id), signal));
  }

  logs(id: string, opts: LogOptions): AsyncIterable<LogLine> {
    const record = this.gate.begin('containers.logs', [id, opts]);
    // The real client inspects first (to learn whether the container has a TTY).
    return this.gate.stream<LogLine>(record, `inspecting container ${id}`, () => {
      if (opts.signal?.aborted) return (async function* () {})();
      return this.world.logs(this.world.container(id), opts);
    });
  }

  top(id: string, psArgs?: string): Promise<ProcessList> {
    const args: ArgsOf<'containers.top'> = psArgs === undefined ? [id] : [id, psArgs];
    return this.gate.call('containers.top', args, `listing the processes of container ${id}`, () => {
      const c = this.world.container(id);
      if (c.state !== 'running' && c.state !== 'paused') refuse(409, `Container ${c.id} is not running`);
      const cmd = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(' ') || 'sh';
      return { titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], processes: [['root', '4242', '4221', '0', '12:00', '?', '00:00:00', cmd]] };
    });
  }

  stats(id: string): Promise<ContainerStats> {
    return this.gate.call('containers.stats', [id], `reading the resource use of container ${id}`, () => {
      const c = this.world.container(id);
      const running = c.state === 'running';
      const limit = c.hostConfig.Memory ?? this.world.options.memoryBytes;
      const usage = running ? 8 * 1024 * 1024 : 0;
      return {
        cpuPercent: running ? 0.5 : 0, memoryUsage: usage, memoryLimit: running ? limit : 0, memoryPercent: running ? (usage / limit) * 100 : 0,
        netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0, pids: running ? 1 : 0,
      };
    });
  }

  async statPath(id: string, path: string): Promise<PathStat | undefined> {
    try {
      return await this.gate.call('containers.statPath', [id, path], `looking up ${path} in container ${id}`, () =>
        this.world.container(id).fs.stat(path) ?? refuse(404, `Could not find the file ${path} in container ${id}`));
    } catch (e) {
      if (e instanceof Error && 'status' in e && e.status === 404) return undefined;
      throw e;
    }
  }

  readArchive(id: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
    return this.gate.call('containers.readArchive', [id, path], `copying ${path} out of container ${id}`, () => {
      const fs = this.world.container(id).fs;
      const stat = fs.stat(path) ?? refuse(404, `Could not find the file ${path} in container ${id}`);
      return { stat, tar: fs.archive(path) };
    });
  }

  writeArchive(id: string, dir: string, tar: Readable, opts: { copyUidGid?: boolean } = {}): Promise<void> {
    return this.gate.call('containers.writeArchive', [id, dir, tar, opts], `copying into ${dir} in container ${id}`, async () => {
      const fs = this.world.container(id).fs;
      const stat = fs.stat(dir) ?? refuse(404, `Could not find the file ${dir} in container ${id}`);
      if (!stat.isDir) refuse(400, `extraction point is not a directory`);
      try {
        await fs.extract(dir, tar, opts.copyUidGid ?? false);
      } catch (e) {
        refuse(400, (e as Error).message);
      }
    });
  }
}

export class FakeExec implements ExecClient {
  constructor(private readonly gate: Gate, private readonly processes: Processes) {}

  start(id: string, opts: ExecOptions): Promise<ExecSession> {
    return this.gate.call('exec.start', [id, opts], `running ${JSON.stringify(opts.cmd.join(' '))} in container ${id}`, () =>
      this.processes.exec(this.gate.world.container(id), opts));
  }

  attach(id: string, opts: AttachOptions): Promise<ExecSession> {
    return this.gate.call('exec.attach', [id, opts], `attaching to container ${id}`, () => this.processes.attach(this.gate.world.container(id), opts));
  }

  resize(id: string, rows: number, cols: number): Promise<void> {
    return this.gate.call('exec.resize', [id, rows, cols], `resizing container ${id}`, () => {
      const c = this.gate.world.container(id);
      if (c.state !== 'running') refuse(409, `Container ${c.id} is not running`);
    });
  }
}

export class FakeImages implements ImageClient {
  constructor(private readonly gate: Gate) {}

  private get world(): World {
    return this.gate.world;
  }

  localId(ref: string): Promise<string | undefined> {
    return this.gate.call('images.localId', [ref], `inspecting image ${ref}`, () => this.world.findImage(ref)?.id);
  }

  /** Every fake image is a linux/amd64 one. */
  platform(ref: string): Promise<ImagePlatform | undefined> {
    return this.gate.call('images.platform', [ref], `inspecting image ${ref}`, () => (this.world.findImage(ref) ? { os: 'linux', architecture: 'amd64' } : undefined));
  }

  pull(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    const args: ArgsOf<'images.pull'> = signal !== undefined ? [ref, onProgress, signal] : onProgress !== undefined ? [ref, onProgress] : [ref];
    return this.gate.call('images.pull', args, `pulling ${ref}`, async () => {
      const rule = [...this.world.pulls].reverse().find((r) => r.match(ref))?.behaviour ?? {};
      if (rule.delayMs) await sleep(rule.delayMs);
      if (signal?.aborted) throw abortError(signal);
      const tag = normaliseRef(ref);
      const progress = rule.progress ?? [
        { status: `Pulling from ${repoOf(ref)}`, id: tag.slice(tag.lastIndexOf(':') + 1) },
        { status: 'Pull complete', id: 'layer0' },
        { status: `Status: Downloaded newer image for ${tag}` },
      ];
      for (const p of progress) onProgress?.(p);
      if (rule.error !== undefined) throw new TugError('pull_failed', `pulling ${ref}: ${rule.error}`, { exitCode: ExitCode.serviceFailed });
      if (!this.world.findImage(ref)) this.world.addImage(ref, { ...(rule.config ? { config: rule.config } : {}) });
      this.world.bus.emit({ type: 'image', action: 'pull', id: tag, attributes: { name: tag } });
    });
  }

  remove(ref: string): Promise<void> {
    return this.gate.call('images.remove', [ref], `removing image ${ref}`, () => this.world.removeImage(ref));
  }

  list(filter: { references?: string[] } = {}): Promise<ImageSummary[]> {
    return this.gate.call('images.list', [filter], 'listing images', () => [...this.world.images.values()]
      .filter((i) => !filter.references?.length || [...i.tags].some((t) => filter.references!.some((p) => glob(p.includes(':') ? normaliseRef(p) : p, p.includes(':') ? t : repoOf(t)))))
      .map((i) => ({ id: i.id, tags: [...i.tags], size: i.size, created: i.created })));
  }

  tag(source: string, target: string): Promise<void> {
    return this.gate.call('images.tag', [source, target], `tagging ${source} as ${target}`, () =>
      this.world.tagImage(this.world.findImage(source) ?? refuse(404, `No such image: ${source}`), target));
  }

  /** The fake has no registry: a push is refused as an unreachable one refuses it. */
  push(ref: string, signal?: AbortSignal): Promise<void> {
    return this.gate.call('images.push', signal ? [ref, signal] : [ref], `pushing ${ref}`, () => {
      if (!this.world.findImage(ref)) refuse(404, `An image does not exist locally with the tag: ${ref}`);
      throw new TugError('push_failed', `pushing ${ref}: no registry answers in the fake engine`, { exitCode: ExitCode.serviceFailed });
    });
  }

  /** No registry answers the fake engine. */
  registryDigest(ref: string, timeoutMs: number): Promise<string | undefined> {
    return this.gate.call('images.registryDigest', [ref, timeoutMs], `asking the registry for ${ref}`, () => undefined);
  }

  builder(): Promise<BuilderSupport> {
    return this.gate.call('images.builder', [], 'asking which builders the engine has', () => {
      const { buildkit, apiVersion } = this.world.options;
      return buildkit === false ? { buildkit: false, why: 'the fake engine was made without BuildKit', apiVersion } : { buildkit: true, apiVersion };
    });
  }

  build(opts: BuildOptions): Promise<string> {
    const what = `building ${opts.tags[0] ?? opts.context}`;
    return this.gate.call('images.build', [opts], what, async () => {
      const rule = [...this.world.builds].reverse().find((r) => r.match(opts.tags, opts.context))?.behaviour ?? {};
      if (rule.delayMs) await sleep(rule.delayMs);
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const lines = rule.lines ?? ['Step 1/1 : FROM scratch'];
      for (const l of lines) {
        if (/^(Step \d|\[)/.test(l)) opts.onStep?.(l);
        opts.onProgress?.(l);
      }
      if (rule.error !== undefined) throw new TugError('build_failed', `${what}: ${rule.error}`, { exitCode: ExitCode.serviceFailed });
      const [first, ...others] = opts.tags;
      const img = this.world.addImage(first ?? `sha256:${Date.now()}`, { ...(rule.config ? { config: rule.config } : {}) });
      if (first === undefined) img.tags.clear();
      for (const t of others) this.world.tagImage(img, t);
      opts.onProgress?.(`Successfully built ${img.id.replace(/^sha256:/, '').slice(0, 12)}`);
      return img.id;
    });
  }
}

export class FakeNetworks implements NetworkClient {
  constructor(private readonly gate: Gate) {}

  private get world(): World {
    return this.gate.world;
  }

  list(filter: LabelFilter & { name?: string }): Promise<NetworkSummary[]> {
    return this.gate.call('networks.list', [filter], 'listing networks', () => [...this.world.networks.values()]
      .filter((n) => (filter.name === undefined || n.name === filter.name) && matchLabels(n.labels, filter.labels))
      .map((n) => this.world.networkSummary(n)));
  }

  create(body: NetworkCreateBody): Promise<string> {
    return this.gate.call('networks.create', [body], `creating network ${body.Name}`, () => this.world.createNetwork(body).id);
  }

  remove(idOrName: string): Promise<void> {
    return this.gate.call('networks.remove', [idOrName], `removing network ${idOrName}`, () => this.world.removeNetwork(this.world.network(idOrName)));
  }

  inspect(idOrName: string): Promise<NetworkSummary | undefined> {
    return this.gate.call('networks.inspect', [idOrName], `inspecting network ${idOrName}`, () => {
      const n = this.world.findNetwork(idOrName);
      return n && this.world.networkSummary(n);
    });
  }

  connect(network: string, container: string, endpoint: EndpointSettings): Promise<void> {
    return this.gate.call('networks.connect', [network, container, endpoint], `connecting container ${container} to network ${network}`, () =>
      this.world.connectNetwork(this.world.network(network), this.world.container(container), endpoint));
  }

  disconnect(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.gate.call('networks.disconnect', [network, container, opts], `disconnecting container ${container} from network ${network}`, () =>
      this.world.disconnectNetwork(this.world.network(network), this.world.container(container)));
  }
}

export class FakeVolumes implements VolumeClient {
  constructor(private readonly gate: Gate) {}

  private get world(): World {
    return this.gate.world;
  }

  list(filter: LabelFilter & { name?: string }): Promise<VolumeSummary[]> {
    return this.gate.call('volumes.list', [filter], 'listing volumes', () => [...this.world.volumes.values()]
      .filter((v) => (filter.name === undefined || v.name === filter.name) && matchLabels(v.labels, filter.labels))
      .map((v) => this.world.volumeSummary(v)));
  }

  create(body: VolumeCreateBody): Promise<void> {
    return this.gate.call('volumes.create', [body], `creating volume ${body.Name}`, () => void this.world.ensureVolume(body));
  }

  remove(name: string): Promise<void> {
    return this.gate.call('volumes.remove', [name], `removing volume ${name}`, () => this.world.removeVolume(name));
  }

  inspect(name: string): Promise<VolumeSummary | undefined> {
    return this.gate.call('volumes.inspect', [name], `inspecting volume ${name}`, () => {
      const v = this.world.volumes.get(name);
      return v && this.world.volumeSummary(v);
    });
  }
}

export class FakeEvents implements EventClient {
  constructor(private readonly gate: Gate) {}

  subscribe(filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>> {
    return this.gate.call('events.subscribe', [filter, signal], 'subscribing to engine events', () => this.gate.world.bus.subscribe(filter, signal));
  }
}
