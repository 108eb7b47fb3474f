/** volumes: and tmpfs: as swarm mounts. */
import { type Mount } from '../engine/api/swarm.js';
import { type ServiceVolume } from '../stack/model.js';
import { parseBytes } from '../stack/units.js';
import { type Ctx, STACK_LABEL, invalid, needApi, nonEmpty, prune, refuse, warn } from './context.js';

export function mounts(ctx: Ctx): Mount[] | undefined {
  const out = [...ctx.service.volumes.map((v) => volumeMount(ctx, v)), ...(ctx.service.tmpfs ?? []).map((t) => tmpfsMount(ctx, t))];
  const seen = new Set<string>();
  for (const m of out) {
    // The node's engine rejects the task, not the manager the service: say it before deploying.
    if (seen.has(m.Target)) throw invalid(ctx.service.name, 'volumes', `two mounts have the target ${m.Target}`);
    seen.add(m.Target);
  }
  const binds = out.filter((m) => m.Type === 'bind').map((m) => m.Source ?? '');
  if (binds.length) {
    warn(ctx, 'volumes', `bind mounts read paths on the node that runs each task, and swarm does not create them: ${binds.join(', ')} must exist on every node the service may run on`, 'swarm_bind_mount');
  }
  return nonEmpty(out);
}

function volumeMount(ctx: Ctx, v: ServiceVolume): Mount {
  const { service, project } = ctx;
  const key = 'volumes';
  const base = { Target: v.target, ReadOnly: v.read_only ? true : undefined };
  switch (v.type) {
    case 'volume': {
      if (v.source === undefined) return prune({ Type: 'volume', ...base, VolumeOptions: v.volume?.nocopy ? { NoCopy: true } : undefined });
      const vol = project.volumes[v.source];
      if (!vol) throw invalid(service.name, key, `volume "${v.source}" is not declared under the top-level volumes:`);
      if (v.volume?.subpath !== undefined) needApi(ctx, key, '1.45', `volume subpath (at ${v.target})`);
      // The first task on each node creates the volume there, so the stack's labels and driver go with every mount.
      const owned = !vol.external;
      const driver = owned && (vol.driver !== undefined || vol.driver_opts !== undefined) ? { Name: vol.driver, Options: vol.driver_opts } : undefined;
      return prune({
        Type: 'volume',
        Source: vol.name,
        ...base,
        VolumeOptions: {
          NoCopy: v.volume?.nocopy ? true : undefined,
          Subpath: v.volume?.subpath,
          Labels: owned ? { ...vol.labels, [STACK_LABEL.namespace]: project.name } : undefined,
          DriverConfig: driver,
        },
      });
    }
    case 'bind': {
      const b = v.bind ?? {};
      const recursive = (b as { recursive?: string }).recursive;
      if (b.selinux !== undefined) throw refuse(service.name, key, `swarm bind mounts cannot relabel for SELinux (${b.selinux} at ${v.target})`, 'relabel the host path on the nodes, or use a volume');
      // The manager keeps only Propagation and NonRecursive of a bind's options; the rest would vanish.
      if (recursive === 'writable' || recursive === 'readonly') {
        throw refuse(service.name, key, `bind.recursive: ${recursive} (at ${v.target}) is dropped by the swarm manager`, 'use recursive: enabled or disabled');
      }
      const options = prune({ Propagation: b.propagation, NonRecursive: recursive === 'disabled' ? true : undefined });
      return prune({ Type: 'bind', Source: v.source, ...base, BindOptions: Object.keys(options).length ? options : undefined });
    }
    case 'tmpfs': {
      const t = v.tmpfs;
      const mode = typeof t?.mode === 'string' ? parseInt(t.mode, 8) : t?.mode;
      return prune({ Type: 'tmpfs', ...base, TmpfsOptions: t && (t.size !== undefined || mode !== undefined) ? { SizeBytes: t.size, Mode: mode } : undefined });
    }
    case 'npipe':
      return prune({ Type: 'npipe', Source: v.source, ...base });
    case 'cluster': {
      // A `group:` source names a CSI volume group, which is not the stack's to namespace.
      const source = v.source === undefined || v.source.startsWith('group:') ? v.source : project.volumes[v.source]?.name ?? v.source;
      return prune({ Type: 'cluster', Source: source, ...base, ClusterOptions: {} });
    }
    case 'image':
      throw refuse(service.name, key, `swarm has no image mounts (at ${v.target})`, 'copy the files into the service\'s image, or use a volume');
  }
}

/** `/run:size=64k,mode=1777,noexec`: size and mode are fields; other options need API 1.46. */
function tmpfsMount(ctx: Ctx, spec: string): Mount {
  const colon = spec.indexOf(':');
  const target = colon < 0 ? spec : spec.slice(0, colon);
  const opts = colon < 0 ? [] : spec.slice(colon + 1).split(',').filter((o) => o !== '');
  let size: number | undefined;
  let mode: number | undefined;
  const rest: string[][] = [];
  for (const o of opts) {
    const eq = o.indexOf('=');
    const k = eq < 0 ? o : o.slice(0, eq);
    const val = eq < 0 ? undefined : o.slice(eq + 1);
    if (k === 'size' && val !== undefined) {
      size = parseBytes(val);
      if (size === undefined) throw invalid(ctx.service.name, 'tmpfs', `invalid size "${val}" for ${target}`);
    } else if (k === 'mode' && val !== undefined && /^[0-7]+$/.test(val)) {
      mode = parseInt(val, 8);
    } else {
      rest.push(val === undefined ? [k] : [k, val]);
    }
  }
  if (rest.length) needApi(ctx, 'tmpfs', '1.46', `tmpfs options other than size and mode (${rest.map((r) => r.join('=')).join(',')})`);
  const options = prune({ SizeBytes: size, Mode: mode, Options: nonEmpty(rest) });
  return prune({ Type: 'tmpfs', Target: target, TmpfsOptions: Object.keys(options).length ? options : undefined });
}
