/**
 * The Engine interface over the Docker Engine API, through dockerode. This is the only module
 * that imports dockerode: everything above it speaks tug's types and TugErrors.
 *
 * Connecting is lazy: the first call asks `/version` once and pins every later request to
 * min(server API, MAX_API), so a newer client never sends fields an older engine rejects.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { homedir } from 'node:os';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import dockerignoreModule from '@balena/dockerignore';
import Docker from 'dockerode';
import { pack as tarPack, type Headers as TarHeaders, type PackOptions } from 'tar-fs';
import tarStream from 'tar-stream';
import { EngineUnreachableError, TugError } from '../errors.js';
import { parseDuration } from '../stack/units.js';
import {
  LABEL,
  type BuildOptions,
  type ContainerCreateBody,
  type ContainerDetails,
  type ContainerState,
  type ContainerSummary,
  type Engine,
  type EngineEvent,
  type EngineInfo,
  type FileToCopy,
  type EventFilter,
  type HealthState,
  type LogLine,
  type LogOptions,
  type NetworkCreateBody,
  type NetworkSummary,
  type PullProgress,
  type VolumeCreateBody,
  type VolumeSummary,
} from './engine.js';

// The package's typings describe an ES default export; at runtime it is module.exports, which carries .default too.
const dockerignore = dockerignoreModule.default;

/** The newest API tug is written against; newer engines are spoken to at this level. */
export const MAX_API = '1.47';
const DEFAULT_SOCKET = '/var/run/docker.sock';
/** Only for the first request: a silent engine should fail fast, not hang the CLI. */
const NEGOTIATE_TIMEOUT_MS = 20_000;
/** Errors that mean "no engine there", as opposed to an engine saying no. */
const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ETIMEDOUT', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ENOTSOCK']);

/** An engine that answered with an error status; `status` lets callers tell 404 from 409. */
export class EngineApiError extends TugError {
  readonly status: number;
  constructor(message: string, status: number, cause?: unknown) {
    super('engine_error', message, { cause });
    this.status = status;
  }
}

/** Engine JSON, read defensively field by field: the API adds fields across versions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
type ModemOptions = Docker.DockerOptions & Record<string, unknown>;

export class DockerEngine implements Engine {
  private ready?: Promise<{ docker: Docker; api: string }>;

  private constructor(private readonly target: string, private readonly fromEnv: boolean) {}

  /** Never fails: an unreachable engine shows up on the first call, as EngineUnreachableError. */
  static connect(opts: { host?: string } = {}): DockerEngine {
    const env = process.env.DOCKER_HOST;
    if (opts.host) return new DockerEngine(opts.host, false);
    if (env) return new DockerEngine(env, true);
    const user = join(homedir(), '.docker', 'run', 'docker.sock');
    return new DockerEngine(`unix://${existsSync(DEFAULT_SOCKET) || !existsSync(user) ? DEFAULT_SOCKET : user}`, false);
  }

  async apiVersion(): Promise<string> {
    return (await this.client()).api;
  }

  async info(): Promise<EngineInfo> {
    const { docker, api } = await this.client();
    const i: Json = await this.call('reading engine info', () => docker.info());
    return {
      apiVersion: api,
      serverVersion: String(i.ServerVersion ?? ''),
      cpus: Number(i.NCPU ?? 0),
      memoryBytes: Number(i.MemTotal ?? 0),
      swarm: {
        nodeId: i.Swarm?.NodeID || undefined,
        state: String(i.Swarm?.LocalNodeState ?? 'inactive'),
        controlAvailable: Boolean(i.Swarm?.ControlAvailable),
      },
    };
  }

  // ---- containers

  async listContainers(filter: { project?: string; service?: string; all?: boolean; oneoff?: boolean; labels?: string[] }): Promise<ContainerSummary[]> {
    const { docker } = await this.client();
    const label = [...(filter.labels ?? [])];
    if (filter.project !== undefined) label.push(`${LABEL.project}=${filter.project}`);
    if (filter.service !== undefined) label.push(`${LABEL.service}=${filter.service}`);
    // Compose writes the oneoff label as Python's booleans on every container it makes.
    if (filter.oneoff !== undefined) label.push(`${LABEL.oneoff}=${filter.oneoff ? 'True' : 'False'}`);
    const list: Json[] = await this.call('listing containers', () =>
      docker.listContainers({ all: filter.all ?? false, filters: label.length ? { label } : {} }));
    return list.map(toSummary);
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    const { docker } = await this.client();
    const c: Json = await this.call(`inspecting container ${id}`, () => docker.getContainer(id).inspect());
    return toDetails(c);
  }

  async createContainer(name: string, body: ContainerCreateBody, opts: { platform?: string } = {}): Promise<string> {
    // _query/_body: dockerode would otherwise also copy the whole body into the query string.
    const query = opts.platform ? { name, platform: opts.platform } : { name };
    const r: Json = await this.dial(`creating container ${name}`, {
      path: '/containers/create?', method: 'POST', options: { _query: query, _body: body },
      statusCodes: { 200: true, 201: true },
    });
    return String(r.Id);
  }

  async copyFiles(id: string, files: FileToCopy[]): Promise<void> {
    if (files.length === 0) return;
    const { docker } = await this.client();
    // One archive extracted at `/`, so each file lands at its absolute path.
    const tar = tarStream.pack();
    for (const f of files) {
      tar.entry({ name: f.path.replace(/^\/+/, ''), mode: f.mode, uid: f.uid ?? 0, gid: f.gid ?? 0 }, f.content);
    }
    tar.finalize();
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    await this.call(`copying files into container ${id}`, () => docker.getContainer(id).putArchive(Buffer.concat(chunks), { path: '/' }));
  }

  async startContainer(id: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`starting container ${id}`, () => docker.getContainer(id).start(), [304]);
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const { docker } = await this.client();
    const opts = timeoutSeconds === undefined ? {} : { t: Math.max(0, Math.round(timeoutSeconds)) };
    await this.call(`stopping container ${id}`, () => docker.getContainer(id).stop(opts), [304]);
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`killing container ${id}`, () => docker.getContainer(id).kill(signal ? { signal } : {}));
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const { docker } = await this.client();
    await this.call(`removing container ${id}`, () =>
      docker.getContainer(id).remove({ force: opts.force ?? false, v: opts.volumes ?? false }));
  }

  async renameContainer(id: string, name: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`renaming container ${id} to ${name}`, () => docker.getContainer(id).rename({ name }));
  }

  async pauseContainer(id: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`pausing container ${id}`, () => docker.getContainer(id).pause());
  }

  async unpauseContainer(id: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`unpausing container ${id}`, () => docker.getContainer(id).unpause());
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const { docker } = await this.client();
    const r: Json = await this.call(`waiting for container ${id}`, () =>
      docker.getContainer(id).wait(signal ? { abortSignal: signal } : {}));
    if (r.Error?.Message) throw new TugError('engine_error', `waiting for container ${id}: ${r.Error.Message}`);
    return Number(r.StatusCode);
  }

  /**
   * Following a multiplexed stream always asks for timestamps: the engine can close a follow
   * stream before the container's last output (typically a final line without a newline)
   * reaches it, so after a natural end we read the last moments again and skip the records
   * already delivered. Not with a TTY: there the engine stamps each 16 KiB piece of a long
   * line inside the raw byte stream, so records cannot be told apart and the race remains.
   */
  async *logs(id: string, opts: LogOptions): AsyncGenerator<LogLine> {
    const { signal } = opts;
    if (signal?.aborted) return;
    const tty = Boolean((await this.inspectContainer(id)).config.Tty);
    const follow = opts.follow ?? false;
    const catchUp = follow && !tty;
    const query: Json = { stdout: true, stderr: true, timestamps: catchUp || (opts.timestamps ?? false) };
    query.tail = String(opts.tail ?? 'all');
    if (opts.since !== undefined) query.since = unixTime(opts.since);
    if (opts.until !== undefined) query.until = unixTime(opts.until);
    const lines = { stdout: new LineAssembler(), stderr: new LineAssembler() };
    const toLine = (stream: 'stdout' | 'stderr', l: { text: string; time?: string }): LogLine => {
      const text = tty ? l.text.replace(/\r$/, '') : l.text;
      return opts.timestamps && l.time !== undefined ? { stream, text, time: l.time } : { stream, text };
    };
    const seen = new RecentTimes();
    const pass = async function* (this: DockerEngine, q: Json, again: boolean): AsyncGenerator<LogLine, boolean> {
      for await (const r of this.logRecords(id, q, tty, signal)) {
        if (r.time !== undefined && (again ? seen.take(r.time) : (seen.add(r.time), false))) continue;
        for (const l of lines[r.stream].push(r.text, r.time)) yield toLine(r.stream, l);
      }
      return !signal?.aborted;
    };
    if (!(yield* pass.call(this, { ...query, follow }, false))) return;
    if (catchUp) {
      const since = seen.windowStart();
      const again = since === undefined ? { ...query, follow: false } : { ...query, follow: false, tail: 'all', since };
      if (!(yield* pass.call(this, again, true))) return;
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = lines[stream].end();
      if (rest) yield toLine(stream, rest);
    }
  }

  /**
   * One log request as records: a frame (one log message, or a piece of a long one) when the
   * stream is multiplexed; one line when the container has a TTY and the stream is raw bytes.
   * Ends quietly when `signal` aborts.
   */
  private async *logRecords(id: string, query: Json, tty: boolean, signal?: AbortSignal): AsyncGenerator<LogRecord> {
    if (signal?.aborted) return;
    const what = `reading logs of container ${id}`;
    let res: IncomingMessage;
    try {
      res = await this.dial(what, {
        path: `/containers/${encodeURIComponent(id)}/logs?`, method: 'GET', options: query, isStream: true,
        abortSignal: signal, statusCodes: { 200: true },
      });
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    const stop = (): void => void res.destroy();
    signal?.addEventListener('abort', stop, { once: true });
    const stamped = Boolean(query.timestamps);
    try {
      if (tty) {
        const split = new LineSplitter();
        const record = (line: string): LogRecord => ({ stream: 'stdout', ...cutTimestamp(line, stamped) });
        for await (const chunk of res as AsyncIterable<Buffer>) {
          for (const line of split.push(chunk)) {
            if (signal?.aborted) return;
            const r = record(line);
            yield { ...r, text: `${r.text}\n` };
          }
        }
        const rest = split.end();
        if (rest !== undefined && !signal?.aborted) yield record(rest);
      } else {
        const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
        for await (const [stream, payload] of demux(res)) {
          if (signal?.aborted) return;
          // Each frame carries its own timestamp in front, even the pieces of one long line.
          const space = stamped ? payload.indexOf(0x20) : -1;
          const time = stamped ? payload.subarray(0, space < 0 ? payload.length : space).toString('latin1') : undefined;
          const text = decoders[stream].write(stamped ? payload.subarray(space < 0 ? payload.length : space + 1) : payload);
          yield time === undefined ? { stream, text } : { stream, text, time };
        }
      }
    } catch (e) {
      if (signal?.aborted) return;
      throw this.wrap(e, what);
    } finally {
      signal?.removeEventListener('abort', stop);
      res.destroy();
    }
  }

  async connectNetwork(network: string, container: string, endpoint: Record<string, unknown>): Promise<void> {
    await this.dial(`connecting container ${container} to network ${network}`, {
      path: `/networks/${encodeURIComponent(network)}/connect?`, method: 'POST',
      options: { _query: {}, _body: { Container: container, EndpointConfig: endpoint } }, statusCodes: { 200: true },
    });
  }

  // ---- events

  async events(filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>> {
    const { docker } = await this.client();
    const filters: Record<string, string[]> = {};
    if (filter.project !== undefined) filters.label = [`${LABEL.project}=${filter.project}`];
    if (filter.type?.length) filters.type = filter.type;
    if (filter.containers?.length) filters.container = filter.containers;
    if (signal.aborted) return empty();
    let res: Readable;
    try {
      // Resolves on the response headers, which the engine sends only after subscribing.
      res = (await this.call('subscribing to engine events', () =>
        docker.getEvents({ filters, abortSignal: signal }))) as unknown as Readable;
    } catch (e) {
      if (signal.aborted) return empty();
      throw e;
    }
    const stop = (): void => void res.destroy();
    signal.addEventListener('abort', stop, { once: true });
    return this.eventStream(res, signal, stop);
  }

  private async *eventStream(res: Readable, signal: AbortSignal, stop: () => void): AsyncGenerator<EngineEvent> {
    try {
      // Until iteration starts the response stays paused, so early events wait in its buffer.
      for await (const e of jsonLines(res)) {
        if (signal.aborted) return; // a chunk may hold several events; none after the abort
        yield toEvent(e);
      }
    } catch (e) {
      if (signal.aborted) return;
      throw this.wrap(e, 'reading engine events');
    } finally {
      signal.removeEventListener('abort', stop);
      res.destroy();
    }
    if (!signal.aborted) {
      throw new EngineUnreachableError(`the Docker engine at ${this.target} closed the event stream`, this.hint());
    }
  }

  // ---- networks and volumes

  async listNetworks(filter: { project?: string; name?: string }): Promise<NetworkSummary[]> {
    const { docker } = await this.client();
    const filters: Record<string, string[]> = {};
    if (filter.project !== undefined) filters.label = [`${LABEL.project}=${filter.project}`];
    if (filter.name !== undefined) filters.name = [filter.name];
    const list: Json[] = await this.call('listing networks', () => docker.listNetworks({ filters }));
    // The engine's name filter matches substrings; tug means the exact name.
    return list.map(toNetwork).filter((n) => filter.name === undefined || n.name === filter.name);
  }

  async createNetwork(body: NetworkCreateBody): Promise<string> {
    const r: Json = await this.dial(`creating network ${body.Name}`, {
      path: '/networks/create?', method: 'POST', options: { _query: {}, _body: body }, statusCodes: { 200: true, 201: true },
    });
    return String(r.Id);
  }

  async removeNetwork(idOrName: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`removing network ${idOrName}`, () => docker.getNetwork(idOrName).remove());
  }

  async inspectNetwork(idOrName: string): Promise<NetworkSummary | undefined> {
    const { docker } = await this.client();
    const n: Json | undefined = await this.orMissing(this.call(`inspecting network ${idOrName}`, () => docker.getNetwork(idOrName).inspect()));
    return n && toNetwork(n);
  }

  async listVolumes(filter: { project?: string; name?: string }): Promise<VolumeSummary[]> {
    const { docker } = await this.client();
    const filters: Record<string, string[]> = {};
    if (filter.project !== undefined) filters.label = [`${LABEL.project}=${filter.project}`];
    if (filter.name !== undefined) filters.name = [filter.name];
    const r: Json = await this.call('listing volumes', () => docker.listVolumes({ filters }));
    const list: Json[] = r.Volumes ?? [];
    return list.map(toVolume).filter((v) => filter.name === undefined || v.name === filter.name);
  }

  async createVolume(body: VolumeCreateBody): Promise<void> {
    await this.dial(`creating volume ${body.Name}`, {
      path: '/volumes/create?', method: 'POST', options: { _query: {}, _body: body }, statusCodes: { 200: true, 201: true },
    });
  }

  async removeVolume(name: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`removing volume ${name}`, () => docker.getVolume(name).remove());
  }

  async inspectVolume(name: string): Promise<VolumeSummary | undefined> {
    const { docker } = await this.client();
    const v: Json | undefined = await this.orMissing(this.call(`inspecting volume ${name}`, () => docker.getVolume(name).inspect()));
    return v && toVolume(v);
  }

  // ---- images

  async imageId(ref: string): Promise<string | undefined> {
    const { docker } = await this.client();
    const i: Json | undefined = await this.orMissing(this.call(`inspecting image ${ref}`, () => docker.getImage(ref).inspect()));
    return i && String(i.Id);
  }

  async removeImage(ref: string): Promise<void> {
    const { docker } = await this.client();
    await this.call(`removing image ${ref}`, () => docker.getImage(ref).remove());
  }

  async pullImage(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    const { docker } = await this.client();
    const failed = (e: unknown): never => {
      const w = this.wrap(e, `pulling ${ref}`);
      if (w instanceof EngineUnreachableError || signal?.aborted) throw w;
      throw new TugError('pull_failed', w.message, { cause: e });
    };
    const stream: NodeJS.ReadableStream = await this.call(`pulling ${ref}`, () =>
      docker.pull(ref, signal ? { abortSignal: signal } : {})).catch(failed);
    let streamError: string | undefined;
    await new Promise<void>((done, fail) => {
      docker.modem.followProgress(
        stream,
        (err) => (err ? fail(err) : done()),
        (p: Json) => {
          // An HTTP 200 pull can still fail: the registry's refusal arrives inside the stream.
          const msg = streamErrorOf(p);
          if (msg !== undefined) {
            streamError ??= msg;
            return;
          }
          onProgress?.(toPullProgress(p));
        },
      );
    }).catch(failed);
    if (streamError !== undefined) throw new TugError('pull_failed', `pulling ${ref}: ${streamError}`);
  }

  async buildImage(opts: BuildOptions): Promise<string> {
    const { docker } = await this.client();
    const [first, ...others] = opts.tags;
    const what = `building ${first ?? opts.context}`;
    const { tar, dockerfile } = await buildContext(opts.context, opts.dockerfile ?? 'Dockerfile');
    const query: Json = { dockerfile, rm: true, forcerm: true };
    if (first !== undefined) query.t = first;
    if (opts.args && Object.keys(opts.args).length) query.buildargs = opts.args;
    if (opts.target) query.target = opts.target;
    if (opts.labels && Object.keys(opts.labels).length) query.labels = opts.labels;
    if (opts.noCache) query.nocache = true;
    if (opts.pull) query.pull = true;
    if (opts.signal) query.abortSignal = opts.signal;
    const failed = (e: unknown): never => {
      const w = this.wrap(e, what);
      if (w instanceof EngineUnreachableError || opts.signal?.aborted) throw w;
      throw new TugError('build_failed', w.message, { cause: e });
    };
    const res = (await this.call(what, () => docker.buildImage(tar as unknown as NodeJS.ReadableStream, query)).catch(failed)) as unknown as Readable;
    let id: string | undefined;
    let step: string | undefined;
    let error: string | undefined;
    try {
      for await (const m of jsonLines(res)) {
        const msg = streamErrorOf(m);
        if (msg !== undefined) error ??= msg;
        if (typeof m.aux?.ID === 'string') id = m.aux.ID;
        if (typeof m.stream !== 'string') continue;
        for (const line of m.stream.split('\n')) {
          const text = line.trimEnd();
          if (!text) continue;
          if (/^Step \d+\/\d+ : /.test(text)) step = text;
          const built = /^Successfully built ([0-9a-f]+)$/.exec(text);
          if (built) id ??= built[1];
          opts.onProgress?.(text);
        }
      }
    } catch (e) {
      failed(e);
    } finally {
      res.destroy();
    }
    if (error !== undefined) throw new TugError('build_failed', `${what}: ${step ? `${step}: ` : ''}${error}`);
    if (id === undefined) throw new TugError('build_failed', `${what}: the engine reported no image id`);
    const full = (await this.imageId(id)) ?? id;
    for (const tag of others) {
      const { repo, tag: t } = splitRef(tag);
      await this.call(`tagging ${full} as ${tag}`, () => docker.getImage(full).tag({ repo, tag: t }));
    }
    return full;
  }

  // ---- plumbing

  private client(): Promise<{ docker: Docker; api: string }> {
    this.ready ??= this.negotiate().catch((e: unknown) => {
      this.ready = undefined; // let a later call retry, e.g. once the engine is up
      throw e;
    });
    return this.ready;
  }

  private async negotiate(): Promise<{ docker: Docker; api: string }> {
    let base: ModemOptions;
    try {
      base = modemOptions(this.target);
      new Docker(base); // the modem re-reads DOCKER_HOST itself and throws if it cannot parse it
    } catch (e) {
      throw new EngineUnreachableError(`cannot use Docker host ${this.target}: ${(e as Error).message}`, this.hint(), e);
    }
    const probe = new Docker(base);
    const version = probe.version.bind(probe) as (o: object) => Promise<Json>; // the typings lack abortSignal
    const v = await this.call('asking the engine for its version', () =>
      version({ abortSignal: AbortSignal.timeout(NEGOTIATE_TIMEOUT_MS) }));
    const server = String(v.ApiVersion ?? '');
    if (!/^\d+\.\d+$/.test(server)) {
      throw new TugError('engine_error', `the engine at ${this.target} reported no usable API version (${JSON.stringify(v.ApiVersion)})`);
    }
    const api = compareApi(server, MAX_API) < 0 ? server : MAX_API;
    return { docker: new Docker({ ...base, version: `v${api}` }), api };
  }

  /** Runs one dockerode call, turning its failures into TugErrors. */
  private async call<T>(what: string, fn: () => Promise<T>, okStatus: number[] = []): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (okStatus.includes((e as Json).statusCode)) return undefined as T;
      throw this.wrap(e, what);
    }
  }

  /** A raw request, for the endpoints where dockerode's query/body handling gets in the way. */
  private async dial<T>(what: string, o: Parameters<Docker['modem']['dial']>[0]): Promise<T> {
    const { docker } = await this.client();
    return this.call(what, () => new Promise<T>((done, fail) => {
      docker.modem.dial(o, (err: unknown, data: unknown) => (err ? fail(err) : done(data as T)));
    }));
  }

  private async orMissing<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof EngineApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  private wrap(e: unknown, what: string): Error {
    if (e instanceof TugError) return e;
    const err = e as Json;
    if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
      if (err.name === 'TimeoutError' || err.cause?.name === 'TimeoutError') {
        return new EngineUnreachableError(`the Docker engine at ${this.target} did not answer in time (${what})`, this.hint(), e);
      }
      return e as Error; // the caller aborted; it knows why
    }
    if (typeof err?.statusCode === 'number') {
      return new EngineApiError(`${what}: ${engineMessage(e)}`, err.statusCode, e);
    }
    // Only failures to reach the socket or host: an EACCES while reading a build context is not one.
    const connecting = err?.syscall === 'connect' || err?.syscall === 'getaddrinfo' || err?.code === 'ECONNRESET';
    if (typeof err?.code === 'string' && UNREACHABLE_CODES.has(err.code) && connecting) {
      return new EngineUnreachableError(`cannot reach the Docker engine at ${this.target}: ${err.message}`, this.hint(), e);
    }
    return new TugError('engine_error', `${what}: ${err?.message ?? String(e)}`, { cause: e });
  }

  private hint(): string {
    return this.fromEnv
      ? `is the engine running? DOCKER_HOST is set to ${this.target}`
      : `is the engine running and is its socket readable? Set DOCKER_HOST (e.g. unix:///var/run/docker.sock or tcp://host:2375) to use another one`;
  }
}

// ---- connection

function modemOptions(target: string): ModemOptions {
  // Every key is given so the modem's own DOCKER_HOST defaults cannot leak into an explicit host.
  const o: ModemOptions = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined,
    pathPrefix: '/', ca: undefined, cert: undefined, key: undefined, username: undefined, timeout: undefined };
  if (target.startsWith('unix://')) return { ...o, socketPath: target.slice(7) || DEFAULT_SOCKET };
  if (target.startsWith('npipe://')) return { ...o, socketPath: target.slice(8) || '//./pipe/docker_engine' };
  if (target.startsWith('/')) return { ...o, socketPath: target };
  const url = new URL(target.includes('://') ? target : `tcp://${target}`);
  if (url.protocol === 'ssh:') {
    return { ...o, protocol: 'ssh', host: url.hostname, port: url.port || '22', username: decodeURIComponent(url.username) || undefined,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK } };
  }
  if (!['tcp:', 'http:', 'https:'].includes(url.protocol)) throw new Error(`unsupported scheme ${url.protocol}`);
  const certDir = process.env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const tls = url.protocol === 'https:' || (process.env.DOCKER_TLS_VERIFY ?? '') !== '' || url.port === '2376';
  const out: ModemOptions = { ...o, host: url.hostname, port: url.port || (tls ? '2376' : '2375'), protocol: tls ? 'https' : 'http' };
  if (tls) {
    for (const k of ['ca', 'cert', 'key'] as const) {
      const file = join(certDir, `${k}.pem`);
      if (existsSync(file)) out[k] = readFileSync(file);
    }
  }
  return out;
}

function compareApi(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

function engineMessage(e: unknown): string {
  const err = e as Json;
  const body = err?.json;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof body.message === 'string') return body.message;
  if (typeof body === 'string' && body.trim()) return body.trim();
  return String(err?.message ?? e).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

function streamErrorOf(m: Json): string | undefined {
  const msg = m.errorDetail?.message ?? m.error;
  return msg === undefined || msg === null || msg === '' ? undefined : String(msg).trim();
}

// ---- mapping

const STATES = new Set<ContainerState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

function toState(s: unknown): ContainerState {
  return STATES.has(s as ContainerState) ? (s as ContainerState) : 'dead';
}

function healthFromStatus(status: string): HealthState {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'none';
}

function labelled(labels: Record<string, string>): Pick<ContainerSummary, 'service' | 'number' | 'oneoff' | 'configHash'> {
  const n = Number.parseInt(labels[LABEL.number] ?? '', 10);
  return {
    service: labels[LABEL.service] ?? '',
    number: Number.isFinite(n) ? n : 0,
    oneoff: labels[LABEL.oneoff] === 'True',
    ...(labels[LABEL.configHash] !== undefined ? { configHash: labels[LABEL.configHash] } : {}),
  };
}

function toSummary(c: Json): ContainerSummary {
  const labels: Record<string, string> = c.Labels ?? {};
  const status = String(c.Status ?? '');
  return {
    id: String(c.Id),
    name: String(c.Names?.[0] ?? '').replace(/^\//, ''),
    ...labelled(labels),
    state: toState(c.State),
    status,
    health: healthFromStatus(status),
    image: String(c.Image ?? ''),
    labels,
    created: Number(c.Created ?? 0),
    ports: ((c.Ports ?? []) as Json[]).map((p) => ({
      privatePort: Number(p.PrivatePort),
      ...(p.PublicPort !== undefined ? { publicPort: Number(p.PublicPort) } : {}),
      ...(p.IP ? { ip: String(p.IP) } : {}),
      type: String(p.Type ?? 'tcp'),
    })),
  };
}

function toDetails(c: Json): ContainerDetails {
  const config: Json = c.Config ?? {};
  const labels: Record<string, string> = config.Labels ?? {};
  const s: Json = c.State ?? {};
  const state = toState(s.Status);
  const health: HealthState = s.Health?.Status ? (s.Health.Status as HealthState) : 'none';
  const exitCode = Number(s.ExitCode ?? 0);
  const ports: ContainerSummary['ports'] = [];
  for (const [key, bindings] of Object.entries((c.NetworkSettings?.Ports ?? {}) as Record<string, Json[] | null>)) {
    const [port = '0', type = 'tcp'] = key.split('/');
    if (!bindings?.length) ports.push({ privatePort: Number(port), type });
    for (const b of bindings ?? []) {
      ports.push({ privatePort: Number(port), publicPort: Number(b.HostPort), ...(b.HostIp ? { ip: String(b.HostIp) } : {}), type });
    }
  }
  const time = (t: unknown): string | undefined => (typeof t === 'string' && !t.startsWith('0001-') ? t : undefined);
  return {
    id: String(c.Id),
    name: String(c.Name ?? '').replace(/^\//, ''),
    ...labelled(labels),
    state,
    status: statusText(state, exitCode, health),
    health,
    image: String(config.Image ?? c.Image ?? ''),
    labels,
    created: Math.floor(Date.parse(String(c.Created)) / 1000) || 0,
    ports,
    exitCode,
    ...(time(s.StartedAt) ? { startedAt: time(s.StartedAt) } : {}),
    ...(time(s.FinishedAt) ? { finishedAt: time(s.FinishedAt) } : {}),
    oomKilled: Boolean(s.OOMKilled),
    ...(s.Error ? { error: String(s.Error) } : {}),
    healthLog: ((s.Health?.Log ?? []) as Json[]).map((l) => ({
      exitCode: Number(l.ExitCode), output: String(l.Output ?? ''), start: String(l.Start ?? ''), end: String(l.End ?? ''),
    })),
    mounts: ((c.Mounts ?? []) as Json[]).map((m) => ({
      type: String(m.Type ?? ''),
      ...(m.Name ? { name: String(m.Name) } : {}),
      source: String(m.Source ?? ''),
      destination: String(m.Destination ?? ''),
    })),
    hostConfig: c.HostConfig ?? {},
    config,
  };
}

/** Inspect has no "Up 3 seconds"; this is the closest honest text. */
function statusText(state: ContainerState, exitCode: number, health: HealthState): string {
  const base = state === 'running' ? 'Up' : state === 'exited' ? `Exited (${exitCode})` : state[0]!.toUpperCase() + state.slice(1);
  return health === 'none' ? base : `${base} (${health === 'starting' ? 'health: starting' : health})`;
}

function toNetwork(n: Json): NetworkSummary {
  return {
    id: String(n.Id),
    name: String(n.Name),
    labels: n.Labels ?? {},
    driver: String(n.Driver ?? ''),
    containers: Object.keys(n.Containers ?? {}),
  };
}

function toVolume(v: Json): VolumeSummary {
  return { name: String(v.Name), labels: v.Labels ?? {}, driver: String(v.Driver ?? '') };
}

function toEvent(e: Json): EngineEvent {
  return {
    type: String(e.Type ?? ''),
    action: String(e.Action ?? e.status ?? ''),
    id: String(e.Actor?.ID ?? e.id ?? ''),
    attributes: e.Actor?.Attributes ?? {},
    timeNano: Number(e.timeNano ?? Number(e.time ?? 0) * 1e9),
  };
}

function toPullProgress(p: Json): PullProgress {
  const d: Json = p.progressDetail ?? {};
  return {
    status: String(p.status ?? ''),
    ...(p.id !== undefined ? { id: String(p.id) } : {}),
    ...(typeof d.current === 'number' ? { current: d.current } : {}),
    ...(typeof d.total === 'number' ? { total: d.total } : {}),
  };
}

function splitRef(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port, not a tag.
  if (colon < 0 || ref.indexOf('/', colon) >= 0) return { repo: ref, tag: 'latest' };
  return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/** The API wants Unix seconds; tug also accepts RFC 3339 and durations ago, like the CLI. */
function unixTime(v: string | number): string {
  if (typeof v === 'number') return String(v);
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  const ago = parseDuration(v);
  if (ago !== undefined) return ((Date.now() * 1e6 - ago) / 1e9).toFixed(9);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new TugError('usage', `not a time: ${v} (use RFC 3339, Unix seconds or a duration like 10m)`);
  return (t / 1000).toFixed(3);
}

// ---- streams

async function* empty(): AsyncGenerator<never> {}

/** Newline-delimited JSON, whatever the chunking; a line that is not JSON is skipped. */
async function* jsonLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Json> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const parse = (line: string): Json | undefined => {
    if (!line.trim()) return undefined;
    try {
      const v: unknown = JSON.parse(line);
      return v && typeof v === 'object' ? (v as Json) : undefined;
    } catch {
      return undefined;
    }
  };
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const v = parse(line);
      if (v) yield v;
    }
  }
  const v = parse(pending + decoder.end());
  if (v) yield v;
}

type Frame = readonly ['stdout' | 'stderr', Buffer];

/** The attach/logs multiplexing: an 8-byte header (stream, 0, 0, 0, uint32 BE size) per frame. */
async function* demux(stream: AsyncIterable<Buffer>): AsyncGenerator<Frame> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      yield [buf[0] === 2 ? 'stderr' : 'stdout', buf.subarray(8, 8 + size)];
      buf = buf.subarray(8 + size);
    }
  }
}

interface LogRecord {
  stream: 'stdout' | 'stderr';
  text: string;
  time?: string;
}

function cutTimestamp(line: string, stamped: boolean): { text: string; time?: string } {
  if (!stamped) return { text: line };
  const space = line.indexOf(' ');
  return space < 0 ? { text: '', time: line } : { text: line.slice(space + 1), time: line.slice(0, space) };
}

/** Nanoseconds since the epoch of an RFC 3339 time as the engine writes it. */
function nanos(time: string): bigint | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * Record timestamps seen in the last few seconds of a log, as a multiset. stdout and stderr
 * are stamped by separate copiers, so the file is only nearly in time order: a window, not a
 * single "last seen" mark, tells a repeat from a record not yet delivered.
 */
class RecentTimes {
  private static readonly WINDOW_NS = 2_000_000_000n;
  private readonly counts = new Map<string, number>();
  private max: bigint | undefined;
  private limit = 4096;

  add(time: string): void {
    const ns = nanos(time);
    if (ns === undefined) return;
    this.counts.set(time, (this.counts.get(time) ?? 0) + 1);
    if (this.max === undefined || ns > this.max) this.max = ns;
    if (this.counts.size > this.limit) {
      for (const t of this.counts.keys()) if ((nanos(t) ?? 0n) < this.max - RecentTimes.WINDOW_NS) this.counts.delete(t);
      this.limit = Math.max(4096, this.counts.size * 2); // a burst inside the window must not prune on every record
    }
  }

  /** True (and forgets one) when a record with this time was already delivered. */
  take(time: string): boolean {
    const n = this.counts.get(time) ?? 0;
    if (n > 0) this.counts.set(time, n - 1);
    return n > 0;
  }

  /** Where a second read must start: the window before the newest record, as `seconds.nanos`. */
  windowStart(): string | undefined {
    if (this.max === undefined) return undefined;
    const from = this.max > RecentTimes.WINDOW_NS ? this.max - RecentTimes.WINDOW_NS : 0n;
    return `${from / 1_000_000_000n}.${String(from % 1_000_000_000n).padStart(9, '0')}`;
  }
}

/** Bytes to whole lines; a trailing partial line waits for the next chunk or the end. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer): string[] {
    this.pending += this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines;
  }

  end(): string | undefined {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest === '' ? undefined : rest;
  }
}

/** Log records to lines; a line's time is that of the record it started in. */
class LineAssembler {
  private pending = '';
  private time?: string;

  push(text: string, time?: string): { text: string; time?: string }[] {
    const out: { text: string; time?: string }[] = [];
    if (this.pending === '') this.time = time;
    this.pending += text;
    for (let i = this.pending.indexOf('\n'); i >= 0; i = this.pending.indexOf('\n')) {
      out.push({ text: this.pending.slice(0, i), time: this.time });
      this.pending = this.pending.slice(i + 1);
      this.time = time;
    }
    return out;
  }

  end(): { text: string; time?: string } | undefined {
    if (this.pending === '') return undefined;
    const rest = { text: this.pending, time: this.time };
    this.pending = '';
    return rest;
  }
}

// ---- build context

/**
 * The context as a tar stream, minus what `.dockerignore` excludes. The Dockerfile and
 * .dockerignore always go (the engine needs the one; the CLI sends both, and the engine drops
 * those of them that .dockerignore lists). A Dockerfile outside the context travels under a
 * generated name that is added to the sent .dockerignore, so it never lands in the image.
 */
async function buildContext(context: string, dockerfileOpt: string): Promise<{ tar: Readable; dockerfile: string }> {
  const root = resolve(context);
  const dockerfilePath = resolve(root, dockerfileOpt);
  const rel = relative(root, dockerfilePath);
  const outside = rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel);
  const dockerfile = outside ? `.dockerfile.${randomBytes(10).toString('hex')}` : rel.split(sep).join('/');
  let ignoreText: string | undefined;
  try {
    ignoreText = await readFile(join(root, '.dockerignore'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const patterns = (ignoreText ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  const exceptions = patterns.some((p) => p.startsWith('!'));
  const always = new Set(['.dockerignore', dockerfile]);
  const entries: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(join(root, dir), { withFileTypes: true })) {
      const p = dir ? posix.join(dir, d.name) : d.name;
      if (outside && p === '.dockerignore') continue; // replaced below
      const excluded = !always.has(p) && ig.ignores(p);
      if (d.isDirectory()) {
        if (!excluded) entries.push(p);
        // A later `!pattern` may re-include something below an excluded directory.
        if (!excluded || exceptions || [...always].some((a) => a.startsWith(`${p}/`))) await walk(p);
      } else if (!excluded) {
        entries.push(p);
      }
    }
  };
  try {
    await walk('');
  } catch (e) {
    throw new TugError('build_failed', `reading build context ${root}: ${(e as Error).message}`, { cause: e });
  }
  const extra = outside
    ? [
        { name: dockerfile, data: await readFile(dockerfilePath) },
        { name: '.dockerignore', data: Buffer.from(`${ignoreText ?? ''}\n.dockerignore\n${dockerfile}\n`) },
      ]
    : [];
  const opts: PackOptions & { umask: number } = {
    entries,
    ignore: () => true, // entries already lists every path; directories must not add their children
    umask: 0, // modes as on disk, not filtered by this process's umask
    strict: false,
    map: (h: TarHeaders) => ({ ...h, uid: 0, gid: 0 }),
    finalize: extra.length === 0,
    finish: (pack) => {
      if (extra.length === 0) return;
      for (const { name, data } of extra) pack.entry({ name, mode: 0o644, size: data.length }, data);
      pack.finalize();
    },
  };
  return { tar: tarPack(root, opts) as unknown as Readable, dockerfile };
}
