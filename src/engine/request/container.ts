/** The container create body: everything that is not storage, networking or resources. */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { ExitCode, TugError } from '../../errors.js';
import { formatPath } from '../../stack/doc-path.js';
import { type Project, type Service } from '../../stack/model.js';
import type { ContainerCreateBody, HealthConfig, PortBinding, RestartPolicy } from '../api/container.js';
import { apiAtLeast } from '../api-version.js';
import { type ContainerPlan, type ContainerSpecOptions, type Ctx, nanos, prune, unsupported } from './context.js';
import { containerName, labels, serviceImage } from './identity.js';
import { healthConfig } from './health.js';
import { refuseUnsupported } from './keys.js';
import { namespaceMode, networking } from './network.js';
import { resources } from './resources.js';
import { fileCopies, fileMounts, volumeMounts } from './storage.js';

export function containerSpec(project: Project, service: Service, opts: ContainerSpecOptions): ContainerPlan {
  const ctx: Ctx = { project, service, opts, warnings: [] };
  refuseUnsupported(service);
  // Both arrived in API 1.41 (Docker 20.10); an older engine would ignore them without a word.
  if (service.cgroup !== undefined && !apiAtLeast(opts.apiVersion, '1.41')) {
    throw unsupported(service.name, 'cgroup', `cgroup: ${service.cgroup} needs Engine API 1.41 (Docker 20.10); the engine speaks ${opts.apiVersion}`, 'upgrade the engine or remove cgroup');
  }
  if (service.platform !== undefined && !apiAtLeast(opts.apiVersion, '1.41')) {
    throw unsupported(service.name, 'platform', `platform needs Engine API 1.41 (Docker 20.10); the engine speaks ${opts.apiVersion}`, 'upgrade the engine or remove platform');
  }
  const image = serviceImage(project, service);
  const mounts = volumeMounts(ctx);
  const files = fileMounts(ctx);
  const net = networking(ctx);
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  for (const e of service.expose ?? []) for (const key of exposeKeys(service.name, e)) exposed[key] = {};
  const security = securityOpts(ctx);
  const mac = service.mac_address !== undefined && !net.macOnEndpoint ? service.mac_address : undefined;

  const body: ContainerCreateBody = {
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
    StopTimeout: stopTimeout(service),
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
    body: prune(body),
    networks: net.later,
    copies: fileCopies(ctx),
    ...(service.platform !== undefined ? { platform: service.platform } : {}),
    warnings: ctx.warnings,
  };
}

/**
 * Docker's own default: what the stop signal gets before SIGKILL when the service gives no
 * stop_grace_period. Always written, because an engine left to choose may choose otherwise
 * (Podman's compat API gives a container created without one 0 s: an instant SIGKILL).
 */
export const DEFAULT_STOP_TIMEOUT = 10;

/** Seconds, rounded up. Not in the config hash, which is the model's: the default changes no container. */
export function stopTimeout(service: Service): number {
  const grace = service.stop_grace_period;
  return grace === undefined ? DEFAULT_STOP_TIMEOUT : Math.ceil(nanos(service.name, 'stop_grace_period', grace) / 1e9);
}

export function healthcheck(ctx: Ctx): HealthConfig | undefined {
  return healthConfig(ctx.service, ctx.opts.apiVersion, 'engine', (message) => ctx.warnings.push(message));
}

export function restartPolicy(service: Service): RestartPolicy | undefined {
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

export function annotations(ctx: Ctx): Record<string, string> | undefined {
  const a = ctx.service.annotations;
  if (!a || Object.keys(a).length === 0) return undefined;
  if (!apiAtLeast(ctx.opts.apiVersion, '1.43')) {
    throw unsupported(ctx.service.name, 'annotations', `annotations need Engine API 1.43 (Docker 24); the engine speaks ${ctx.opts.apiVersion}`, 'upgrade the engine or remove annotations');
  }
  return a;
}

export function exposeKeys(service: string, e: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(e.trim());
  if (!m) throw new TugError('invalid_port', `service "${service}": expose: invalid port "${e}"`, { exitCode: ExitCode.invalidStack, path: formatPath(['services', service, 'expose']) });
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

export function tmpfsMap(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const t of list) {
    const colon = t.indexOf(':');
    if (colon < 0) out[t] = '';
    else out[t.slice(0, colon)] = t.slice(colon + 1);
  }
  return out;
}

export function volumesFrom(v: string, resolve: (s: string) => string): string {
  if (v.startsWith('container:')) return v.slice('container:'.length);
  const [svc = '', mode] = v.split(':');
  return mode === undefined ? resolve(svc) : `${resolve(svc)}:${mode}`;
}

export function securityOpts(ctx: Ctx): { opts?: string[]; unconfinedPaths: boolean } {
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
        { exitCode: ExitCode.invalidStack, path: formatPath(['services', ctx.service.name, 'security_opt']), cause: err });
    }
    out.push(`seccomp=${profile}`);
  }
  return { opts: out, unconfinedPaths };
}
