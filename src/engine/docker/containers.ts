/** Containers over dockerode: listing, lifecycle, logs, processes, stats and files. */
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { TugError } from '../../errors.js';
import type { ContainerCreateBody } from '../api/container.js';
import type { ContainerClient } from '../engine.js';
import type { ContainerDetails, ContainerInfo, ContainerState, ContainerStats, FileToCopy, LabelFilter, LogLine, LogOptions, PathStat, ProcessList } from '../types.js';
import { readArchive, statPath, writeArchive } from './archive.js';
import type { DockerClient } from './client.js';
import { readLogs } from './logs.js';
import { labelFilters, readContainer, readContainerInfo, readProcessList, readStats, readWait, withHealthText } from './map.js';
import { childSignal } from '../../util/abortable.js';

/** The states Docker's listing without `all` shows: every container that is not stopped. */
const LIVE = new Set<ContainerState>(['running', 'paused', 'restarting']);

/** `fn` over `items` with at most `limit` calls in flight, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class DockerContainers implements ContainerClient {
  constructor(private readonly client: DockerClient) {}

  /**
   * Podman's listing differs from Docker's in two ways hidden here: without `all` it leaves out
   * paused containers (Docker lists every container that is not stopped), so it is asked for
   * all of them and the stopped ones are dropped; and its status text never carries the health
   * (no "(healthy)"), so with `health` each running container's is read from its inspect.
   */
  async list(filter: LabelFilter & { all?: boolean; health?: boolean }): Promise<ContainerInfo[]> {
    const { docker, flavour } = await this.client.get();
    const podman = flavour === 'podman';
    const all = filter.all ?? false;
    const raw = await this.client.call('listing containers', () =>
      docker.listContainers({ all: all || podman, filters: labelFilters(filter.labels) }));
    let list = raw.map(readContainerInfo);
    if (podman && !all) list = list.filter((c) => LIVE.has(c.state));
    if (podman && filter.health) list = await mapLimit(list, 8, (c) => this.withHealth(c));
    return list;
  }

  /** The listed container with the health and status its inspect reports (as listed when it is gone). */
  private async withHealth(c: ContainerInfo): Promise<ContainerInfo> {
    if (c.state !== 'running' || c.health !== 'none') return c;
    const d = await this.client.orMissing(this.inspect(c.id));
    if (!d || d.health === 'none') return c;
    return { ...c, health: d.health, status: withHealthText(c.status, d.health) };
  }

  async inspect(id: string): Promise<ContainerDetails> {
    const { docker } = await this.client.get();
    return readContainer(await this.client.call(`inspecting container ${id}`, () => docker.getContainer(id).inspect()));
  }

  async create(name: string, body: ContainerCreateBody, opts: { platform?: string } = {}): Promise<string> {
    // _query/_body: dockerode would otherwise also copy the whole body into the query string.
    const query = opts.platform ? { name, platform: opts.platform } : { name };
    const r = await this.client.dial<{ Id: string }>(`creating container ${name}`, {
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

  async start(id: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`starting container ${id}`, () => docker.getContainer(id).start(), [304]);
  }

  async stop(id: string, timeoutSeconds?: number): Promise<void> {
    const { docker } = await this.client.get();
    const opts = timeoutSeconds === undefined ? {} : { t: Math.max(0, Math.round(timeoutSeconds)) };
    await this.client.call(`stopping container ${id}`, () => docker.getContainer(id).stop(opts), [304]);
  }

  async kill(id: string, signal?: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`killing container ${id}`, () => docker.getContainer(id).kill(signal ? { signal } : {}));
  }

  async remove(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`removing container ${id}`, () =>
      docker.getContainer(id).remove({ force: opts.force ?? false, v: opts.volumes ?? false }));
  }

  async rename(id: string, name: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`renaming container ${id} to ${name}`, () => docker.getContainer(id).rename({ name }));
  }

  async pause(id: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`pausing container ${id}`, () => docker.getContainer(id).pause());
  }

  async unpause(id: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`unpausing container ${id}`, () => docker.getContainer(id).unpause());
  }

  async wait(id: string, signal?: AbortSignal): Promise<number> {
    const { docker } = await this.client.get();
    // Its own signal: a wait per container all hang off the command's one signal (see onAbort).
    const own = signal ? childSignal(signal) : undefined;
    const r = readWait(await this.client.call(`waiting for container ${id}`, () =>
      docker.getContainer(id).wait(own ? { abortSignal: own.signal } : {})).finally(() => own?.release()));
    if (r.error) throw new TugError('engine_error', `waiting for container ${id}: ${r.error}`);
    return r.statusCode;
  }

  async *logs(id: string, opts: LogOptions): AsyncGenerator<LogLine> {
    if (opts.signal?.aborted) return;
    const tty = Boolean((await this.inspect(id)).config.Tty);
    yield* readLogs(this.client, id, opts, tty);
  }

  async top(id: string, psArgs?: string): Promise<ProcessList> {
    return readProcessList(await this.client.dial(`listing the processes of container ${id}`, {
      path: `/containers/${encodeURIComponent(id)}/top?`, method: 'GET', options: psArgs ? { ps_args: psArgs } : {}, statusCodes: { 200: true },
    }));
  }

  async stats(id: string): Promise<ContainerStats> {
    return readStats(await this.client.dial(`reading the resource use of container ${id}`, {
      path: `/containers/${encodeURIComponent(id)}/stats?`, method: 'GET', options: { stream: false }, statusCodes: { 200: true },
    }));
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
}
