/**
 * The normalised project: what a stack file means, independent of how it was written.
 *
 * Keys keep the Compose Specification's snake_case names so that `tug config` can print the
 * model as it is and users recognise every key. Normalisation guarantees: short syntaxes are
 * expanded to long ones, environment/labels are maps, paths are absolute, durations are
 * canonical Go-style strings (`1m30s`), byte sizes are numbers of bytes, cpus are numbers.
 */

export type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOn {
  condition: Condition;
  required: boolean;
  restart: boolean;
}

export interface PortMapping {
  target: number;
  /** A single port or a range `8000-8010`; absent when the engine picks one. */
  published?: string;
  host_ip?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
  name?: string;
  app_protocol?: string;
}

export interface ServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  /** Volume name, absolute host path, or absent for an anonymous volume / tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z' };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string>;
  priority?: number;
  gw_priority?: number;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  tags?: string[];
  platforms?: string[];
  network?: string;
  shm_size?: number;
  extra_hosts?: Record<string, string[]>;
  additional_contexts?: Record<string, string>;
  cache_from?: string[];
  cache_to?: string[];
  no_cache?: boolean;
  /** Build stages not to take from the cache. */
  no_cache_filter?: string[];
  pull?: boolean;
  secrets?: FileReference[];
  ssh?: string[];
  isolation?: string;
  privileged?: boolean;
  ulimits?: Record<string, Ulimit>;
}

export interface Ulimit {
  soft: number;
  hard: number;
}

export interface ResourceSpec {
  cpus?: number;
  memory?: number;
  pids?: number;
  devices?: unknown[];
  generic_resources?: unknown[];
}

export interface DeployConfig {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  endpoint_mode?: string;
  resources?: { limits?: ResourceSpec; reservations?: ResourceSpec };
  restart_policy?: { condition?: string; delay?: string; max_attempts?: number; window?: string };
  update_config?: Record<string, unknown>;
  rollback_config?: Record<string, unknown>;
  placement?: { constraints?: string[]; preferences?: { spread: string }[]; max_replicas_per_node?: number };
}

/** What a `develop.watch` rule does when a file under its path changes. */
export type WatchAction = 'sync' | 'sync+restart' | 'sync+exec' | 'rebuild' | 'restart';

/** The command a `sync+exec` rule runs in each container after syncing (Compose's service hook). */
export interface WatchExec {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
}

/** One `develop.watch` rule; `path` is absolute on the host, `ignore`/`include` are relative to it. */
export interface WatchRule {
  path: string;
  action: WatchAction;
  /** Where `path` lands in the container (sync actions). */
  target?: string;
  ignore?: string[];
  include?: string[];
  initial_sync?: boolean;
  exec?: WatchExec;
  extensions?: Record<string, unknown>;
}

export interface DevelopConfig {
  watch?: WatchRule[];
  extensions?: Record<string, unknown>;
}

export interface Logging {
  driver?: string;
  options?: Record<string, string>;
}

/** A command run in a service's running container: after it starts (post_start), before it stops (pre_stop). */
export interface ServiceHook {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  /** Added to the container's environment for this command only. */
  environment?: Record<string, string | null>;
}

/** A pre_start step: a one-off container run to completion before the service's containers start. */
export interface PreStartHook {
  /** Absent: the image's own command. */
  command?: string[];
  /** Absent: the service's image. */
  image?: string;
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  /** Added to (and overriding) the service's environment. */
  environment?: Record<string, string | null>;
  per_replica?: boolean;
}

export interface Service {
  name: string;
  image?: string;
  build?: BuildConfig;
  pull_policy?: 'always' | 'never' | 'missing' | 'build' | 'if_not_present' | 'daily' | 'weekly';
  platform?: string;
  profiles?: string[];
  /** Replicas wanted by the file (`scale` or `deploy.replicas`), 1 when neither is given. */
  scale: number;
  container_name?: string;
  hostname?: string;
  domainname?: string;
  command?: string[] | null;
  entrypoint?: string[] | null;
  working_dir?: string;
  user?: string;
  environment: Record<string, string | null>;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ports: PortMapping[];
  expose?: string[];
  volumes: ServiceVolume[];
  volumes_from?: string[];
  tmpfs?: string[];
  depends_on: Record<string, DependsOn>;
  links?: string[];
  external_links?: string[];
  network_mode?: string;
  /** Absent when `network_mode` is set; otherwise at least `default`. */
  networks: Record<string, ServiceNetwork | null>;
  extra_hosts?: Record<string, string[]>;
  dns?: string[];
  dns_opt?: string[];
  dns_search?: string[];
  mac_address?: string;
  healthcheck?: Healthcheck;
  restart?: string;
  stop_signal?: string;
  stop_grace_period?: string;
  init?: boolean;
  tty?: boolean;
  stdin_open?: boolean;
  privileged?: boolean;
  read_only?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  sysctls?: Record<string, string>;
  ulimits?: Record<string, Ulimit>;
  shm_size?: number;
  devices?: { source: string; target: string; permissions: string }[];
  device_cgroup_rules?: string[];
  group_add?: string[];
  ipc?: string;
  pid?: string | null;
  uts?: string;
  userns_mode?: string;
  cgroup?: string;
  cgroup_parent?: string;
  isolation?: string;
  runtime?: string;
  storage_opt?: Record<string, string>;
  logging?: Logging;
  secrets?: FileReference[];
  configs?: FileReference[];
  // CPU and memory: the flat keys and deploy.resources are reconciled in normalise().
  cpus?: number;
  cpu_shares?: number;
  cpu_period?: number;
  cpu_quota?: number;
  cpu_rt_runtime?: string;
  cpu_rt_period?: string;
  cpuset?: string;
  cpu_count?: number;
  cpu_percent?: number;
  mem_limit?: number;
  mem_reservation?: number;
  memswap_limit?: number;
  mem_swappiness?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  pids_limit?: number;
  blkio_config?: Record<string, unknown>;
  deploy?: DeployConfig;
  develop?: DevelopConfig;
  gpus?: unknown;
  models?: Record<string, { endpoint_var?: string; model_var?: string } | null>;
  post_start?: ServiceHook[];
  pre_stop?: ServiceHook[];
  /**
   * Not a container: Compose hands the service's setup and teardown to the provider plugin
   * named by `type` (a model runner, a cloud resource...), passing it `options`.
   */
  provider?: { type: string; options?: Record<string, string | number | boolean | (string | number | boolean)[]> };
  /** Containers run to completion, in order, before the service's container starts. */
  pre_start?: PreStartHook[];
  attach?: boolean;
  label_file?: string[];
  /** `x-*` keys of the service, kept as written. */
  extensions?: Record<string, unknown>;
}

/** One address pool of a network's IPAM config (the schema checks the strings). */
export interface IpamPool {
  subnet?: string;
  ip_range?: string;
  gateway?: string;
  aux_addresses?: Record<string, string>;
}

export interface Network {
  /** The engine-side name: `<project>_<key>` unless `name:` or `external` says otherwise. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: { driver?: string; config?: IpamPool[]; options?: Record<string, string> };
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

export interface Volume {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

export interface FileObject {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  driver?: string;
  driver_opts?: Record<string, string>;
  template_driver?: string;
  labels?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

export interface Model {
  name?: string;
  model: string;
  context_size?: number;
  runtime_flags?: string[];
  extensions?: Record<string, unknown>;
}

export interface Project {
  name: string;
  /** Absolute project directory: relative paths in the files resolve against it. */
  working_dir: string;
  config_files: string[];
  /** Services enabled by the active profiles, keyed by name. */
  services: Record<string, Service>;
  /** Services left out by profiles: known, so a reference to one gets a precise error. */
  disabled_services: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  configs: Record<string, FileObject>;
  secrets: Record<string, FileObject>;
  models?: Record<string, Model>;
  profiles: string[];
  extensions?: Record<string, unknown>;
}
