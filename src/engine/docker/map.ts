/**
 * The Engine API's JSON as tug's types: the one place that reads the engine's untyped
 * answers. Every field is read defensively: the API adds and renames fields across
 * versions, and a listing carries less than an inspect.
 */
import { TugError } from '../../errors.js';
import { parseDuration } from '../../stack/units.js';
import type {
  ContainerDetails,
  ContainerInfo,
  ContainerStats,
  ContainerState,
  EngineInfo,
  EngineEvent,
  EventType,
  HealthState,
  ImagePlatform,
  ImageSummary,
  NetworkSummary,
  PortSummary,
  ProcessList,
  PullProgress,
  VolumeSummary,
} from '../types.js';

/** Engine JSON, read defensively field by field: the API adds fields across versions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

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

export function readContainerInfo(raw: unknown): ContainerInfo {
  const c = raw as Json;
  const labels: Record<string, string> = c.Labels ?? {};
  const status = String(c.Status ?? '');
  return {
    id: String(c.Id),
    name: String(c.Names?.[0] ?? '').replace(/^\//, ''),
    state: toState(c.State),
    status,
    health: healthFromStatus(status),
    image: String(c.Image ?? ''),
    ...(c.ImageID ? { imageId: String(c.ImageID) } : {}),
    labels,
    created: Number(c.Created ?? 0),
    ports: ((c.Ports ?? []) as Json[]).map((p) => ({
      privatePort: Number(p.PrivatePort),
      ...(p.PublicPort !== undefined ? { publicPort: Number(p.PublicPort) } : {}),
      ...(p.IP ? { ip: String(p.IP) } : {}),
      type: String(p.Type ?? 'tcp'),
    })),
    ...(typeof c.Command === 'string' ? { command: c.Command } : {}),
    ...(c.NetworkSettings?.Networks ? { networks: Object.keys(c.NetworkSettings.Networks as object) } : {}),
    ...(Array.isArray(c.Mounts)
      ? { listedMounts: (c.Mounts as Json[]).map((m) => ({ name: String(m.Name || m.Source || ''), ...(m.Driver ? { driver: String(m.Driver) } : {}) })) }
      : {}),
  };
}

export function readContainer(raw: unknown): ContainerDetails {
  const c = raw as Json;
  const config: Json = c.Config ?? {};
  const labels: Record<string, string> = config.Labels ?? {};
  const s: Json = c.State ?? {};
  const state = toState(s.Status);
  const health: HealthState = s.Health?.Status ? (s.Health.Status as HealthState) : 'none';
  const exitCode = Number(s.ExitCode ?? 0);
  const ports: PortSummary[] = [];
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
    state,
    status: statusText(state, exitCode, health),
    health,
    image: String(config.Image ?? c.Image ?? ''),
    ...(c.Image ? { imageId: String(c.Image) } : {}),
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

/** A listing's status text ("Up 3 seconds") with the health Docker would show in it appended. */
export function withHealthText(status: string, health: HealthState): string {
  if (health === 'none' || /\((healthy|unhealthy|health: starting)\)/.test(status)) return status;
  return `${status} (${health === 'starting' ? 'health: starting' : health})`;
}

/** Inspect has no "Up 3 seconds"; this is the closest honest text. */
function statusText(state: ContainerState, exitCode: number, health: HealthState): string {
  const base = state === 'running' ? 'Up' : state === 'exited' ? `Exited (${exitCode})` : state[0]!.toUpperCase() + state.slice(1);
  return health === 'none' ? base : `${base} (${health === 'starting' ? 'health: starting' : health})`;
}

export function readNetwork(raw: unknown): NetworkSummary {
  const n = raw as Json;
  const attached = (n.Containers ?? {}) as Record<string, { Name?: string }>;
  const names = Object.fromEntries(Object.entries(attached).filter(([, c]) => typeof c?.Name === 'string').map(([id, c]) => [id, c.Name!]));
  return {
    id: String(n.Id),
    name: String(n.Name),
    ...(typeof n.Created === 'string' ? { created: n.Created } : {}),
    labels: n.Labels ?? {},
    driver: String(n.Driver ?? ''),
    containers: Object.keys(attached),
    ...(Object.keys(names).length ? { endpointNames: names } : {}),
  };
}

export function readVolume(raw: unknown): VolumeSummary {
  const v = raw as Json;
  return { name: String(v.Name), labels: v.Labels ?? {}, driver: String(v.Driver ?? '') };
}

const EVENT_TYPES = new Set<string>(['container', 'network', 'volume', 'image', 'plugin', 'daemon', 'service', 'node', 'secret', 'config']);

const HEALTH_STATES = new Set<string>(['starting', 'healthy', 'unhealthy']);

/**
 * Undefined for an event of a kind tug does not know (a newer engine's). Actions read as
 * Docker names them whichever engine sent them: a health event is `health_status: <state>`
 * (Podman sends a bare `health_status` with the state in a `HealthStatus` field or attribute,
 * and one per probe, changed or not: see events.ts), a removed container `destroy`.
 */
export function readEvent(raw: unknown): EngineEvent | undefined {
  const e = raw as Json;
  const type = String(e.Type ?? '');
  if (!EVENT_TYPES.has(type)) return undefined;
  const attributes: Record<string, string> = e.Actor?.Attributes ?? {};
  let action = String(e.Action ?? e.status ?? '');
  // Podman names a container's removal `remove`; Docker (and everything above the seam) `destroy`.
  if (type === 'container' && action === 'remove') action = 'destroy';
  if (action === 'health_status') {
    const state = String(e.HealthStatus ?? attributes.HealthStatus ?? attributes.health_status ?? '').toLowerCase();
    if (HEALTH_STATES.has(state)) action = `health_status: ${state}`;
  }
  return {
    type: type as EventType,
    action,
    id: String(e.Actor?.ID ?? e.id ?? ''),
    attributes,
    timeNano: Number(e.timeNano ?? Number(e.time ?? 0) * 1e9),
  };
}

/** The health state a `health_status: <state>` event reports; undefined for any other event. */
export function eventHealth(action: string): HealthState | undefined {
  if (!action.startsWith('health_status:')) return undefined;
  const state = action.slice('health_status:'.length).trim();
  return HEALTH_STATES.has(state) ? (state as HealthState) : undefined;
}

export function readPullProgress(raw: unknown): PullProgress {
  const p = raw as Json;
  const d: Json = p.progressDetail ?? {};
  return {
    status: String(p.status ?? ''),
    ...(p.id !== undefined ? { id: String(p.id) } : {}),
    ...(typeof d.current === 'number' ? { current: d.current } : {}),
    ...(typeof d.total === 'number' ? { total: d.total } : {}),
  };
}

export function readImage(raw: unknown): ImageSummary {
  const i = raw as Json;
  const tags = ((i.RepoTags ?? []) as unknown[]).map(String).filter((t) => t !== '<none>:<none>');
  return { id: String(i.Id), tags, size: Number(i.Size ?? 0), created: Number(i.Created ?? 0) };
}

export function readProcessList(raw: unknown): ProcessList {
  const t = raw as Json;
  return {
    titles: ((t.Titles ?? []) as unknown[]).map(String),
    processes: ((t.Processes ?? []) as unknown[][]).map((row) => row.map(String)),
  };
}

/**
 * The engine's raw stats → what `docker stats` shows: CPU as a share of one CPU over the
 * engine's own two samples, memory without the inactive page cache (cgroup v1 and v2 name it
 * differently), network and block I/O summed over interfaces and devices.
 */
export function readStats(raw: unknown): ContainerStats {
  const s = raw as Json;
  const cpu = s.cpu_stats ?? {};
  const pre = s.precpu_stats ?? {};
  const cpuDelta = Number(cpu.cpu_usage?.total_usage ?? 0) - Number(pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = Number(cpu.system_cpu_usage ?? 0) - Number(pre.system_cpu_usage ?? 0);
  const cpus = Number(cpu.online_cpus ?? 0) || (cpu.cpu_usage?.percpu_usage ?? []).length || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;

  const mem = s.memory_stats ?? {};
  const detail = mem.stats ?? {};
  const inactive = Number(detail.total_inactive_file ?? detail.inactive_file ?? 0);
  const usage = Number(mem.usage ?? 0);
  const memoryUsage = inactive < usage ? usage - inactive : usage;
  const memoryLimit = Number(mem.limit ?? 0);

  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values((s.networks ?? {}) as Record<string, Json>)) {
    netRx += Number(n.rx_bytes ?? 0);
    netTx += Number(n.tx_bytes ?? 0);
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of (s.blkio_stats?.io_service_bytes_recursive ?? []) as Json[]) {
    const op = String(e.op ?? '').toLowerCase();
    if (op === 'read') blockRead += Number(e.value ?? 0);
    if (op === 'write') blockWrite += Number(e.value ?? 0);
  }
  return {
    cpuPercent, memoryUsage, memoryLimit, memoryPercent: memoryLimit > 0 ? (memoryUsage / memoryLimit) * 100 : 0,
    netRx, netTx, blockRead, blockWrite, pids: Number(s.pids_stats?.current ?? 0),
  };
}

export function splitRef(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port, not a tag.
  if (colon < 0 || ref.indexOf('/', colon) >= 0) return { repo: ref, tag: 'latest' };
  return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/** The API wants Unix seconds; tug also accepts RFC 3339 and durations ago, like the CLI. */
export function unixTime(v: string | number): string {
  if (typeof v === 'number') return String(v);
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  const ago = parseDuration(v);
  if (ago !== undefined) return ((Date.now() * 1e6 - ago) / 1e9).toFixed(9);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new TugError('usage', `not a time: ${v} (use RFC 3339, Unix seconds or a duration like 10m)`);
  // The engine reads the digits after the point as nanoseconds, so there must be nine of them.
  return `${Math.floor(t / 1000)}.${String(((t % 1000) + 1000) % 1000).padStart(3, '0')}000000`;
}

/** `key=value` label filters as the API's `filters` query wants them. */
export function labelFilters(labels: string[] | undefined): Record<string, string[]> {
  return labels?.length ? { label: [...labels] } : {};
}

export function readWait(raw: unknown): { statusCode: number; error?: string } {
  const r = raw as Json;
  return { statusCode: Number(r.StatusCode), ...(r.Error?.Message ? { error: String(r.Error.Message) } : {}) };
}

export function readVolumeList(raw: unknown): VolumeSummary[] {
  const r = raw as Json;
  return ((r.Volumes ?? []) as Json[]).map(readVolume);
}

/** The API version `/version` reports, or undefined when it says none usable. */
export function readApiVersion(raw: unknown): string | undefined {
  const v = raw as Json;
  const server = String(v?.ApiVersion ?? '');
  return /^\d+\.\d+$/.test(server) ? server : undefined;
}

/**
 * Which engine answers: Podman's Docker-compatible API differs from Docker's in ways the seam
 * hides (its container listing omits health and, without `all`, paused containers).
 */
export type EngineFlavour = 'docker' | 'podman';

/**
 * `/_ping`'s headers: the API version (undefined when absent: ask `/version`) and the flavour
 * (Podman adds `Libpod-Api-Version` and says `Server: Libpod/...`).
 */
export function readPing(headers: Record<string, string | string[] | undefined>): { api?: string; flavour: EngineFlavour } {
  const one = (k: string): string => {
    const v = headers[k] ?? headers[k.toLowerCase()];
    return String(Array.isArray(v) ? v[0] ?? '' : v ?? '').trim();
  };
  const api = one('api-version');
  const podman = one('libpod-api-version') !== '' || /^libpod\b/i.test(one('server'));
  return { ...(/^\d+\.\d+$/.test(api) ? { api } : {}), flavour: podman ? 'podman' : 'docker' };
}

/** A pull or build stream answers 200 and reports its failure inside, as a JSON message. */
export function readStreamError(raw: unknown): string | undefined {
  const m = raw as Json;
  const msg = m.errorDetail?.message ?? m.error;
  return msg === undefined || msg === null || msg === '' ? undefined : String(msg).trim();
}

/** One message of a classic build's progress stream. */
export function readBuildMessage(raw: unknown): { error?: string; imageId?: string; stream?: string } {
  const m = raw as Json;
  const error = readStreamError(m);
  return {
    ...(error !== undefined ? { error } : {}),
    ...(typeof m.aux?.ID === 'string' ? { imageId: m.aux.ID } : {}),
    ...(typeof m.stream === 'string' ? { stream: m.stream } : {}),
  };
}

export function readImagePlatform(raw: unknown): ImagePlatform {
  const i = raw as Json;
  return {
    os: typeof i.Os === 'string' ? i.Os : '',
    architecture: typeof i.Architecture === 'string' ? i.Architecture : '',
    ...(typeof i.Variant === 'string' && i.Variant !== '' ? { variant: i.Variant } : {}),
  };
}

export function readImageId(raw: unknown): string {
  const i = raw as Json;
  return String(i.Id);
}

export function readExecCreated(raw: unknown): { id: string } {
  const r = raw as Json;
  return { id: String(r.Id) };
}

/** An exec that has not stopped reads as running; one without a code exits -1. */
export function readExecState(raw: unknown): { running: boolean; exitCode: number } {
  const r = raw as Json;
  return { running: Boolean(r.Running), exitCode: typeof r.ExitCode === 'number' ? r.ExitCode : -1 };
}

export function readInfo(raw: unknown, apiVersion: string): EngineInfo {
  const i = raw as Json;
  return {
    id: typeof i.ID === 'string' ? i.ID : '',
    apiVersion,
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

/**
 * A list the engine answered, in the Engine API's own shape (the swarm types in api/swarm.ts
 * are those shapes): only that it is a list of objects is checked here.
 */
export function readList<T>(raw: unknown): T[] {
  return Array.isArray(raw) ? (raw.filter((x) => x && typeof x === 'object') as T[]) : [];
}

/** The `ID` (or `Id`) a create answers with. */
export function readCreated(raw: unknown): string {
  const r = raw as Json;
  return String(r?.ID ?? r?.Id ?? '');
}

export function readWarnings(raw: unknown): string[] {
  const w = (raw as Json)?.Warnings;
  return Array.isArray(w) ? w.map(String) : [];
}

/**
 * One frame of a service's logs read with `timestamps` and `details`:
 * `<time> com.docker.swarm.node.id=N,com.docker.swarm.service.id=S,com.docker.swarm.task.id=T <text>`.
 */
export function readServiceLogRecord(frame: string): { time?: string; nodeId: string; taskId: string; text: string } {
  let rest = frame;
  let time: string | undefined;
  const sp = rest.indexOf(' ');
  if (sp > 0 && /^\d{4}-\d\d-\d\dT/.test(rest)) {
    time = rest.slice(0, sp);
    rest = rest.slice(sp + 1);
  }
  const details: Record<string, string> = {};
  const sp2 = rest.indexOf(' ');
  const head = sp2 < 0 ? rest : rest.slice(0, sp2);
  if (head.includes('com.docker.swarm.')) {
    for (const kv of head.split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0) details[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    rest = sp2 < 0 ? '' : rest.slice(sp2 + 1);
  }
  return {
    ...(time !== undefined ? { time } : {}),
    nodeId: details['com.docker.swarm.node.id'] ?? '',
    taskId: details['com.docker.swarm.task.id'] ?? '',
    text: rest,
  };
}

export function readDistributionDigest(raw: unknown): string | undefined {
  const d = (raw as Json)?.Descriptor?.digest;
  return typeof d === 'string' && d.startsWith('sha256:') ? d : undefined;
}
