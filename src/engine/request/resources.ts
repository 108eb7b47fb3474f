/** CPU, memory, pids, devices, GPUs and block IO limits. */
import { ExitCode, TugError } from '../../errors.js';
import { formatPath } from '../../stack/doc-path.js';
import { type Service } from '../../stack/model.js';
import { parseBytes } from '../../stack/units.js';
import type { DeviceRequest, ResourceConfig } from '../api/container.js';
import { type Ctx, micros } from './context.js';
import { type Dict, isPlainObject } from '../../util/dict.js';

export function resources(ctx: Ctx): ResourceConfig {
  const s = ctx.service;
  const devices = (s.devices ?? []).filter((d) => !isCdi(d.source));
  const requests = [...(s.devices ?? []).filter((d) => isCdi(d.source)).map((d) => ({ Driver: 'cdi', DeviceIDs: [d.source] })), ...gpuRequests(s)];
  return {
    NanoCpus: s.cpus === undefined ? undefined : Math.round(s.cpus * 1e9),
    CpuShares: s.cpu_shares,
    CpuPeriod: s.cpu_period,
    CpuQuota: s.cpu_quota,
    CpuRealtimeRuntime: micros(s.name, 'cpu_rt_runtime', s.cpu_rt_runtime),
    CpuRealtimePeriod: micros(s.name, 'cpu_rt_period', s.cpu_rt_period),
    CpusetCpus: s.cpuset,
    CpuCount: s.cpu_count,
    CpuPercent: s.cpu_percent,
    Memory: s.mem_limit,
    MemoryReservation: s.mem_reservation,
    MemorySwap: s.memswap_limit,
    MemorySwappiness: s.mem_swappiness,
    OomKillDisable: s.oom_kill_disable,
    OomScoreAdj: s.oom_score_adj,
    PidsLimit: s.pids_limit,
    Devices: devices.length ? devices.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions })) : undefined,
    DeviceCgroupRules: s.device_cgroup_rules,
    DeviceRequests: requests.length ? requests : undefined,
    ...blkio(s),
  };
}

/** A CDI name such as `nvidia.com/gpu=all` asks for a device by vendor and class, not by path. */
export function isCdi(source: string): boolean {
  return /^[a-z0-9][a-z0-9.-]*\/[a-zA-Z0-9][a-zA-Z0-9._-]*=\S+$/.test(source);
}

export function gpuRequests(s: Service): DeviceRequest[] {
  const out: DeviceRequest[] = [];
  if (s.gpus === 'all') out.push({ Count: -1, Capabilities: [['gpu']] });
  else if (Array.isArray(s.gpus)) for (const g of s.gpus) out.push(deviceRequest(g as Dict, ['gpu']));
  for (const d of s.deploy?.resources?.reservations?.devices ?? []) out.push(deviceRequest(d as Dict, []));
  return out;
}

export function deviceRequest(d: Dict, defaultCaps: string[]): DeviceRequest {
  const ids = Array.isArray(d.device_ids) ? d.device_ids.map(String) : undefined;
  // Neither a count nor ids means every matching device, as `--gpus all`.
  const count = d.count === 'all' || (d.count === undefined && ids === undefined) ? -1 : d.count === undefined ? undefined : Number(d.count);
  const caps = Array.isArray(d.capabilities) ? d.capabilities.map(String) : defaultCaps;
  return {
    Driver: typeof d.driver === 'string' ? d.driver : undefined,
    Count: count,
    DeviceIDs: ids,
    Capabilities: [caps],
    Options: isPlainObject(d.options) ? d.options : undefined,
  };
}

export function blkio(s: Service): Partial<ResourceConfig> {
  const b = s.blkio_config;
  if (!b) return {};
  const list = (k: string) => (Array.isArray(b[k]) ? (b[k] as Dict[]) : undefined);
  const rates = (k: string, bytes: boolean) => list(k)?.map((r) => {
    const rate = bytes ? parseBytes(r.rate as string | number) : Number(r.rate);
    if (rate === undefined || !Number.isFinite(rate)) {
      throw new TugError('invalid_blkio', `service "${s.name}": blkio_config.${k}: invalid rate "${String(r.rate)}"`, { exitCode: ExitCode.invalidStack, path: formatPath(['services', s.name, 'blkio_config', k]) });
    }
    return { Path: String(r.path), Rate: rate };
  });
  return {
    BlkioWeight: b.weight === undefined ? undefined : Number(b.weight),
    BlkioWeightDevice: list('weight_device')?.map((w) => ({ Path: String(w.path), Weight: Number(w.weight) })),
    BlkioDeviceReadBps: rates('device_read_bps', true),
    BlkioDeviceWriteBps: rates('device_write_bps', true),
    BlkioDeviceReadIOps: rates('device_read_iops', false),
    BlkioDeviceWriteIOps: rates('device_write_iops', false),
  };
}
