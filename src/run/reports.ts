/**
 * What the read-only verbs report (`ps`, `images`, `top`, `port`, `ls`, `stats`, `events`,
 * `wait`), gathered from the engine here so that the CLI only formats. Containers removed or
 * stopped between listing and asking are left out rather than failing the report.
 */
import { unlessGone } from '../engine/api-error.js';
import type { ContainerState, ContainerStats, Engine, EngineEvent, ImagePlatform, ImageSummary, ProcessList } from '../engine/engine.js';
import { ExitCode, ServiceFailedError, TugError } from '../errors.js';
import { LABEL } from '../labels.js';
import type { ContainerSummary } from '../plan/observed.js';
import type { Project } from '../stack/model.js';
import { containerEvents, listContainers } from './observe.js';

export type { ContainerStats, EngineEvent, ProcessList } from '../engine/engine.js';
export type { ContainerSummary } from '../plan/observed.js';

export interface ReportQuery {
  /** Only these services; all when empty. */
  services?: readonly string[];
  /** Stopped containers too. */
  all?: boolean;
  /** One-off (`run`) containers too, as `ps` shows them. */
  oneoffs?: boolean;
  /** Only containers in these states (implies `all`). */
  status?: readonly string[];
  /**
   * Each running container's health, as `ps` shows it (default true). Where the engine's
   * listing lacks it (Podman) it is read by inspect, so reports that show no health skip it.
   */
  health?: boolean;
}

/** The project's containers, by service, replica number, then name. */
export async function projectContainers(engine: Engine, project: string, q: ReportQuery = {}): Promise<ContainerSummary[]> {
  const list = await listContainers(engine, {
    project, all: q.all || !!q.status?.length, health: q.health ?? true, ...(q.oneoffs ? {} : { oneoff: false }),
  });
  return list
    .filter((c) => (!q.services?.length || q.services.includes(c.service)) && (!q.status?.length || q.status.includes(c.state)))
    .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number || a.name.localeCompare(b.name));
}

export interface ImageRow {
  container: string;
  service: string;
  repository: string;
  tag: string;
  /** Hex digest without the `sha256:` prefix; empty when the engine no longer has the image. */
  id: string;
  /** Bytes; undefined when the image is gone. */
  size?: number;
  /** When the image was built, Unix seconds; undefined when the image is gone. */
  created?: number;
  /** `os/arch[/variant]` from the image's inspect; undefined when the image is gone. */
  platform?: string;
}

/** `tug images`: the image of each of the project's containers. */
export async function containerImages(engine: Engine, project: string, services?: readonly string[]): Promise<ImageRow[]> {
  const list = await projectContainers(engine, project, { all: true, services, health: false });
  const rows = imageRows(list, list.length ? await engine.images.list() : []);
  // The image list does not say what an image runs on: one inspect per image, as Compose does.
  // Only images the engine still has (those with a size); a vanished one stays `unknown`.
  const ids = [...new Set(rows.filter((r) => r.size !== undefined && r.id !== '').map((r) => r.id))];
  const platforms = new Map(await Promise.all(ids.map(async (id) => [id, await engine.images.platform(`sha256:${id}`)] as const)));
  return rows.map((r) => {
    const p = platforms.get(r.id);
    return p ? { ...r, platform: formatPlatform(p) } : r;
  });
}

/** containerd's platforms.Format, which Compose prints: `os/arch[/variant]`, `unknown` without an os. */
export function formatPlatform(p: ImagePlatform | undefined): string {
  if (!p || p.os === '') return 'unknown';
  return [p.os, p.architecture, p.variant ?? ''].filter((s) => s !== '').join('/');
}

/** `busybox` → busybox:latest; a digest reference stays as it is. */
function withTag(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return ref.includes('@') || ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

function split(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: '<none>' };
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repository: ref, tag: 'latest' };
}

/**
 * One row per container. The repository and tag are the reference the container was created
 * with when the image still carries it, else the image's first tag: an image has many names.
 */
export function imageRows(containers: readonly ContainerSummary[], images: readonly ImageSummary[]): ImageRow[] {
  const byId = new Map(images.map((i) => [i.id, i]));
  return containers.map((c) => {
    const image = c.imageId ? byId.get(c.imageId) : undefined;
    const wanted = withTag(c.image);
    const name = image?.tags.includes(wanted) ? wanted : image?.tags[0] ?? (c.image.startsWith('sha256:') ? undefined : wanted);
    const id = (image?.id ?? c.imageId ?? '').replace(/^sha256:/, '');
    return {
      container: c.name, service: c.service, ...(name ? split(name) : { repository: '<none>', tag: '<none>' }), id,
      ...(image ? { size: image.size, created: image.created } : {}),
    };
  });
}

/** `tug top`: the processes of each running container. */
export async function processes(engine: Engine, project: string, services?: readonly string[]): Promise<{ container: ContainerSummary; top: ProcessList }[]> {
  const list = await projectContainers(engine, project, { services, oneoffs: true, health: false });
  const tops = await Promise.all(list.map(async (c) => ({ container: c, top: await unlessGone(engine.containers.top(c.id)) })));
  return tops.filter((t): t is { container: ContainerSummary; top: ProcessList } => t.top !== undefined);
}

/** `tug stats`: one sample of each container's resource use. */
export async function resourceUse(engine: Engine, project: string, q: Pick<ReportQuery, 'services' | 'all'>): Promise<{ container: ContainerSummary; stats: ContainerStats }[]> {
  const list = await projectContainers(engine, project, { ...q, health: false });
  const samples = await Promise.all(list.map(async (container) => ({ container, stats: await unlessGone(engine.containers.stats(container.id)) })));
  return samples.filter((s): s is { container: ContainerSummary; stats: ContainerStats } => s.stats !== undefined);
}

/**
 * `host_ip:host_port` of the binding of a container port, IPv4 first; undefined when that
 * port is not published.
 */
export function publishedAddress(ports: ContainerSummary['ports'], privatePort: number, protocol: string): string | undefined {
  const bound = ports.filter((p) => p.privatePort === privatePort && p.type === protocol && p.publicPort);
  const best = bound.find((p) => !p.ip?.includes(':')) ?? bound[0];
  if (!best) return undefined;
  const ip = best.ip || '0.0.0.0';
  return `${ip.includes(':') ? `[${ip}]` : ip}:${best.publicPort}`;
}

/** Compose exits 1 when there is no such binding; scripts test for exactly that. */
function notFound(code: 'no_container' | 'no_such_port', message: string, hint?: string): TugError {
  return new TugError(code, message, { exitCode: ExitCode.internal, hint });
}

/** `tug port`: where replica `index` of a service publishes a container port. */
export async function publishedPort(
  engine: Engine, project: string, q: { service: string; index: number; port: number; protocol: string },
): Promise<{ container: string; address: string }> {
  const list = await listContainers(engine, { project, service: q.service, all: true, oneoff: false });
  const container = list.find((c) => c.number === q.index);
  if (!container) {
    throw notFound('no_container', `service "${q.service}" has no container${q.index > 1 ? ` number ${q.index}` : ''}`, 'start it with tug up -d');
  }
  const address = publishedAddress(container.ports, q.port, q.protocol);
  if (!address) {
    const why = container.state === 'running' ? 'is not published' : `is not published: the container is ${container.state}`;
    throw notFound('no_such_port', `port ${q.port}/${q.protocol} of ${container.name} ${why}`);
  }
  return { container: container.name, address };
}

export interface ProjectListing {
  name: string;
  /** `running(3), exited(1)` */
  status: string;
  /** The stack files the containers were created from, comma-separated as in the label. */
  configFiles: string;
  running: number;
}

/** `tug ls`: every project with a container on the engine. */
export async function listProjects(engine: Engine): Promise<ProjectListing[]> {
  return groupProjects(await listContainers(engine, { all: true, labels: [LABEL.project] }));
}

/** Live states first: the status should say at a glance whether the project is up. */
const STATE_ORDER: ContainerState[] = ['running', 'restarting', 'paused', 'created', 'removing', 'exited', 'dead'];

export function formatStatus(counts: ReadonlyMap<string, number>): string {
  const rank = (s: string): number => {
    const i = STATE_ORDER.indexOf(s as ContainerState);
    return i < 0 ? STATE_ORDER.length : i;
  };
  return [...counts].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)).map(([s, n]) => `${s}(${n})`).join(', ');
}

/** The engine's containers grouped by their project label, sorted by project name. */
export function groupProjects(containers: readonly ContainerSummary[]): ProjectListing[] {
  const projects = new Map<string, { counts: Map<string, number>; files: string[] }>();
  for (const c of containers) {
    const name = c.labels[LABEL.project];
    if (!name) continue;
    let p = projects.get(name);
    if (!p) projects.set(name, (p = { counts: new Map(), files: [] }));
    p.counts.set(c.state, (p.counts.get(c.state) ?? 0) + 1);
    for (const f of (c.labels[LABEL.configFiles] ?? '').split(',')) if (f && !p.files.includes(f)) p.files.push(f);
  }
  return [...projects]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => ({ name, status: formatStatus(p.counts), configFiles: p.files.join(','), running: p.counts.get('running') ?? 0 }));
}

/**
 * `tug events`: the project's container events from now on (or from `since`, up to `until`,
 * where the stream ends), of the named services only.
 */
export async function* serviceEvents(
  engine: Engine, project: Project, services: readonly string[] | undefined, signal: AbortSignal, window: { since?: string; until?: string } = {},
): AsyncGenerator<EngineEvent> {
  const wanted = services?.length ? new Set(services) : undefined;
  for await (const e of await containerEvents(engine, project.name, signal, window)) {
    if (!wanted || wanted.has(e.attributes[LABEL.service] ?? '')) yield e;
  }
}

/**
 * `tug wait`: until every container of the services has stopped; resolves with their exit
 * codes in the order of `services`, each reported through `onExit` as it comes.
 */
export async function waitForServices(
  engine: Engine, project: string, services: readonly string[], signal: AbortSignal,
  onExit?: (container: ContainerSummary, code: number) => void,
): Promise<number[]> {
  const all = await listContainers(engine, { project, all: true, oneoff: false });
  const order = (s: string): number => services.indexOf(s);
  const containers = all.filter((c) => order(c.service) >= 0).sort((a, b) => order(a.service) - order(b.service) || a.number - b.number);
  if (containers.length === 0) {
    throw new ServiceFailedError('no_containers', `no container to wait for: ${services.join(', ')} ${services.length === 1 ? 'has' : 'have'} none`,
      'create them first, e.g. with tug up -d');
  }
  return Promise.all(containers.map(async (c) => {
    const code = await engine.containers.wait(c.id, signal);
    onExit?.(c, code);
    return code;
  }));
}
