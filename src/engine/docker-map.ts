/**
 * The Engine API's JSON as tug's types. Every field is read defensively: the API adds and
 * renames fields across versions, and a listing carries less than an inspect.
 */
import { TugError } from '../errors.js';
import { parseDuration } from '../stack/units.js';
import {
  LABEL,
  type ContainerDetails,
  type ContainerStats,
  type ContainerState,
  type ContainerSummary,
  type EngineEvent,
  type HealthState,
  type ImageSummary,
  type NetworkSummary,
  type ProcessList,
  type PullProgress,
  type VolumeSummary,
} from './engine.js';

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

function labelled(labels: Record<string, string>): Pick<ContainerSummary, 'service' | 'number' | 'oneoff' | 'configHash'> {
  const n = Number.parseInt(labels[LABEL.number] ?? '', 10);
  return {
    service: labels[LABEL.service] ?? '',
    number: Number.isFinite(n) ? n : 0,
    oneoff: labels[LABEL.oneoff] === 'True',
    ...(labels[LABEL.configHash] !== undefined ? { configHash: labels[LABEL.configHash] } : {}),
  };
}

export function toSummary(c: Json): ContainerSummary {
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
    ...(c.ImageID ? { imageId: String(c.ImageID) } : {}),
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

export function toDetails(c: Json): ContainerDetails {
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

/** Inspect has no "Up 3 seconds"; this is the closest honest text. */
function statusText(state: ContainerState, exitCode: number, health: HealthState): string {
  const base = state === 'running' ? 'Up' : state === 'exited' ? `Exited (${exitCode})` : state[0]!.toUpperCase() + state.slice(1);
  return health === 'none' ? base : `${base} (${health === 'starting' ? 'health: starting' : health})`;
}

export function toNetwork(n: Json): NetworkSummary {
  return {
    id: String(n.Id),
    name: String(n.Name),
    labels: n.Labels ?? {},
    driver: String(n.Driver ?? ''),
    containers: Object.keys(n.Containers ?? {}),
  };
}

export function toVolume(v: Json): VolumeSummary {
  return { name: String(v.Name), labels: v.Labels ?? {}, driver: String(v.Driver ?? '') };
}

export function toEvent(e: Json): EngineEvent {
  return {
    type: String(e.Type ?? ''),
    action: String(e.Action ?? e.status ?? ''),
    id: String(e.Actor?.ID ?? e.id ?? ''),
    attributes: e.Actor?.Attributes ?? {},
    timeNano: Number(e.timeNano ?? Number(e.time ?? 0) * 1e9),
  };
}

export function toPullProgress(p: Json): PullProgress {
  const d: Json = p.progressDetail ?? {};
  return {
    status: String(p.status ?? ''),
    ...(p.id !== undefined ? { id: String(p.id) } : {}),
    ...(typeof d.current === 'number' ? { current: d.current } : {}),
    ...(typeof d.total === 'number' ? { total: d.total } : {}),
  };
}

export function toImage(i: Json): ImageSummary {
  const tags = ((i.RepoTags ?? []) as unknown[]).map(String).filter((t) => t !== '<none>:<none>');
  return { id: String(i.Id), tags, size: Number(i.Size ?? 0), created: Number(i.Created ?? 0) };
}

export function toProcessList(t: Json): ProcessList {
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
export function toStats(s: Json): ContainerStats {
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
  return (t / 1000).toFixed(3);
}
