/**
 * The Engine interface over the Docker Engine API, through dockerode. This module and its
 * `docker-*.ts` helpers are the only ones that import dockerode: everything above them
 * speaks tug's types and TugErrors.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { TugError } from '../errors.js';
import { readArchive, statPath, writeArchive } from './docker-archive.js';
import { DockerClient } from './docker-client.js';
import { attachContainer, resizeContainer, startExec } from './docker-exec.js';
import { buildImage, imageId, listImages, pullImage, removeImage, tagImage } from './docker-images.js';
import { readLogs } from './docker-logs.js';
import { subscribe } from './docker-events.js';
import { toDetails, toNetwork, toProcessList, toStats, toSummary, toVolume, type Json } from './docker-map.js';
import {
  DEFAULT_SOCKET,
  LABEL,
  type AttachOptions,
  type BuildOptions,
  type ContainerCreateBody,
  type ContainerDetails,
  type ContainerStats,
  type ContainerSummary,
  type Engine,
  type EngineEvent,
  type EngineInfo,
  type EventFilter,
  type ExecOptions,
  type ExecSession,
  type FileToCopy,
  type ImageSummary,
  type LogLine,
  type LogOptions,
  type NetworkCreateBody,
  type NetworkSummary,
  type PathStat,
  type ProcessList,
  type PullProgress,
  type VolumeCreateBody,
  type VolumeSummary,
} from './engine.js';

export { EngineApiError } from './api-error.js';
export { MAX_API } from './docker-client.js';

export class DockerEngine implements Engine {
  private readonly client: DockerClient;

  private constructor(target: string, fromEnv: boolean) {
    this.client = new DockerClient(target, fromEnv);
  }

  /** Never fails: an unreachable engine shows up on the first call, as EngineUnreachableError. */
  static connect(opts: { host?: string } = {}): DockerEngine {
    const env = process.env.DOCKER_HOST;
    if (opts.host) return new DockerEngine(opts.host, false);
    if (env) return new DockerEngine(env, true);
    const user = join(homedir(), '.docker', 'run', 'docker.sock');
    return new DockerEngine(`unix://${existsSync(DEFAULT_SOCKET) || !existsSync(user) ? DEFAULT_SOCKET : user}`, false);
  }

  async apiVersion(): Promise<string> {
    return (await this.client.get()).api;
  }

  async info(): Promise<EngineInfo> {
    const { docker, api } = await this.client.get();
    const i: Json = await this.client.call('reading engine info', () => docker.info());
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
    const { docker } = await this.client.get();
    const label = [...(filter.labels ?? [])];
    if (filter.project !== undefined) label.push(`${LABEL.project}=${filter.project}`);
    if (filter.service !== undefined) label.push(`${LABEL.service}=${filter.service}`);
    // Compose writes the oneoff label as Python's booleans on every container it makes.
    if (filter.oneoff !== undefined) label.push(`${LABEL.oneoff}=${filter.oneoff ? 'True' : 'False'}`);
    const list: Json[] = await this.client.call('listing containers', () =>
      docker.listContainers({ all: filter.all ?? false, filters: label.length ? { label } : {} }));
    return list.map(toSummary);
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    const { docker } = await this.client.get();
    const c: Json = await this.client.call(`inspecting container ${id}`, () => docker.getContainer(id).inspect());
    return toDetails(c);
  }

  async createContainer(name: string, body: ContainerCreateBody, opts: { platform?: string } = {}): Promise<string> {
    // _query/_body: dockerode would otherwise also copy the whole body into the query string.
    const query = opts.platform ? { name, platform: opts.platform } : { name };
    const r: Json = await this.client.dial(`creating container ${name}`, {
      path: '/containers/create?', method: 'POST', options: { _query: query, _body: body },
      statusCodes: { 200: true, 201: true },
    });
    return String(r.Id);
  }

  async copyFiles(id: string, files: FileToCopy[]): Promise<void> {
    if (files.length === 0) return;
    const { docker } = await this.client.get();
    // One archive extracted at `/`, so each file lands at its absolute path.
    const tar = tarStream.pack();
    for (const f of files) {
      tar.entry({ name: f.path.replace(/^\/+/, ''), mode: f.mode, uid: f.uid ?? 0, gid: f.gid ?? 0 }, f.content);
    }
    tar.finalize();
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    await this.client.call(`copying files into container ${id}`, () => docker.getContainer(id).putArchive(Buffer.concat(chunks), { path: '/' }));
  }

  async startContainer(id: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`starting container ${id}`, () => docker.getContainer(id).start(), [304]);
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const { docker } = await this.client.get();
    const opts = timeoutSeconds === undefined ? {} : { t: Math.max(0, Math.round(timeoutSeconds)) };
    await this.client.call(`stopping container ${id}`, () => docker.getContainer(id).stop(opts), [304]);
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`killing container ${id}`, () => docker.getContainer(id).kill(signal ? { signal } : {}));
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`removing container ${id}`, () =>
      docker.getContainer(id).remove({ force: opts.force ?? false, v: opts.volumes ?? false }));
  }

  async renameContainer(id: string, name: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`renaming container ${id} to ${name}`, () => docker.getContainer(id).rename({ name }));
  }

  async pauseContainer(id: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`pausing container ${id}`, () => docker.getContainer(id).pause());
  }

  async unpauseContainer(id: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`unpausing container ${id}`, () => docker.getContainer(id).unpause());
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const { docker } = await this.client.get();
    const r: Json = await this.client.call(`waiting for container ${id}`, () =>
      docker.getContainer(id).wait(signal ? { abortSignal: signal } : {}));
    if (r.Error?.Message) throw new TugError('engine_error', `waiting for container ${id}: ${r.Error.Message}`);
    return Number(r.StatusCode);
  }

  async *logs(id: string, opts: LogOptions): AsyncGenerator<LogLine> {
    if (opts.signal?.aborted) return;
    const tty = Boolean((await this.inspectContainer(id)).config.Tty);
    yield* readLogs(this.client, id, opts, tty);
  }

  exec(id: string, opts: ExecOptions): Promise<ExecSession> {
    return startExec(this.client, id, opts);
  }

  attach(id: string, opts: AttachOptions): Promise<ExecSession> {
    return attachContainer(this.client, id, opts);
  }

  resizeContainer(id: string, rows: number, cols: number): Promise<void> {
    return resizeContainer(this.client, id, rows, cols);
  }

  async top(id: string, psArgs?: string): Promise<ProcessList> {
    const r: Json = await this.client.dial(`listing the processes of container ${id}`, {
      path: `/containers/${encodeURIComponent(id)}/top?`, method: 'GET', options: psArgs ? { ps_args: psArgs } : {}, statusCodes: { 200: true },
    });
    return toProcessList(r);
  }

  async stats(id: string): Promise<ContainerStats> {
    const r: Json = await this.client.dial(`reading the resource use of container ${id}`, {
      path: `/containers/${encodeURIComponent(id)}/stats?`, method: 'GET', options: { stream: false }, statusCodes: { 200: true },
    });
    return toStats(r);
  }

  statPath(id: string, path: string): Promise<PathStat | undefined> {
    return statPath(this.client, id, path);
  }

  readArchive(id: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
    return readArchive(this.client, id, path);
  }

  writeArchive(id: string, dir: string, tar: Readable, opts: { copyUidGid?: boolean } = {}): Promise<void> {
    return writeArchive(this.client, id, dir, tar, opts);
  }

  async connectNetwork(network: string, container: string, endpoint: Record<string, unknown>): Promise<void> {
    await this.client.dial(`connecting container ${container} to network ${network}`, {
      path: `/networks/${encodeURIComponent(network)}/connect?`, method: 'POST',
      options: { _query: {}, _body: { Container: container, EndpointConfig: endpoint } }, statusCodes: { 200: true },
    });
  }

  // ---- events

  events(filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>> {
    return subscribe(this.client, filter, signal);
  }

  // ---- networks and volumes

  async listNetworks(filter: { project?: string; name?: string }): Promise<NetworkSummary[]> {
    const { docker } = await this.client.get();
    const filters: Record<string, string[]> = {};
    if (filter.project !== undefined) filters.label = [`${LABEL.project}=${filter.project}`];
    if (filter.name !== undefined) filters.name = [filter.name];
    const list: Json[] = await this.client.call('listing networks', () => docker.listNetworks({ filters }));
    // The engine's name filter matches substrings; tug means the exact name.
    return list.map(toNetwork).filter((n) => filter.name === undefined || n.name === filter.name);
  }

  async createNetwork(body: NetworkCreateBody): Promise<string> {
    const r: Json = await this.client.dial(`creating network ${body.Name}`, {
      path: '/networks/create?', method: 'POST', options: { _query: {}, _body: body }, statusCodes: { 200: true, 201: true },
    });
    return String(r.Id);
  }

  async removeNetwork(idOrName: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`removing network ${idOrName}`, () => docker.getNetwork(idOrName).remove());
  }

  async inspectNetwork(idOrName: string): Promise<NetworkSummary | undefined> {
    const { docker } = await this.client.get();
    const n: Json | undefined = await this.client.orMissing(this.client.call(`inspecting network ${idOrName}`, () => docker.getNetwork(idOrName).inspect()));
    return n && toNetwork(n);
  }

  async listVolumes(filter: { project?: string; name?: string }): Promise<VolumeSummary[]> {
    const { docker } = await this.client.get();
    const filters: Record<string, string[]> = {};
    if (filter.project !== undefined) filters.label = [`${LABEL.project}=${filter.project}`];
    if (filter.name !== undefined) filters.name = [filter.name];
    const r: Json = await this.client.call('listing volumes', () => docker.listVolumes({ filters }));
    const list: Json[] = r.Volumes ?? [];
    return list.map(toVolume).filter((v) => filter.name === undefined || v.name === filter.name);
  }

  async createVolume(body: VolumeCreateBody): Promise<void> {
    await this.client.dial(`creating volume ${body.Name}`, {
      path: '/volumes/create?', method: 'POST', options: { _query: {}, _body: body }, statusCodes: { 200: true, 201: true },
    });
  }

  async removeVolume(name: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`removing volume ${name}`, () => docker.getVolume(name).remove());
  }

  async inspectVolume(name: string): Promise<VolumeSummary | undefined> {
    const { docker } = await this.client.get();
    const v: Json | undefined = await this.client.orMissing(this.client.call(`inspecting volume ${name}`, () => docker.getVolume(name).inspect()));
    return v && toVolume(v);
  }

  // ---- images

  imageId(ref: string): Promise<string | undefined> {
    return imageId(this.client, ref);
  }

  removeImage(ref: string): Promise<void> {
    return removeImage(this.client, ref);
  }

  pullImage(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    return pullImage(this.client, ref, onProgress, signal);
  }

  buildImage(opts: BuildOptions): Promise<string> {
    return buildImage(this.client, opts);
  }

  listImages(filter?: { references?: string[] }): Promise<ImageSummary[]> {
    return listImages(this.client, filter);
  }

  tagImage(source: string, target: string): Promise<void> {
    return tagImage(this.client, source, target);
  }
}
