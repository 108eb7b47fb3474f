/** Volumes, binds, tmpfs, and secrets/configs as mounts or copies. */
import { isAbsolute, relative, resolve as resolvePath, sep } from 'node:path';
import { ExitCode, TugError } from '../../errors.js';
import { formatPath } from '../../stack/doc-path.js';
import { LABEL } from '../../labels.js';
import { type FileObject, type FileReference, type ServiceVolume } from '../../stack/model.js';
import type { MountSpec } from '../api/container.js';
import { apiAtLeast } from '../api-version.js';
import type { ContainerDetails, FileToCopy } from '../types.js';
import type { ContainerPlan } from './context.js';
import { type Ctx, prune, unsupported } from './context.js';

export function volumeMounts(ctx: Ctx): { binds: string[]; mounts: MountSpec[] } {
  const binds: string[] = [];
  const mounts: MountSpec[] = [];
  for (const v of ctx.service.volumes) {
    if (v.type === 'bind' && v.source !== undefined) warnRemoteBind(ctx, v.source, `bind mount of ${v.target}`);
    const bind = v.type === 'bind' ? bindString(ctx, v) : undefined;
    if (bind !== undefined) binds.push(bind);
    else mounts.push(volumeMount(ctx, v));
  }
  return { binds, mounts };
}

/**
 * A relative bind source was made absolute against the project directory on this machine, but
 * a remote engine mounts whatever is at that path on its own machine: usually nothing (an
 * empty directory is created), or something else.
 */
function warnRemoteBind(ctx: Ctx, source: string, what: string): void {
  const engine = ctx.opts.remoteEngine;
  const dir = ctx.project.working_dir;
  if (engine === undefined || !dir || (source !== dir && !source.startsWith(dir.endsWith(sep) ? dir : dir + sep))) return;
  const shown = `./${relative(dir, source)}`.replace(/\/$/, '');
  ctx.warnings.push(`service "${ctx.service.name}": ${what} from ${shown} names ${source} on the engine's machine (${engine}), not on this one: `
    + 'the files there are mounted, or an empty directory is made. Copy the files there, or use a volume');
}

/** Binds auto-create a missing host directory, which is what create_host_path asks for. */
export function bindString(ctx: Ctx, v: ServiceVolume): string | undefined {
  const b = v.bind ?? {};
  const recursive = (b as { recursive?: string }).recursive;
  if (!b.create_host_path || (recursive !== undefined && recursive !== 'enabled')) return undefined;
  const modes = [v.read_only ? 'ro' : undefined, b.selinux, b.propagation].filter((m) => m !== undefined);
  return `${v.source ?? ''}:${v.target}${modes.length ? `:${modes.join(',')}` : ''}`;
}

export function volumeMount(ctx: Ctx, v: ServiceVolume): MountSpec {
  const { service, opts, project } = ctx;
  const key = 'volumes';
  const api = opts.apiVersion;
  const base = { Target: v.target, ReadOnly: v.read_only || undefined };
  switch (v.type) {
    case 'volume': {
      if (v.volume?.subpath !== undefined && !apiAtLeast(api, '1.45')) {
        throw unsupported(service.name, key, `volume subpath (at ${v.target}) needs Engine API 1.45 (Docker 26); the engine speaks ${api}`, 'upgrade the engine or mount the whole volume');
      }
      const declared = v.source === undefined ? undefined : project.volumes[v.source];
      const labels = volumeLabels(ctx, v.source, declared);
      const options = prune<NonNullable<MountSpec['VolumeOptions']>>({
        NoCopy: v.volume?.nocopy || undefined, Subpath: v.volume?.subpath, Labels: labels,
      });
      const source = v.source === undefined ? undefined : declared?.name ?? v.source;
      return { Type: 'volume', Source: source, ...base, VolumeOptions: Object.keys(options).length ? options : undefined };
    }
    case 'bind': {
      const b = v.bind ?? {};
      const recursive = (b as { recursive?: string }).recursive;
      // Relabelling exists only in the Binds form, which cannot express the options that sent us here.
      if (b.selinux !== undefined) {
        throw b.create_host_path
          ? unsupported(service.name, key, `SELinux relabelling (${b.selinux}) of ${v.target} cannot be combined with bind.recursive: ${recursive}`, 'drop one of them')
          : unsupported(service.name, key, `SELinux relabelling (${b.selinux}) of ${v.target} only works with create_host_path: true`, 'set bind.create_host_path: true or drop the z/Z option');
      }
      if ((recursive === 'writable' || recursive === 'readonly') && !apiAtLeast(api, '1.44')) {
        throw unsupported(service.name, key, `bind.recursive: ${recursive} needs Engine API 1.44 (Docker 25); the engine speaks ${api}`);
      }
      const options = prune<NonNullable<MountSpec['BindOptions']>>({
        Propagation: b.propagation,
        NonRecursive: recursive === 'disabled' || undefined,
        ReadOnlyNonRecursive: recursive === 'writable' || undefined,
        ReadOnlyForceRecursive: recursive === 'readonly' || undefined,
      });
      return { Type: 'bind', Source: v.source, ...base, BindOptions: Object.keys(options).length ? options : undefined };
    }
    case 'tmpfs': {
      const t = v.tmpfs;
      const mode = typeof t?.mode === 'string' ? parseInt(t.mode, 8) : t?.mode;
      const options = t && (t.size !== undefined || mode !== undefined) ? { SizeBytes: t.size, Mode: mode } : undefined;
      return { Type: 'tmpfs', ...base, TmpfsOptions: options };
    }
    case 'npipe':
      return { Type: 'npipe', Source: v.source, ...base };
    case 'image':
      if (!apiAtLeast(api, '1.48')) {
        throw unsupported(service.name, key, `image mounts (at ${v.target}) need Engine API 1.48 (Docker 28); the engine speaks ${api}`, 'upgrade the engine');
      }
      return { Type: 'image', Source: v.source, ...base, ImageOptions: v.image?.subpath !== undefined ? { Subpath: v.image.subpath } : undefined };
    case 'cluster':
      throw unsupported(service.name, key, `cluster volumes (at ${v.target}) exist only in swarm mode`, 'use a named volume');
  }
}

/**
 * The labels a volume gets when the engine makes it for this mount: an anonymous volume
 * (no source) the project's and the service's, so that `down -v`, `rm -v` and a scale-down
 * can find it by label once it is mounted by name (a replacement takes it over by name, and
 * the engine's own `rm -v` then leaves it); a volume of the project's own the labels its
 * create gives it. An external volume, or one the engine has already, keeps its own.
 */
function volumeLabels(ctx: Ctx, key: string | undefined, declared: { external?: boolean } | undefined): Record<string, string> | undefined {
  const { project, service } = ctx;
  if (key === undefined) {
    return { [LABEL.project]: project.name, [LABEL.service]: service.name, [LABEL.managedBy]: 'tug' };
  }
  if (!declared || declared.external) return undefined;
  return { [LABEL.project]: project.name, [LABEL.volume]: key, [LABEL.managedBy]: 'tug' };
}

export interface ResolvedRef {
  kind: 'secrets' | 'configs';
  ref: FileReference;
  obj: FileObject;
  target: string;
}

export function fileRefs(ctx: Ctx): ResolvedRef[] {
  const out: ResolvedRef[] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    for (const ref of ctx.service[kind] ?? []) {
      const obj = ctx.project[kind][ref.source];
      const noun = kind.slice(0, -1);
      if (!obj) {
        throw new TugError(kind === 'secrets' ? 'undefined_secret' : 'undefined_config', `service "${ctx.service.name}" uses ${noun} "${ref.source}", which is not declared under the top-level ${kind}:`,
          { exitCode: ExitCode.invalidStack, path: formatPath(['services', ctx.service.name, kind]) });
      }
      if (obj.external) {
        throw unsupported(ctx.service.name, `${kind}.${ref.source}`, `external ${kind} live in a swarm`, `declare it with file:, environment: or content: instead`);
      }
      const target = ref.target ?? (kind === 'secrets' ? `/run/secrets/${ref.source}` : `/${ref.source}`);
      out.push({ kind, ref, obj, target });
    }
  }
  return out;
}

export function fileMounts(ctx: Ctx): MountSpec[] {
  return fileRefs(ctx).flatMap(({ kind, ref, obj, target }): MountSpec[] => {
    if (obj.file === undefined) return [];
    if (ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined) {
      ctx.warnings.push(`service "${ctx.service.name}": uid, gid and mode of ${kind.slice(0, -1)} "${ref.source}" are ignored: a file is bind-mounted as it is on the host`);
    }
    const source = isAbsolute(obj.file) ? obj.file : resolvePath(ctx.project.working_dir, obj.file);
    warnRemoteBind(ctx, source, `${kind.slice(0, -1)} "${ref.source}" (a file, bind-mounted)`);
    return [{ Type: 'bind', Source: source, Target: target, ReadOnly: true }];
  });
}

export function fileCopies(ctx: Ctx): FileToCopy[] {
  return fileRefs(ctx).flatMap(({ kind, ref, obj, target }): FileToCopy[] => {
    if (obj.file !== undefined) return [];
    let content = obj.content;
    if (content === undefined && obj.environment !== undefined) {
      content = ctx.opts.secretEnv?.[obj.environment];
      if (content === undefined) {
        throw new TugError('missing_variable', `${kind.slice(0, -1)} "${ref.source}" of service "${ctx.service.name}" reads variable ${obj.environment}, which is not set`,
          { exitCode: ExitCode.invalidStack, path: formatPath([kind, ref.source, 'environment']), hint: `export ${obj.environment} before running tug` });
      }
    }
    if (content === undefined) return [];
    const copy: FileToCopy = { path: target, content, mode: ref.mode ?? 0o444 };
    if (ref.uid !== undefined) copy.uid = Number(ref.uid);
    if (ref.gid !== undefined) copy.gid = Number(ref.gid);
    return [copy];
  });
}

/**
 * The replacement of a container takes over its anonymous volumes, so recreating loses no
 * data: each anonymous volume mount (no Source) gets the old container's volume at its target.
 */
export function keepAnonymousVolumes(plan: ContainerPlan, old: ContainerDetails['mounts']): ContainerPlan {
  const byTarget = new Map(old.filter((m) => m.type === 'volume' && m.name).map((m) => [m.destination, m.name!]));
  const mounts = plan.body.HostConfig?.Mounts;
  if (!mounts?.some((m) => m.Type === 'volume' && m.Source === undefined && byTarget.has(m.Target))) return plan;
  const kept = mounts.map((m) => (m.Type === 'volume' && m.Source === undefined && byTarget.has(m.Target) ? { ...m, Source: byTarget.get(m.Target)! } : m));
  return { ...plan, body: { ...plan.body, HostConfig: { ...plan.body.HostConfig, Mounts: kept } } };
}
