/**
 * The merged, canonical-shaped document becomes a typed Project: strings parsed into numbers,
 * sizes and durations, defaults filled in, resources named, env_file contents read. Every
 * value that cannot be parsed is reported at its line instead of being dropped.
 */
import { split as shellSplit } from 'shlex';
import type { Diagnostic, ErrorCode } from '../errors.js';
import { type Dict, isPlainObject } from '../util/dict.js';
import { UserFileError } from '../util/read-user-file.js';
import { formatPath, type Path } from './doc-path.js';
import { ENV_FILE_FORMATS, envFileProblems, envFileRefusal, readEnvFile } from './dotenv.js';
import type { Lookup } from './interpolate.js';
import type { Locator } from './locate.js';
import type {
  DependsOn, DevelopConfig, FileObject, FileReference, Healthcheck, Network, PortMapping, PreStartHook, Project, Service, ServiceHook,
  ServiceVolume, Volume, WatchExec, WatchRule,
} from './model.js';
import { OBJECT_VALUE } from './object-env.js';
import { listOrDict, stringOrList } from './shapes.js';
import { didYouMean } from './suggest.js';
import { formatDuration, parseBoolean, parseBytes, parseCpus, parseDuration } from './units.js';

export interface NormaliseInput {
  doc: Dict;
  name: string;
  workingDir: string;
  configFiles: string[];
  profiles: string[];
  lookup: Lookup;
  locate: Locator;
  /** Do not read env_file and label_file (LoadOptions.skipEnvironmentFiles). */
  skipEnvironmentFiles?: boolean;
}

export interface NormaliseResult {
  project: Project;
  problems: Diagnostic[];
  /** What secrets' and configs' `environment:` variables held at load time, by variable. */
  objectEnvironment: Record<string, string>;
}

const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
const RESTART_POLICIES = ['no', 'always', 'unless-stopped', 'on-failure'];

export function normalise(input: NormaliseInput): NormaliseResult {
  return new Normaliser(input).run();
}

class Normaliser {
  readonly problems: Diagnostic[] = [];
  readonly objectEnvironment: Record<string, string> = Object.create(null) as Record<string, string>;
  constructor(private readonly input: NormaliseInput) {}

  /** `at`: where to point when the path's index may not be the item's place in any one file. */
  problem(path: Path, code: ErrorCode, message: string, hint?: string, at: Path = path): void {
    this.problems.push({ code, message, path: formatPath(path), location: this.input.locate(at), hint });
  }

  run(): NormaliseResult {
    const { doc, name } = this.input;
    const services: Record<string, Service> = {};
    const disabled: Record<string, Service> = {};
    const active = new Set(this.input.profiles);
    for (const [svcName, raw] of Object.entries(isPlainObject(doc.services) ? doc.services : {})) {
      if (svcName.startsWith('x-')) continue;
      const svc = this.service(svcName, isPlainObject(raw) ? raw : {});
      const enabled = !svc.profiles?.length || svc.profiles.some((p) => active.has(p) || p === '*') || active.has('*');
      (enabled ? services : disabled)[svcName] = svc;
    }
    const project: Project = {
      name,
      working_dir: this.input.workingDir,
      config_files: this.input.configFiles,
      services,
      disabled_services: disabled,
      networks: this.resources('networks', (key, r) => this.network(key, r)),
      volumes: this.resources('volumes', (key, r) => this.volume(key, r)),
      configs: this.resources('configs', (key, r) => this.fileObject(key, r, 'configs')),
      secrets: this.resources('secrets', (key, r) => this.fileObject(key, r, 'secrets')),
      profiles: [...active],
    };
    if (isPlainObject(doc.models)) project.models = doc.models as Project['models'];
    const ext = extensions(doc);
    if (ext) project.extensions = ext;
    const usesDefault = Object.values(services).some((s) => s.network_mode === undefined && 'default' in s.networks);
    if (usesDefault && !project.networks.default) project.networks.default = { name: `${name}_default` };
    return { project, problems: this.problems, objectEnvironment: this.objectEnvironment };
  }

  private resources<T>(kind: string, make: (key: string, raw: Dict) => T): Record<string, T> {
    const all = this.input.doc[kind];
    const out: Record<string, T> = {};
    if (!isPlainObject(all)) return out;
    for (const [key, raw] of Object.entries(all)) if (!key.startsWith('x-')) out[key] = make(key, isPlainObject(raw) ? raw : {});
    return out;
  }

  private named(kind: string, key: string, raw: Dict): { name: string; external?: boolean } {
    // Legacy `external: {name: x}` still appears in real files.
    const legacy = isPlainObject(raw.external) ? raw.external.name : undefined;
    const external = raw.external === undefined ? undefined : isPlainObject(raw.external) || this.bool([kind, key, 'external'], raw.external);
    const explicit = typeof raw.name === 'string' ? raw.name : typeof legacy === 'string' ? legacy : undefined;
    const name = explicit ?? (external ? key : `${this.input.name}_${key}`);
    return external === undefined ? { name } : { name, external };
  }

  private network(key: string, raw: Dict): Network {
    const n: Network = { ...(strip(raw, ['name', 'external']) as Partial<Network>), ...this.named('networks', key, raw) };
    for (const flag of ['internal', 'attachable', 'enable_ipv4', 'enable_ipv6'] as const) {
      if (raw[flag] !== undefined) n[flag] = this.bool(['networks', key, flag], raw[flag]);
    }
    if (raw.driver_opts !== undefined) n.driver_opts = stringMap(raw.driver_opts);
    return withExtensions(n, raw);
  }

  private volume(key: string, raw: Dict): Volume {
    const v: Volume = { ...(strip(raw, ['name', 'external']) as Partial<Volume>), ...this.named('volumes', key, raw) };
    if (raw.driver_opts !== undefined) v.driver_opts = stringMap(raw.driver_opts);
    return withExtensions(v, raw);
  }

  private fileObject(key: string, raw: Dict, kind: string): FileObject {
    const f: FileObject = { ...(strip(raw, ['name', 'external', OBJECT_VALUE]) as Partial<FileObject>), ...this.named(kind, key, raw) };
    if (typeof raw[OBJECT_VALUE] === 'string' && typeof raw.environment === 'string') this.objectEnvironment[raw.environment] = raw[OBJECT_VALUE];
    if (!f.external && f.file === undefined && f.environment === undefined && f.content === undefined) {
      this.problem([kind, key], 'missing_source', `${kind.slice(0, -1)} "${key}" needs one of file, environment, content or external`);
    }
    return withExtensions(f, raw);
  }

  private service(name: string, raw: Dict): Service {
    const at = (...rest: (string | number)[]): Path => ['services', name, ...rest];
    const s: Service = {
      ...(strip(raw, ['env_file', 'extends', 'label_file']) as Partial<Service>),
      name,
      scale: 1,
      environment: this.environment(name, raw),
      labels: this.labels(name, raw),
      ports: this.ports(name, raw.ports),
      volumes: this.volumes(name, raw.volumes),
      depends_on: this.dependsOn(name, raw.depends_on),
      networks: {},
    };
    const ext = extensions(raw);
    for (const k of Object.keys(raw)) if (k.startsWith('x-')) delete (s as unknown as Dict)[k];
    if (ext) s.extensions = ext;
    if (raw.network_mode === undefined) s.networks = (raw.networks as Service['networks']) ?? { default: null };
    else if (raw.networks !== undefined) {
      this.problem(at('networks'), 'network_mode_conflict', `service "${name}" sets both network_mode and networks`, 'keep one of them');
    }
    for (const k of ['command', 'entrypoint'] as const) if (raw[k] !== undefined) s[k] = this.commandLine(at(k), raw[k]);
    for (const k of ['init', 'tty', 'stdin_open', 'privileged', 'read_only', 'oom_kill_disable', 'attach'] as const) {
      if (raw[k] !== undefined) s[k] = this.bool(at(k), raw[k]);
    }
    for (const k of ['cpu_shares', 'cpu_period', 'cpu_quota', 'pids_limit', 'oom_score_adj', 'mem_swappiness', 'cpu_count', 'cpu_percent'] as const) {
      if (raw[k] !== undefined) s[k] = this.int(at(k), raw[k]);
    }
    for (const k of ['mem_limit', 'mem_reservation', 'memswap_limit', 'shm_size'] as const) {
      if (raw[k] !== undefined) s[k] = this.bytes(at(k), raw[k], k === 'memswap_limit');
    }
    if (raw.cpus !== undefined) s.cpus = this.cpus(at('cpus'), raw.cpus);
    if (raw.stop_grace_period !== undefined) s.stop_grace_period = this.duration(at('stop_grace_period'), raw.stop_grace_period);
    if (raw.healthcheck !== undefined) s.healthcheck = this.healthcheck(name, raw.healthcheck as Dict);
    if (raw.restart !== undefined) {
      const r = String(raw.restart);
      if (!RESTART.test(r)) {
        // The policy's name is what a typo hits (`alwayz`, `on-falure:3`), so that is what is compared.
        const [policy, count] = r.split(':');
        const guess = didYouMean(policy!, RESTART_POLICIES);
        const suggestion = guess && `${guess}${guess === 'on-failure' && count !== undefined ? `:${count}` : ''}`;
        this.problem(at('restart'), 'invalid_restart', `services.${name}.restart: invalid value "${r}"${suggestion ? `: did you mean "${suggestion}"?` : ''}`,
          'expected no, always, on-failure[:N] or unless-stopped');
      }
      s.restart = r;
    }
    if (raw.sysctls !== undefined) s.sysctls = stringMap(raw.sysctls);
    if (raw.storage_opt !== undefined) s.storage_opt = stringMap(raw.storage_opt);
    if (raw.secrets !== undefined) s.secrets = this.refs(name, 'secrets', raw.secrets);
    if (raw.configs !== undefined) s.configs = this.refs(name, 'configs', raw.configs);
    if (raw.ulimits !== undefined) s.ulimits = this.ulimits(at('ulimits'), raw.ulimits as Dict);
    if (raw.devices !== undefined) {
      s.devices = (raw.devices as unknown[]).flatMap((d, i) => {
        if (typeof d !== 'string') return [device(d)];
        // compose-go's transformDeviceMapping refuses more than source:target:permissions.
        this.problem(at('devices', i), 'invalid_value', `services.${name}.devices: confusing device mapping ${JSON.stringify(d)}`,
          'use the long syntax: {source: ..., target: ..., permissions: ...}', at('devices', d));
        return [];
      });
    }
    if (raw.expose !== undefined) s.expose = (raw.expose as unknown[]).map(String);
    if (isPlainObject(raw.logging) && isPlainObject(raw.logging.options)) s.logging = { ...raw.logging, options: stringMap(raw.logging.options) };
    if (isPlainObject(raw.build)) s.build = this.build(name, raw.build);
    if (isPlainObject(raw.develop)) s.develop = this.develop(name, raw.develop);
    for (const k of ['post_start', 'pre_stop', 'pre_start'] as const) {
      if (!Array.isArray(raw[k])) continue;
      const hooks = (raw[k] as unknown[]).map((h, i) => this.hook(at(k, i), isPlainObject(h) ? h : {}, k === 'pre_start'));
      (s as unknown as Dict)[k] = hooks;
    }
    if (raw.pid === null) s.pid = null;
    this.resourcesAndScale(name, raw, s);
    return s;
  }

  /** `develop`: lists for `ignore`/`include`, booleans parsed, the exec hook's command split and environment a mapping. */
  private develop(name: string, raw: Dict): DevelopConfig {
    const out: DevelopConfig = withExtensions({}, raw);
    if (!Array.isArray(raw.watch)) return out;
    out.watch = raw.watch.map((w: Dict, i): WatchRule => {
      const at = (...rest: (string | number)[]): Path => ['services', name, 'develop', 'watch', i, ...rest];
      const rule: WatchRule = { path: String(w.path), action: w.action as WatchRule['action'] };
      if (typeof w.target === 'string') rule.target = w.target;
      if (w.ignore !== undefined) rule.ignore = stringOrList(w.ignore);
      if (w.include !== undefined) rule.include = stringOrList(w.include);
      if (w.initial_sync !== undefined) rule.initial_sync = this.bool(at('initial_sync'), w.initial_sync);
      if (isPlainObject(w.exec)) {
        const x = w.exec;
        const exec: WatchExec = { command: this.commandLine(at('exec', 'command'), x.command) ?? [] };
        if (typeof x.user === 'string') exec.user = x.user;
        if (x.privileged !== undefined) exec.privileged = this.bool(at('exec', 'privileged'), x.privileged);
        if (typeof x.working_dir === 'string') exec.working_dir = x.working_dir;
        if (x.environment !== undefined) {
          exec.environment = Object.fromEntries(Object.entries(listOrDict(x.environment)).map(([k, v]) => [k, v === null ? this.input.lookup(k) ?? null : v]));
        }
        rule.exec = exec;
      }
      return withExtensions(rule, w);
    });
    return out;
  }

  /**
   * compose-go's WithServicesEnvironmentResolved: `- NAME` entries take the project
   * environment's value; env_file entries are read in order, each interpolating from the
   * project environment, then the service's own `environment:`, then what earlier lines and
   * files set; the service's own `environment:` wins over every file.
   */
  private environment(name: string, raw: Dict): Record<string, string | null> {
    const own: Record<string, string | null> = {};
    for (const [k, v] of Object.entries((raw.environment as Record<string, string | null>) ?? {})) {
      // `- NAME` with no value takes the variable from the project environment, when set.
      own[k] = v === null ? this.input.lookup(k) ?? null : v;
    }
    const fromFiles = new Map<string, string>();
    const lookup: Lookup = (n) => this.input.lookup(n) ?? (Object.hasOwn(own, n) ? own[n] ?? undefined : undefined);
    const prior: Lookup = (n) => fromFiles.get(n) ?? (Object.hasOwn(own, n) ? own[n] ?? undefined : undefined);
    const files = Array.isArray(raw.env_file) && !this.input.skipEnvironmentFiles ? (raw.env_file as Dict[]) : [];
    files.forEach((f, i) => {
      const file = String(f.path);
      const at: Path = ['services', name, 'env_file', i];
      const required = this.bool([...at, 'required'], f.required ?? true);
      const format = f.format === undefined || f.format === null ? undefined : String(f.format);
      if (format !== undefined && !(ENV_FILE_FORMATS as readonly string[]).includes(format)) {
        this.problem([...at, 'format'], 'invalid_value', `unsupported env_file format ${JSON.stringify(format)}`, 'the formats are .env (the default) and raw');
        return;
      }
      let parsed: ReturnType<typeof readEnvFile>;
      try {
        parsed = readEnvFile(file, lookup, { format, prior });
      } catch (err) {
        if (!(err instanceof UserFileError)) throw err;
        const { code, message } = envFileRefusal(err, `env_file ${file} of service "${name}"`);
        this.problem(at, code, message);
        return;
      }
      if (!parsed) {
        if (required) {
          this.problem(at, 'env_file_not_found', `env file ${file} not found`, 'create it, or mark it `required: false`');
        }
        return;
      }
      for (const p of envFileProblems(file, parsed)) this.problems.push(p);
      for (const [k, v] of Object.entries(parsed.values)) fromFiles.set(k, v);
    });
    return { ...Object.fromEntries(fromFiles), ...own };
  }

  /**
   * compose-go's WithServicesLabelsResolved: each label_file in order (the env file format,
   * interpolated from the labels of earlier files only), then the service's own labels over them.
   */
  private labels(name: string, raw: Dict): Record<string, string> {
    const own = (raw.labels as Record<string, string> | undefined) ?? {};
    if (!Array.isArray(raw.label_file) || this.input.skipEnvironmentFiles) return own;
    const fromFiles = new Map<string, string>();
    (raw.label_file as unknown[]).forEach((f, i) => {
      const file = String(f);
      const at: Path = ['services', name, 'label_file', i];
      let parsed: ReturnType<typeof readEnvFile>;
      try {
        parsed = readEnvFile(file, (n) => fromFiles.get(n));
      } catch (err) {
        if (!(err instanceof UserFileError)) throw err;
        const { code, message } = envFileRefusal(err, `label_file ${file} of service "${name}"`);
        this.problem(at, code, message);
        return;
      }
      if (!parsed) {
        this.problem(at, 'env_file_not_found', `label file ${file} not found`);
        return;
      }
      for (const p of envFileProblems(file, parsed)) this.problems.push(p);
      for (const [k, v] of Object.entries(parsed.values)) fromFiles.set(k, v);
    });
    return { ...Object.fromEntries(fromFiles), ...own };
  }

  private ports(name: string, raw: unknown): PortMapping[] {
    if (!Array.isArray(raw)) return [];
    const out: PortMapping[] = [];
    raw.forEach((p: Dict, i) => {
      const path: Path = ['services', name, 'ports', i];
      if (p.invalid !== undefined) {
        // Indexes shift once ranges expand and files merge; the reader noted each scalar item
        // under its value too, which finds the line the user wrote.
        this.problem(['services', name, 'ports'], 'invalid_port', `services.${name}.ports: invalid port "${String(p.invalid)}"`,
          'expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. "8080:80"', ['services', name, 'ports', String(p.invalid)]);
        return;
      }
      const target = Number(p.target);
      if (!Number.isInteger(target) || target < 1 || target > 65535) {
        this.problem(path, 'invalid_port', `services.${name}.ports: invalid container port "${String(p.target)}"`);
        return;
      }
      const protocol = String(p.protocol ?? 'tcp').toLowerCase();
      if (!['tcp', 'udp', 'sctp'].includes(protocol)) {
        const guess = didYouMean(protocol, ['tcp', 'udp', 'sctp']);
        this.problem(path, 'invalid_port', `services.${name}.ports: invalid protocol "${protocol}"${guess ? `: did you mean "${guess}"?` : ''}`, 'expected tcp, udp or sctp');
        return;
      }
      const m: PortMapping = { target, protocol: protocol as PortMapping['protocol'], mode: p.mode === 'host' ? 'host' : 'ingress' };
      if (p.published !== undefined && p.published !== '') m.published = String(p.published);
      for (const k of ['host_ip', 'name', 'app_protocol'] as const) if (typeof p[k] === 'string') m[k] = p[k] as string;
      out.push(m);
    });
    return out;
  }

  private volumes(name: string, raw: unknown): ServiceVolume[] {
    if (!Array.isArray(raw)) return [];
    const declared = isPlainObject(this.input.doc.volumes) ? this.input.doc.volumes : {};
    return raw.flatMap((v: Dict, i): ServiceVolume[] => {
      const path: Path = ['services', name, 'volumes', i];
      if (v.mode !== undefined) {
        this.problem(path, 'invalid_volume', `services.${name}.volumes: unknown volume option "${String(v.mode)}"`,
          'expected ro, rw, z, Z, nocopy or a propagation mode');
      }
      const vol = { ...v } as unknown as ServiceVolume & Dict;
      delete vol.mode;
      if (vol.type === 'volume' && typeof vol.source === 'string' && vol.source !== '' && !Object.hasOwn(declared, vol.source)) {
        this.problem(path, 'undefined_volume', `service "${name}" uses volume "${vol.source}", which is not declared under the top-level volumes:`,
          `add it: volumes:\n    ${vol.source}: {}`);
      }
      if (vol.type === 'volume' && vol.source === '') delete vol.source;
      if (isPlainObject(vol.tmpfs) && vol.tmpfs.size !== undefined) {
        vol.tmpfs = { ...vol.tmpfs, size: this.bytes([...path, 'tmpfs', 'size'], vol.tmpfs.size, false) };
      }
      if (vol.read_only !== undefined) vol.read_only = this.bool([...path, 'read_only'], vol.read_only);
      return [vol];
    });
  }

  private dependsOn(name: string, raw: unknown): Record<string, DependsOn> {
    const out: Record<string, DependsOn> = {};
    for (const [dep, d] of Object.entries(isPlainObject(raw) ? raw : {})) {
      const dd = d as Dict;
      const at: Path = ['services', name, 'depends_on', dep];
      out[dep] = {
        condition: dd.condition as DependsOn['condition'],
        required: this.bool([...at, 'required'], dd.required ?? true),
        restart: this.bool([...at, 'restart'], dd.restart ?? false),
      };
    }
    return out;
  }

  private refs(name: string, kind: 'secrets' | 'configs', raw: unknown): FileReference[] {
    const declared = isPlainObject(this.input.doc[kind]) ? (this.input.doc[kind] as Dict) : {};
    return (raw as Dict[]).map((r, i) => {
      if (!Object.hasOwn(declared, String(r.source))) {
        this.problem(['services', name, kind, i], kind === 'secrets' ? 'undefined_secret' : 'undefined_config',
          `service "${name}" uses ${kind.slice(0, -1)} "${String(r.source)}", which is not declared under the top-level ${kind}:`);
      }
      const ref: FileReference = { source: String(r.source) };
      if (r.target !== undefined) ref.target = String(r.target);
      if (r.uid !== undefined) ref.uid = String(r.uid);
      if (r.gid !== undefined) ref.gid = String(r.gid);
      if (r.mode !== undefined) ref.mode = typeof r.mode === 'string' ? parseInt(r.mode, 8) : Number(r.mode);
      return ref;
    });
  }

  private healthcheck(name: string, raw: Dict): Healthcheck {
    const at = (k: string): Path => ['services', name, 'healthcheck', k];
    const h: Healthcheck = {};
    if (Array.isArray(raw.test)) h.test = raw.test.map(String);
    for (const k of ['interval', 'timeout', 'start_period', 'start_interval'] as const) {
      if (raw[k] !== undefined) h[k] = this.duration(at(k), raw[k]);
    }
    if (raw.retries !== undefined) h.retries = this.int(at('retries'), raw.retries);
    const disabled = raw.disable !== undefined && this.bool(at('disable'), raw.disable);
    if (disabled || h.test?.[0] === 'NONE') {
      h.disable = true;
      delete h.test;
    }
    return h;
  }

  private build(name: string, raw: Dict): Service['build'] {
    const b = { ...raw } as NonNullable<Service['build']> & Dict;
    if (isPlainObject(raw.args)) {
      // An arg without a value takes the project environment's, when set, and is dropped otherwise:
      // compose-go's Normalize (resolve without keepEmpty), so `config` does not print it either.
      const args: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(raw.args as Record<string, string | null>)) {
        const value = v === null ? this.input.lookup(k) : v;
        if (value !== undefined) args[k] = value;
      }
      b.args = args;
    }
    if (raw.shm_size !== undefined) b.shm_size = this.bytes(['services', name, 'build', 'shm_size'], raw.shm_size, false);
    if (raw.ulimits !== undefined) b.ulimits = this.ulimits(['services', name, 'build', 'ulimits'], raw.ulimits as Dict);
    for (const k of ['no_cache', 'pull', 'privileged'] as const) {
      if (raw[k] !== undefined) b[k] = this.bool(['services', name, 'build', k], raw[k]);
    }
    return b;
  }

  /** A lifecycle hook: its command split as a service's is, its flags parsed, `- NAME` taken from tug's environment. */
  private hook(path: Path, raw: Dict, preStart: boolean): ServiceHook | PreStartHook {
    const h: PreStartHook = {};
    if (raw.command !== undefined && raw.command !== null) h.command = this.commandLine([...path, 'command'], raw.command) ?? [];
    else if (!preStart) this.problem([...path, 'command'], 'invalid_command', `${formatPath(path)}: a hook needs a command`, 'give it command: [...]', path);
    for (const k of ['image', 'user', 'working_dir'] as const) if (typeof raw[k] === 'string') h[k] = raw[k];
    if (raw.privileged !== undefined) h.privileged = this.bool([...path, 'privileged'], raw.privileged);
    if (preStart && raw.per_replica !== undefined) h.per_replica = this.bool([...path, 'per_replica'], raw.per_replica);
    if (isPlainObject(raw.environment)) {
      const env: Record<string, string | null> = {};
      // As compose-go loads hooks: a variable without a value stays without one (and is left out when the hook runs).
      for (const [k, v] of Object.entries(raw.environment as Record<string, string | null>)) env[k] = v;
      h.environment = env;
    }
    return preStart ? h : { ...h, command: h.command ?? [] };
  }

  private ulimits(path: Path, raw: Dict): Record<string, { soft: number; hard: number }> {
    const out: Record<string, { soft: number; hard: number }> = {};
    for (const [k, v] of Object.entries(raw)) {
      const d = v as Dict;
      const soft = this.int([...path, k, 'soft'], d.soft ?? d.hard);
      const hard = this.int([...path, k, 'hard'], d.hard ?? d.soft);
      if (soft > hard) this.problem([...path, k], 'invalid_ulimit', `${formatPath([...path, k])}: soft limit ${soft} is above the hard limit ${hard}`);
      out[k] = { soft, hard };
    }
    return out;
  }

  /** The flat keys and deploy.resources say the same thing twice: both may be set only if they agree. */
  private resourcesAndScale(name: string, raw: Dict, s: Service): void {
    const at = (...rest: string[]): Path => ['services', name, ...rest];
    const deploy = isPlainObject(raw.deploy) ? { ...(raw.deploy as Dict) } : undefined;
    if (deploy) {
      const res = isPlainObject(deploy.resources) ? deploy.resources : {};
      const limits = isPlainObject(res.limits) ? res.limits : {};
      const reserv = isPlainObject(res.reservations) ? res.reservations : {};
      const parse = (section: string, src: Dict) => {
        const out: Dict = { ...src };
        if (src.cpus !== undefined) out.cpus = this.cpus(at('deploy', 'resources', section, 'cpus'), src.cpus);
        if (src.memory !== undefined) out.memory = this.bytes(at('deploy', 'resources', section, 'memory'), src.memory, false);
        if (src.pids !== undefined) out.pids = this.int(at('deploy', 'resources', section, 'pids'), src.pids);
        return out;
      };
      const L = parse('limits', limits);
      const R = parse('reservations', reserv);
      const pairs: [keyof Service, Dict, string, string][] = [
        ['cpus', L, 'cpus', 'limits'], ['mem_limit', L, 'memory', 'limits'], ['pids_limit', L, 'pids', 'limits'],
        ['mem_reservation', R, 'memory', 'reservations'],
      ];
      for (const [flat, sec, key, section] of pairs) {
        const dv = sec[key] as number | undefined;
        if (dv === undefined) continue;
        const fv = s[flat] as number | undefined;
        if (fv !== undefined && fv !== dv) {
          this.problem(at(flat), 'conflicting_limits',
            `service "${name}": ${flat} (${fv}) and deploy.resources.${section}.${key} (${dv}) disagree`, 'set only one of them');
        }
        (s as unknown as Dict)[flat] = dv;
      }
      if (Object.keys(limits).length || Object.keys(reserv).length) deploy.resources = { ...res, limits: L, reservations: R };
      if (deploy.replicas !== undefined) deploy.replicas = this.int(at('deploy', 'replicas'), deploy.replicas);
      if (isPlainObject(deploy.restart_policy)) {
        const rp = { ...deploy.restart_policy };
        for (const k of ['delay', 'window']) if (rp[k] !== undefined) rp[k] = this.duration(at('deploy', 'restart_policy', k), rp[k]);
        deploy.restart_policy = rp;
      }
      s.deploy = deploy as Service['deploy'];
    }
    const scale = raw.scale === undefined ? undefined : this.int(at('scale'), raw.scale);
    const replicas = s.deploy?.replicas;
    if (scale !== undefined && replicas !== undefined && scale !== replicas) {
      this.problem(at('scale'), 'conflicting_scale', `service "${name}": scale (${scale}) and deploy.replicas (${replicas}) disagree`, 'set only one of them');
    }
    s.scale = scale ?? replicas ?? 1;
  }

  private commandLine(path: Path, v: unknown): string[] | null {
    if (v === null) return null;
    if (Array.isArray(v)) return v.map(String);
    try {
      return shellSplit(String(v));
    } catch {
      this.problem(path, 'invalid_command', `${formatPath(path)}: cannot split ${JSON.stringify(v)} into arguments (unbalanced quotes?)`,
        'use the list form, e.g. ["sh", "-c", "..."]');
      return [String(v)];
    }
  }

  private bool(path: Path, v: unknown): boolean {
    const b = parseBoolean(v);
    if (b === undefined) this.problem(path, 'invalid_boolean', `${formatPath(path)}: invalid value ${JSON.stringify(v)}: expected true or false`);
    return b ?? false;
  }

  private int(path: Path, v: unknown): number {
    const n = typeof v === 'number' ? v : /^[-+]?\d+$/.test(String(v).trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n)) this.problem(path, 'invalid_integer', `${formatPath(path)}: invalid value ${JSON.stringify(v)}: expected a whole number`);
    return Number.isInteger(n) ? n : 0;
  }

  private bytes(path: Path, v: unknown, allowMinusOne: boolean): number {
    if (allowMinusOne && (v === -1 || v === '-1')) return -1;
    const n = parseBytes(v as string | number);
    if (n === undefined) this.problem(path, 'invalid_byte_size', `${formatPath(path)}: invalid value ${JSON.stringify(v)}: expected a size like 512m or 1g`);
    return n ?? 0;
  }

  private cpus(path: Path, v: unknown): number {
    const n = parseCpus(v as string | number);
    if (n === undefined) this.problem(path, 'invalid_cpus', `${formatPath(path)}: invalid value ${JSON.stringify(v)}: expected a number of CPUs like 0.5 or 2`);
    return n ?? 0;
  }

  private duration(path: Path, v: unknown): string {
    const ns = parseDuration(v as string | number);
    if (ns === undefined) {
      this.problem(path, 'invalid_duration', `${formatPath(path)}: invalid value ${JSON.stringify(v)}: expected a duration like 30s or 1m30s`);
      return String(v);
    }
    return formatDuration(ns);
  }
}

function strip(raw: Dict, keys: string[]): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(raw)) if (!keys.includes(k) && !k.startsWith('x-')) out[k] = v;
  return out;
}

function extensions(raw: Dict): Record<string, unknown> | undefined {
  const ext = Object.entries(raw).filter(([k]) => k.startsWith('x-'));
  return ext.length ? Object.fromEntries(ext) : undefined;
}

function withExtensions<T extends { extensions?: Record<string, unknown> }>(obj: T, raw: Dict): T {
  const ext = extensions(raw);
  if (ext) obj.extensions = ext;
  return obj;
}

function stringMap(v: unknown): Record<string, string> {
  return listOrDict(v, '') as Record<string, string>;
}

function device(d: unknown): { source: string; target: string; permissions: string } {
  if (isPlainObject(d)) {
    return { source: String(d.source), target: String(d.target ?? d.source), permissions: String(d.permissions ?? 'rwm') };
  }
  const [source = '', target, permissions] = String(d).split(':');
  return { source, target: target || source, permissions: permissions || 'rwm' };
}
