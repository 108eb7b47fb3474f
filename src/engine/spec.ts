/**
 * Pure translation from the normalised model to Docker Engine API request bodies. No I/O and
 * no engine client here, so every mapping is checked by unit tests against the exact JSON the
 * engine receives. A key the local engine cannot honour is refused, never silently dropped:
 * `SERVICE_KEYS` records the decision for every key of `Service`.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { ExitCode, TugError } from '../errors.js';
import type { FileObject, FileReference, Project, Service, ServiceNetwork, ServiceVolume } from '../stack/model.js';
import { parseBytes, parseDuration } from '../stack/units.js';
import { LABEL, type ContainerCreateBody, type NetworkCreateBody, type VolumeCreateBody } from './engine.js';

type Dict = Record<string, unknown>;

/**
 * mapped: translated here. elsewhere: honoured by another module (build, scheduling, logs).
 * ignored: has no meaning for containers on one engine (swarm-only, metadata).
 * refused: present and non-empty makes containerSpec throw `unsupported`.
 */
export type KeyDisposition = 'mapped' | 'ignored' | 'refused' | 'elsewhere';

// Keys the schema accepts that the model does not type: normalise passes them through.
type UntypedKey = 'credential_spec' | 'use_api_socket' | 'provider' | 'pull_refresh_after' | 'driver_opts';

const KEYS = {
  name: 'mapped', image: 'mapped', build: 'elsewhere', pull_policy: 'elsewhere', pull_refresh_after: 'elsewhere',
  platform: 'mapped', profiles: 'elsewhere', scale: 'elsewhere', container_name: 'mapped', hostname: 'mapped',
  domainname: 'mapped', command: 'mapped', entrypoint: 'mapped', working_dir: 'mapped', user: 'mapped',
  environment: 'mapped', labels: 'mapped', annotations: 'mapped', ports: 'mapped', expose: 'mapped',
  volumes: 'mapped', volumes_from: 'mapped', tmpfs: 'mapped', depends_on: 'elsewhere', links: 'mapped',
  external_links: 'refused', network_mode: 'mapped', networks: 'mapped', extra_hosts: 'mapped', dns: 'mapped',
  dns_opt: 'mapped', dns_search: 'mapped', mac_address: 'mapped', healthcheck: 'mapped', restart: 'mapped',
  stop_signal: 'mapped', stop_grace_period: 'mapped', init: 'mapped', tty: 'mapped', stdin_open: 'mapped',
  privileged: 'mapped', read_only: 'mapped', cap_add: 'mapped', cap_drop: 'mapped', security_opt: 'mapped',
  sysctls: 'mapped', ulimits: 'mapped', shm_size: 'mapped', devices: 'mapped', device_cgroup_rules: 'mapped',
  group_add: 'mapped', ipc: 'mapped', pid: 'mapped', uts: 'mapped', userns_mode: 'mapped', cgroup: 'mapped',
  cgroup_parent: 'mapped', isolation: 'mapped', runtime: 'mapped', storage_opt: 'mapped', logging: 'mapped',
  secrets: 'mapped', configs: 'mapped', cpus: 'mapped', cpu_shares: 'mapped', cpu_period: 'mapped',
  cpu_quota: 'mapped', cpu_rt_runtime: 'mapped', cpu_rt_period: 'mapped', cpuset: 'mapped', cpu_count: 'mapped',
  cpu_percent: 'mapped', mem_limit: 'mapped', mem_reservation: 'mapped', memswap_limit: 'mapped',
  mem_swappiness: 'mapped', oom_kill_disable: 'mapped', oom_score_adj: 'mapped', pids_limit: 'mapped',
  blkio_config: 'mapped',
  // restart_policy and reservations.devices are mapped; placement, update/rollback, mode... are swarm-only.
  deploy: 'mapped',
  develop: 'ignored', gpus: 'mapped', models: 'refused', post_start: 'refused', pre_stop: 'refused',
  attach: 'elsewhere', label_file: 'refused', extensions: 'ignored',
  credential_spec: 'refused', use_api_socket: 'refused', provider: 'refused', driver_opts: 'refused',
} as const satisfies Record<keyof Service | UntypedKey, KeyDisposition>;

export const SERVICE_KEYS: Record<string, KeyDisposition> = KEYS;

const REFUSALS: Record<string, { why: string; hint: string }> = {
  external_links: {
    why: 'it needs legacy links to containers outside the project',
    hint: 'attach the service to an external network (networks: { x: { external: true } }) and use the container name',
  },
  models: { why: 'it needs Docker Model Runner', hint: 'run the model as an ordinary service and pass its URL in environment' },
  post_start: { why: 'lifecycle hooks are not implemented yet', hint: 'run the command from the entrypoint instead' },
  pre_stop: { why: 'lifecycle hooks are not implemented yet', hint: 'handle the stop signal in the container instead' },
  label_file: { why: 'label files should have been read when loading', hint: 'move the labels into labels:' },
  credential_spec: { why: 'Windows gMSA credential specs need the swarm or the docker CLI', hint: 'remove credential_spec' },
  use_api_socket: {
    why: 'tug does not hand engine credentials to containers',
    hint: 'bind-mount /var/run/docker.sock explicitly if the service needs the engine',
  },
  provider: { why: 'provider services need Compose provider plugins', hint: 'create the resource outside tug and pass its address in environment' },
  driver_opts: { why: 'service-level driver_opts has no engine equivalent', hint: 'set driver_opts on the attachment under networks:' },
};

export interface ContainerSpecOptions {
  number: number;
  apiVersion: string;
  /** Id of a one-off (`run`) container; its name and labels differ and it gets no service aliases. */
  oneoff?: string;
  hash: string;
  /** target → existing volume name, kept on recreate. */
  anonymousVolumes?: Record<string, string>;
  /** Name of a service's replica 1, for volumes_from, network_mode/ipc/pid `service:x` and links. */
  resolveContainer: (service: string) => string;
  /** tug's version, for the `com.docker.compose.version` label. */
  version: string;
  /** Values of the variables named by `environment:` secrets and configs. */
  secretEnv?: Record<string, string | undefined>;
  /** Image id for the `com.docker.compose.image` label, so an image change is seen; else the reference. */
  imageId?: string;
  /** Register the service name and aliases on each network; default: not for one-off containers, as Compose. */
  useAliases?: boolean;
  /** Reads a seccomp profile named in security_opt, which the engine expects inline. */
  readFile?: (absolutePath: string) => string;
}

export interface FileCopy {
  path: string;
  content: string;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface ContainerPlan {
  name: string;
  body: ContainerCreateBody;
  /** Networks to connect after create and before start (only below API 1.44). */
  networks: { name: string; endpoint: Record<string, unknown> }[];
  /** Secret and config contents to upload after create. */
  copies: FileCopy[];
  /** The create call's `platform` query parameter. */
  platform?: string;
  /** Settings dropped because the engine is too old to understand them and they are only tuning. */
  warnings: string[];
}

export function containerName(project: Project, service: Service, number: number, oneoff?: string): string {
  // A fixed container_name belongs to the service's own container; a `run` container must not clash with it.
  if (oneoff !== undefined) return `${project.name}-${service.name}-run-${oneoff}`;
  if (service.container_name !== undefined) {
    if (number > 1) {
      throw new TugError('container_name_scale', `service "${service.name}": container_name "${service.container_name}" cannot be given to replica ${number}`,
        { exitCode: ExitCode.invalidStack, hint: 'remove container_name or keep the service at one replica' });
    }
    return service.container_name;
  }
  return `${project.name}-${service.name}-${number}`;
}

/** Keys that do not change the container, so changing them must not recreate it. */
const HASH_EXCLUDED = ['scale', 'build', 'pull_policy', 'pull_refresh_after', 'profiles', 'depends_on', 'extensions', 'name', 'attach'];

export function configHash(service: Service): string {
  const copy: Dict = { ...service };
  for (const k of HASH_EXCLUDED) delete copy[k];
  if (service.deploy) {
    const { replicas: _replicas, ...deploy } = service.deploy;
    if (Object.keys(deploy).length > 0) copy.deploy = deploy;
    else delete copy.deploy;
  }
  return createHash('sha256').update(canonicalJson(copy)).digest('hex');
}

function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (!isPlainObject(val)) return val;
    return Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]]));
  });
}

/** Numeric comparison: "1.9" is older than "1.44". */
export function apiAtLeast(apiVersion: string, min: string): boolean {
  const a = apiVersion.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** The image a service runs: its `image`, else the name Compose gives a built one. */
export function serviceImage(project: Project, service: Service): string {
  if (service.image !== undefined) return service.image;
  if (service.build !== undefined) return `${project.name}-${service.name}`;
  throw new TugError('no_image', `service "${service.name}" has neither image nor build`,
    { exitCode: ExitCode.invalidStack, path: `services.${service.name}`, hint: 'add image: or build:' });
}

interface Ctx {
  project: Project;
  service: Service;
  opts: ContainerSpecOptions;
  warnings: string[];
}

export function containerSpec(project: Project, service: Service, opts: ContainerSpecOptions): ContainerPlan {
  const ctx: Ctx = { project, service, opts, warnings: [] };
  refuseUnsupported(service);
  const image = serviceImage(project, service);
  const mounts = volumeMounts(ctx);
  const files = fileMounts(ctx);
  const net = networking(ctx);
  const exposed: Dict = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  for (const e of service.expose ?? []) for (const key of exposeKeys(service.name, e)) exposed[key] = {};
  const security = securityOpts(ctx);
  const mac = service.mac_address !== undefined && !net.macOnEndpoint ? service.mac_address : undefined;

  const body: Dict = {
    Image: image,
    Cmd: service.command ?? undefined,
    Entrypoint: service.entrypoint ?? undefined,
    Env: Object.entries(service.environment).flatMap(([k, v]) => (v === null ? [] : [`${k}=${v}`])),
    WorkingDir: service.working_dir,
    User: service.user,
    Hostname: service.hostname,
    Domainname: service.domainname,
    Tty: service.tty,
    ...(service.stdin_open !== undefined ? { OpenStdin: service.stdin_open, AttachStdin: false } : {}),
    Labels: labels(ctx, image),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    StopSignal: service.stop_signal,
    StopTimeout: service.stop_grace_period === undefined ? undefined : Math.ceil(nanos(service.name, 'stop_grace_period', service.stop_grace_period) / 1e9),
    Healthcheck: healthcheck(ctx),
    MacAddress: mac,
    HostConfig: {
      Binds: mounts.binds.length ? mounts.binds : undefined,
      Mounts: mounts.mounts.length || files.length ? [...mounts.mounts, ...files] : undefined,
      Tmpfs: tmpfsMap(service.tmpfs),
      VolumesFrom: service.volumes_from?.map((v) => volumesFrom(v, opts.resolveContainer)),
      PortBindings: Object.keys(bindings).length ? bindings : undefined,
      NetworkMode: net.mode,
      Links: net.hostLinks,
      ExtraHosts: service.extra_hosts && Object.entries(service.extra_hosts).flatMap(([h, ips]) => ips.map((ip) => `${h}:${ip}`)),
      Dns: service.dns,
      DnsOptions: service.dns_opt,
      DnsSearch: service.dns_search,
      RestartPolicy: restartPolicy(service),
      LogConfig: service.logging && { Type: service.logging.driver ?? '', Config: service.logging.options ?? {} },
      Annotations: annotations(ctx),
      CapAdd: service.cap_add,
      CapDrop: service.cap_drop,
      Privileged: service.privileged,
      ReadonlyRootfs: service.read_only,
      SecurityOpt: security.opts,
      ...(security.unconfinedPaths ? { MaskedPaths: [], ReadonlyPaths: [] } : {}),
      Sysctls: service.sysctls,
      Ulimits: service.ulimits && Object.keys(service.ulimits).sort().map((n) => ({ Name: n, Soft: service.ulimits![n]!.soft, Hard: service.ulimits![n]!.hard })),
      ShmSize: service.shm_size,
      Init: service.init,
      GroupAdd: service.group_add,
      IpcMode: service.ipc === undefined ? undefined : namespaceMode(service.ipc, opts.resolveContainer),
      PidMode: service.pid == null ? undefined : namespaceMode(service.pid, opts.resolveContainer),
      UTSMode: service.uts,
      UsernsMode: service.userns_mode,
      CgroupnsMode: service.cgroup,
      CgroupParent: service.cgroup_parent,
      Isolation: service.isolation,
      Runtime: service.runtime,
      StorageOpt: service.storage_opt,
      ...resources(ctx),
    },
    NetworkingConfig: net.endpoints.length ? { EndpointsConfig: Object.fromEntries(net.endpoints.map((e) => [e.name, e.endpoint])) } : undefined,
  };
  return {
    name: containerName(project, service, opts.number, opts.oneoff),
    body: prune(body) as ContainerCreateBody,
    networks: net.later,
    copies: fileCopies(ctx),
    ...(service.platform !== undefined ? { platform: service.platform } : {}),
    warnings: ctx.warnings,
  };
}

function unsupported(service: string, key: string, why: string, hint?: string): TugError {
  return new TugError('unsupported', `service "${service}": ${key} is not supported by tug: ${why}`,
    { exitCode: ExitCode.invalidStack, path: `services.${service}.${key}`, hint });
}

function refuseUnsupported(service: Service): void {
  for (const [key, value] of Object.entries(service)) {
    const disposition = SERVICE_KEYS[key];
    if (disposition === undefined) {
      if (isEmpty(value)) continue;
      throw unsupported(service.name, key, 'tug does not know this key', 'remove it, or move it under an x- extension key');
    }
    if (disposition !== 'refused' || isEmpty(value)) continue;
    const r = REFUSALS[key] ?? { why: 'it cannot be honoured on a single engine', hint: `remove ${key}` };
    throw unsupported(service.name, key, r.why, r.hint);
  }
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

function labels(ctx: Ctx, image: string): Record<string, string> {
  const { project, service, opts } = ctx;
  // Compose writes `svc:condition:restart`; sorted so the label is stable across loads.
  const deps = Object.keys(service.depends_on).sort().map((d) => {
    const dep = service.depends_on[d]!;
    return `${d}:${dep.condition}:${dep.restart}`;
  });
  return {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.number]: String(opts.number),
    [LABEL.oneoff]: opts.oneoff !== undefined ? 'True' : 'False',
    [LABEL.configHash]: opts.hash,
    [LABEL.workingDir]: project.working_dir,
    [LABEL.configFiles]: project.config_files.join(','),
    [LABEL.dependsOn]: deps.join(','),
    [LABEL.version]: opts.version,
    [LABEL.image]: opts.imageId ?? image,
    [LABEL.managedBy]: 'tug',
  };
}

function nanos(service: string, key: string, d: string): number {
  const ns = parseDuration(d);
  if (ns === undefined) {
    throw new TugError('invalid_duration', `service "${service}": ${key}: invalid duration "${d}"`, { exitCode: ExitCode.invalidStack, path: `services.${service}.${key}` });
  }
  return ns;
}

/** Compose reads a bare number as microseconds and a string as a duration. */
function micros(service: string, key: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (/^\d+$/.test(v)) return Number(v);
  return Math.round(nanos(service, key, v) / 1000);
}

function healthcheck(ctx: Ctx): Dict | undefined {
  const { service, opts } = ctx;
  const h = service.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  const ns = (k: 'interval' | 'timeout' | 'start_period' | 'start_interval') =>
    h[k] === undefined ? undefined : nanos(service.name, `healthcheck.${k}`, h[k]);
  let startInterval = ns('start_interval');
  if (startInterval !== undefined && !apiAtLeast(opts.apiVersion, '1.44')) {
    // Only shortens probing during start_period; the interval still applies, so this degrades safely.
    ctx.warnings.push(`service "${service.name}": healthcheck.start_interval needs Engine API 1.44 (Docker 25); the engine speaks ${opts.apiVersion}, so it is left out`);
    startInterval = undefined;
  }
  return {
    Test: h.test,
    Interval: ns('interval'),
    Timeout: ns('timeout'),
    StartPeriod: ns('start_period'),
    StartInterval: startInterval,
    Retries: h.retries,
  };
}

function restartPolicy(service: Service): Dict | undefined {
  // deploy.restart_policy wins over restart, as in Compose; delay and window have no engine equivalent.
  const rp = service.deploy?.restart_policy;
  if (rp) {
    const condition = rp.condition ?? 'any';
    const name = condition === 'none' || condition === 'no' ? '' : condition === 'any' ? 'always' : condition;
    return { Name: name, MaximumRetryCount: name === 'on-failure' ? rp.max_attempts ?? 0 : 0 };
  }
  if (service.restart === undefined) return undefined;
  const [name = '', count] = service.restart.split(':');
  return { Name: name === 'no' ? '' : name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

function annotations(ctx: Ctx): Record<string, string> | undefined {
  const a = ctx.service.annotations;
  if (!a || Object.keys(a).length === 0) return undefined;
  if (!apiAtLeast(ctx.opts.apiVersion, '1.43')) {
    throw unsupported(ctx.service.name, 'annotations', `annotations need Engine API 1.43 (Docker 24); the engine speaks ${ctx.opts.apiVersion}`, 'upgrade the engine or remove annotations');
  }
  return a;
}

function exposeKeys(service: string, e: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(e.trim());
  if (!m) throw new TugError('invalid_port', `service "${service}": expose: invalid port "${e}"`, { exitCode: ExitCode.invalidStack, path: `services.${service}.expose` });
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

function tmpfsMap(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const t of list) {
    const colon = t.indexOf(':');
    if (colon < 0) out[t] = '';
    else out[t.slice(0, colon)] = t.slice(colon + 1);
  }
  return out;
}

function namespaceMode(mode: string, resolve: (s: string) => string): string {
  return mode.startsWith('service:') ? `container:${resolve(mode.slice('service:'.length))}` : mode;
}

function volumesFrom(v: string, resolve: (s: string) => string): string {
  if (v.startsWith('container:')) return v.slice('container:'.length);
  const [svc = '', mode] = v.split(':');
  return mode === undefined ? resolve(svc) : `${resolve(svc)}:${mode}`;
}

function securityOpts(ctx: Ctx): { opts?: string[]; unconfinedPaths: boolean } {
  const list = ctx.service.security_opt;
  if (!list) return { unconfinedPaths: false };
  const out: string[] = [];
  let unconfinedPaths = false;
  for (const opt of list) {
    if (opt === 'systempaths=unconfined') {
      unconfinedPaths = true;
      continue;
    }
    const sep = /[=:]/.exec(opt);
    const key = sep ? opt.slice(0, sep.index) : opt;
    const value = sep ? opt.slice(sep.index + 1) : '';
    if (key !== 'seccomp' || value === 'unconfined' || value === 'builtin') {
      out.push(opt);
      continue;
    }
    // The engine takes the profile's JSON, not a path; the docker CLI and Compose read the file.
    const path = isAbsolute(value) ? value : resolvePath(ctx.project.working_dir, value);
    if (!ctx.opts.readFile) throw unsupported(ctx.service.name, 'security_opt', `cannot read the seccomp profile ${path} here`);
    let profile: string;
    try {
      profile = JSON.stringify(JSON.parse(ctx.opts.readFile(path)));
    } catch (err) {
      throw new TugError('invalid_seccomp_profile', `service "${ctx.service.name}": seccomp profile ${path} is not readable JSON`,
        { exitCode: ExitCode.invalidStack, path: `services.${ctx.service.name}.security_opt`, cause: err });
    }
    out.push(`seccomp=${profile}`);
  }
  return { opts: out, unconfinedPaths };
}

// ---- storage ----

function volumeMounts(ctx: Ctx): { binds: string[]; mounts: Dict[] } {
  const binds: string[] = [];
  const mounts: Dict[] = [];
  for (const v of ctx.service.volumes) {
    const bind = v.type === 'bind' ? bindString(ctx, v) : undefined;
    if (bind !== undefined) binds.push(bind);
    else mounts.push(volumeMount(ctx, v));
  }
  return { binds, mounts };
}

/** Binds auto-create a missing host directory, which is what create_host_path asks for. */
function bindString(ctx: Ctx, v: ServiceVolume): string | undefined {
  const b = v.bind ?? {};
  const recursive = (b as { recursive?: string }).recursive;
  if (!b.create_host_path || (recursive !== undefined && recursive !== 'enabled')) return undefined;
  const modes = [v.read_only ? 'ro' : undefined, b.selinux, b.propagation].filter((m) => m !== undefined);
  return `${v.source ?? ''}:${v.target}${modes.length ? `:${modes.join(',')}` : ''}`;
}

function volumeMount(ctx: Ctx, v: ServiceVolume): Dict {
  const { service, opts, project } = ctx;
  const key = 'volumes';
  const api = opts.apiVersion;
  const base = { Target: v.target, ReadOnly: v.read_only || undefined };
  switch (v.type) {
    case 'volume': {
      if (v.volume?.subpath !== undefined && !apiAtLeast(api, '1.45')) {
        throw unsupported(service.name, key, `volume subpath (at ${v.target}) needs Engine API 1.45 (Docker 26); the engine speaks ${api}`, 'upgrade the engine or mount the whole volume');
      }
      const options = v.volume && (v.volume.nocopy || v.volume.subpath !== undefined)
        ? { NoCopy: v.volume.nocopy || undefined, Subpath: v.volume.subpath }
        : undefined;
      const source = v.source === undefined ? opts.anonymousVolumes?.[v.target] : project.volumes[v.source]?.name ?? v.source;
      return { Type: 'volume', Source: source, ...base, VolumeOptions: options };
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
      const options = prune({
        Propagation: b.propagation,
        NonRecursive: recursive === 'disabled' || undefined,
        ReadOnlyNonRecursive: recursive === 'writable' || undefined,
        ReadOnlyForceRecursive: recursive === 'readonly' || undefined,
      }) as Dict;
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

interface ResolvedRef {
  kind: 'secrets' | 'configs';
  ref: FileReference;
  obj: FileObject;
  target: string;
}

function fileRefs(ctx: Ctx): ResolvedRef[] {
  const out: ResolvedRef[] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    for (const ref of ctx.service[kind] ?? []) {
      const obj = ctx.project[kind][ref.source];
      const noun = kind.slice(0, -1);
      if (!obj) {
        throw new TugError(`undefined_${noun}`, `service "${ctx.service.name}" uses ${noun} "${ref.source}", which is not declared under the top-level ${kind}:`,
          { exitCode: ExitCode.invalidStack, path: `services.${ctx.service.name}.${kind}` });
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

function fileMounts(ctx: Ctx): Dict[] {
  return fileRefs(ctx).flatMap(({ kind, ref, obj, target }) => {
    if (obj.file === undefined) return [];
    if (ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined) {
      ctx.warnings.push(`service "${ctx.service.name}": uid, gid and mode of ${kind.slice(0, -1)} "${ref.source}" are ignored: a file is bind-mounted as it is on the host`);
    }
    const source = isAbsolute(obj.file) ? obj.file : resolvePath(ctx.project.working_dir, obj.file);
    return [{ Type: 'bind', Source: source, Target: target, ReadOnly: true }];
  });
}

function fileCopies(ctx: Ctx): FileCopy[] {
  return fileRefs(ctx).flatMap(({ kind, ref, obj, target }): FileCopy[] => {
    if (obj.file !== undefined) return [];
    let content = obj.content;
    if (content === undefined && obj.environment !== undefined) {
      content = ctx.opts.secretEnv?.[obj.environment];
      if (content === undefined) {
        throw new TugError('missing_variable', `${kind.slice(0, -1)} "${ref.source}" of service "${ctx.service.name}" reads variable ${obj.environment}, which is not set`,
          { exitCode: ExitCode.invalidStack, path: `${kind}.${ref.source}.environment`, hint: `export ${obj.environment} before running tug` });
      }
    }
    if (content === undefined) return [];
    const copy: FileCopy = { path: target, content, mode: ref.mode ?? 0o444 };
    if (ref.uid !== undefined) copy.uid = Number(ref.uid);
    if (ref.gid !== undefined) copy.gid = Number(ref.gid);
    return [copy];
  });
}

// ---- networks ----

interface Networking {
  mode?: string;
  hostLinks?: string[];
  endpoints: { name: string; endpoint: Dict }[];
  later: { name: string; endpoint: Dict }[];
  macOnEndpoint: boolean;
}

function networking(ctx: Ctx): Networking {
  const { project, service, opts } = ctx;
  const api = opts.apiVersion;
  const links = (service.links ?? []).map((l) => {
    const colon = l.indexOf(':');
    const svc = colon < 0 ? l : l.slice(0, colon);
    return `${opts.resolveContainer(svc)}:${colon < 0 ? svc : l.slice(colon + 1)}`;
  });
  if (service.network_mode !== undefined) {
    // Without user networks links are the legacy bridge kind; the engine rejects them where they make no sense.
    return { mode: namespaceMode(service.network_mode, opts.resolveContainer), hostLinks: links.length ? links : undefined, endpoints: [], later: [], macOnEndpoint: false };
  }
  const entries = Object.entries(service.networks)
    .map(([key, cfg]) => ({ key, cfg: cfg ?? ({} as ServiceNetwork) }))
    .sort((a, b) => (b.cfg.priority ?? 0) - (a.cfg.priority ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const useAliases = opts.useAliases ?? opts.oneoff === undefined;
  // From 1.44 the MAC address belongs to an endpoint; below it only Config.MacAddress exists.
  const macOnEndpoint = apiAtLeast(api, '1.44');
  const all = entries.map(({ key, cfg }, i) => {
    const network = project.networks[key];
    if (!network) {
      throw new TugError('undefined_network', `service "${service.name}" uses network "${key}", which is not declared under the top-level networks:`,
        { exitCode: ExitCode.invalidStack, path: `services.${service.name}.networks` });
    }
    return { name: network.name, endpoint: endpoint(ctx, key, cfg, i === 0 && macOnEndpoint ? service.mac_address : undefined, useAliases, links) };
  });
  const first = all[0];
  const together = apiAtLeast(api, '1.44');
  return {
    mode: first?.name,
    endpoints: together ? all : all.slice(0, 1),
    later: together ? [] : all.slice(1),
    macOnEndpoint,
  };
}

function endpoint(ctx: Ctx, key: string, cfg: ServiceNetwork, serviceMac: string | undefined, useAliases: boolean, links: string[]): Dict {
  const { service, opts } = ctx;
  const api = opts.apiVersion;
  const where = `networks.${key}`;
  if (cfg.mac_address !== undefined && !apiAtLeast(api, '1.44')) {
    throw unsupported(service.name, `${where}.mac_address`, `a per-network MAC address needs Engine API 1.44 (Docker 25); the engine speaks ${api}`, 'use the service-level mac_address');
  }
  if (cfg.gw_priority !== undefined && cfg.gw_priority !== 0 && !apiAtLeast(api, '1.48')) {
    throw unsupported(service.name, `${where}.gw_priority`, `gw_priority needs Engine API 1.48 (Docker 28); the engine speaks ${api}`);
  }
  const ifname = (cfg as { interface_name?: string }).interface_name;
  if (ifname !== undefined && !apiAtLeast(api, '1.49')) {
    throw unsupported(service.name, `${where}.interface_name`, `interface_name needs Engine API 1.49 (Docker 28.1); the engine speaks ${api}`);
  }
  const driverOpts = { ...cfg.driver_opts, ...(ifname !== undefined ? { 'com.docker.network.endpoint.ifname': ifname } : {}) };
  const hasIpam = cfg.ipv4_address !== undefined || cfg.ipv6_address !== undefined || cfg.link_local_ips !== undefined;
  return prune({
    Aliases: useAliases ? [...new Set([service.name, ...(cfg.aliases ?? [])])] : undefined,
    Links: links.length ? links : undefined,
    IPAMConfig: hasIpam ? { IPv4Address: cfg.ipv4_address, IPv6Address: cfg.ipv6_address, LinkLocalIPs: cfg.link_local_ips } : undefined,
    MacAddress: cfg.mac_address ?? serviceMac,
    DriverOpts: Object.keys(driverOpts).length ? driverOpts : undefined,
    GwPriority: cfg.gw_priority,
  }) as Dict;
}

// ---- CPU, memory, devices ----

function resources(ctx: Ctx): Dict {
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
function isCdi(source: string): boolean {
  return /^[a-z0-9][a-z0-9.-]*\/[a-zA-Z0-9][a-zA-Z0-9._-]*=\S+$/.test(source);
}

function gpuRequests(s: Service): Dict[] {
  const out: Dict[] = [];
  if (s.gpus === 'all') out.push({ Count: -1, Capabilities: [['gpu']] });
  else if (Array.isArray(s.gpus)) for (const g of s.gpus) out.push(deviceRequest(g as Dict, ['gpu']));
  for (const d of s.deploy?.resources?.reservations?.devices ?? []) out.push(deviceRequest(d as Dict, []));
  return out;
}

function deviceRequest(d: Dict, defaultCaps: string[]): Dict {
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

function blkio(s: Service): Dict {
  const b = s.blkio_config;
  if (!b) return {};
  const list = (k: string) => (Array.isArray(b[k]) ? (b[k] as Dict[]) : undefined);
  const rates = (k: string, bytes: boolean) => list(k)?.map((r) => {
    const rate = bytes ? parseBytes(r.rate as string | number) : Number(r.rate);
    if (rate === undefined || !Number.isFinite(rate)) {
      throw new TugError('invalid_blkio', `service "${s.name}": blkio_config.${k}: invalid rate "${String(r.rate)}"`, { exitCode: ExitCode.invalidStack, path: `services.${s.name}.blkio_config.${k}` });
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

// ---- networks and volumes of the project ----

export interface ResourceSpecOptions {
  /** tug's version, for the `com.docker.compose.version` label. */
  version?: string;
  /** Engine API version, to refuse settings an older engine would silently ignore. */
  apiVersion?: string;
}

export function networkSpec(project: Project, key: string, opts: ResourceSpecOptions = {}): NetworkCreateBody {
  const n = project.networks[key];
  if (!n) throw new TugError('undefined_network', `network "${key}" is not declared under the top-level networks:`, { exitCode: ExitCode.invalidStack });
  if (n.external) throw new TugError('external_network', `network "${key}" is external: tug does not create it`, { exitCode: ExitCode.invalidStack, hint: `create it first: docker network create ${n.name}` });
  let enableIPv4 = n.enable_ipv4;
  if (enableIPv4 !== undefined && opts.apiVersion !== undefined && !apiAtLeast(opts.apiVersion, '1.48')) {
    if (!enableIPv4) {
      throw new TugError('unsupported', `network "${key}": enable_ipv4: false needs Engine API 1.48 (Docker 28); the engine speaks ${opts.apiVersion}`,
        { exitCode: ExitCode.invalidStack, path: `networks.${key}.enable_ipv4` });
    }
    enableIPv4 = undefined; // IPv4 is on anyway before 1.48
  }
  const ipam = n.ipam && {
    Driver: n.ipam.driver,
    Config: n.ipam.config?.map((c) => ({ Subnet: c.subnet, IPRange: c.ip_range, Gateway: c.gateway, AuxiliaryAddresses: c.aux_addresses })),
    Options: n.ipam.options,
  };
  return prune({
    Name: n.name,
    CheckDuplicate: true,
    Driver: n.driver,
    Options: n.driver_opts,
    IPAM: ipam,
    Internal: n.internal,
    Attachable: n.attachable,
    EnableIPv4: enableIPv4,
    EnableIPv6: n.enable_ipv6,
    Labels: {
      ...n.labels,
      [LABEL.project]: project.name,
      [LABEL.network]: key,
      ...(opts.version !== undefined ? { [LABEL.version]: opts.version } : {}),
      [LABEL.managedBy]: 'tug',
    },
  }) as NetworkCreateBody;
}

export function volumeSpec(project: Project, key: string, opts: ResourceSpecOptions = {}): VolumeCreateBody {
  const v = project.volumes[key];
  if (!v) throw new TugError('undefined_volume', `volume "${key}" is not declared under the top-level volumes:`, { exitCode: ExitCode.invalidStack });
  if (v.external) throw new TugError('external_volume', `volume "${key}" is external: tug does not create it`, { exitCode: ExitCode.invalidStack, hint: `create it first: docker volume create ${v.name}` });
  return prune({
    Name: v.name,
    Driver: v.driver,
    DriverOpts: v.driver_opts,
    Labels: {
      ...v.labels,
      [LABEL.project]: project.name,
      [LABEL.volume]: key,
      ...(opts.version !== undefined ? { [LABEL.version]: opts.version } : {}),
      [LABEL.managedBy]: 'tug',
    },
  }) as VolumeCreateBody;
}

// ---- helpers ----

function isPlainObject(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops undefined members deeply; empty objects stay, since `ExposedPorts` values must be `{}`. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (!isPlainObject(v)) return v;
  const out: Dict = {};
  for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = prune(val);
  return out;
}
