/**
 * The Docker Engine API's container shapes, as tug sends and reads them: the body of
 * `POST /containers/create` and the parts of `GET /containers/{id}/json` tug looks at.
 * Field names are the API's own (PascalCase), so a body can be checked against the API
 * reference line by line. Only what tug uses is typed; every field is optional because the
 * engine fills in defaults for what is left out.
 */

export interface HealthConfig {
  Test?: string[];
  /** Nanoseconds. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  /** API 1.44+. */
  StartInterval?: number;
  Retries?: number;
}

export interface RestartPolicy {
  /** '' (no), always, unless-stopped, on-failure. */
  Name: string;
  MaximumRetryCount?: number;
}

export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'image' | 'cluster';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Subpath?: string; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
  ImageOptions?: { Subpath?: string };
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

export interface DeviceRequest {
  Driver?: string;
  /** -1: every matching device. */
  Count?: number;
  DeviceIDs?: string[];
  Capabilities?: string[][];
  Options?: Record<string, unknown>;
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** CPU, memory, pids, devices and block IO: the resource part of HostConfig. */
export interface ResourceConfig {
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimeRuntime?: number;
  CpuRealtimePeriod?: number;
  CpusetCpus?: string;
  CpuCount?: number;
  CpuPercent?: number;
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number;
  OomKillDisable?: boolean;
  OomScoreAdj?: number;
  PidsLimit?: number;
  Devices?: DeviceMapping[];
  DeviceCgroupRules?: string[];
  DeviceRequests?: DeviceRequest[];
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[];
  BlkioDeviceReadBps?: ThrottleDevice[];
  BlkioDeviceWriteBps?: ThrottleDevice[];
  BlkioDeviceReadIOps?: ThrottleDevice[];
  BlkioDeviceWriteIOps?: ThrottleDevice[];
}

export interface HostConfig extends ResourceConfig {
  Binds?: string[];
  Mounts?: MountSpec[];
  Tmpfs?: Record<string, string>;
  VolumesFrom?: string[];
  PortBindings?: Record<string, PortBinding[]>;
  NetworkMode?: string;
  Links?: string[];
  ExtraHosts?: string[];
  Dns?: string[];
  DnsOptions?: string[];
  DnsSearch?: string[];
  RestartPolicy?: RestartPolicy;
  LogConfig?: { Type: string; Config: Record<string, string> };
  Annotations?: Record<string, string>;
  CapAdd?: string[];
  CapDrop?: string[];
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[];
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  Sysctls?: Record<string, string>;
  Ulimits?: Ulimit[];
  ShmSize?: number;
  Init?: boolean;
  GroupAdd?: string[];
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  CgroupnsMode?: string;
  CgroupParent?: string;
  Isolation?: string;
  Runtime?: string;
  StorageOpt?: Record<string, string>;
  /** The engine removes the container once it stops (`run --rm -d`). */
  AutoRemove?: boolean;
}

export interface EndpointSettings {
  Aliases?: string[];
  Links?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  MacAddress?: string;
  DriverOpts?: Record<string, string>;
  /** API 1.48+. */
  GwPriority?: number;
}

/** What `Config` holds in an inspect, and the top level of a create body. */
export interface ContainerConfig {
  Image?: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Domainname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  StopSignal?: string;
  /** Seconds. */
  StopTimeout?: number;
  Healthcheck?: HealthConfig;
  /** Below API 1.44 the only place for a MAC address. */
  MacAddress?: string;
}

export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointSettings> };
}
