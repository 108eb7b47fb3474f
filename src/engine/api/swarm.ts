/**
 * The Docker Engine API's swarm shapes, as tug sends and reads them (Engine API 1.41 and later;
 * a field added later says so). Only what tug uses is typed: the manager accepts and returns
 * more, and an unknown member in a response is simply not read.
 *
 * Go's `time.Duration` travels as integer nanoseconds, `os.FileMode` as an integer and `[]byte`
 * as base64, which is why those fields are numbers and strings here.
 */

export interface Version {
  Index: number;
}

/** Name and labels of a service, secret, config or node. */
export interface Annotations {
  Name: string;
  Labels: Record<string, string>;
}

export interface Driver {
  Name?: string;
  Options?: Record<string, string>;
}

// --- ServiceSpec -------------------------------------------------------------------------------


/** A task's healthcheck and ulimits are a container's. */
export type { HealthConfig, Ulimit } from './container.js';
import type { HealthConfig, Ulimit } from './container.js';


export interface DNSConfig {
  Nameservers?: string[];
  Search?: string[];
  Options?: string[];
}

export interface SELinuxContext {
  Disable?: boolean;
  User?: string;
  Role?: string;
  Type?: string;
  Level?: string;
}

export interface Privileges {
  /** Windows only; exactly one of the three. `Config` holds the config's ID. */
  CredentialSpec?: { Config?: string; File?: string; Registry?: string };
  SELinuxContext?: SELinuxContext;
  /** API 1.44. `Profile` is the JSON profile, base64. */
  Seccomp?: { Mode: 'default' | 'unconfined' | 'custom'; Profile?: string };
  /** API 1.44; custom profiles are not supported by swarm. */
  AppArmor?: { Mode: 'default' | 'disabled' };
  /** API 1.44. */
  NoNewPrivileges?: boolean;
}

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';

export interface Mount {
  Type: MountType;
  /** Host path (bind, npipe), volume name (volume, cluster); absent for tmpfs and anonymous volumes. */
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: Driver;
    /** API 1.45. */
    Subpath?: string;
  };
  /** `Options` (API 1.46) are flags and key=value pairs such as `[["noexec"], ["uid", "1000"]]`. */
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] };
  ClusterOptions?: Record<string, never>;
}

/** Where a secret or config appears in the container; a relative `Name` is under /run/secrets (secrets). */
export interface FileTarget {
  Name: string;
  UID: string;
  GID: string;
  Mode: number;
}

export interface SecretReference {
  File: FileTarget;
  /** Required by the manager; unknown until the secret exists, so filled in just before sending. */
  SecretID: string;
  SecretName: string;
}

export interface ConfigReference {
  File?: FileTarget;
  /** A config used by the runtime rather than mounted (credential specs). */
  Runtime?: Record<string, never>;
  ConfigID: string;
  ConfigName: string;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  /** The entrypoint (Compose `entrypoint`). */
  Command?: string[];
  /** The arguments (Compose `command`). */
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Privileges?: Privileges;
  Init?: boolean;
  StopSignal?: string;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopGracePeriod?: number;
  Healthcheck?: HealthConfig;
  /** `IP hostname` lines, as in /etc/hosts. */
  Hosts?: string[];
  DNSConfig?: DNSConfig;
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  Isolation?: string;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: Ulimit[];
  /** API 1.46. */
  OomScoreAdj?: number;
}

export interface GenericResource {
  NamedResourceSpec?: { Kind: string; Value: string };
  DiscreteResourceSpec?: { Kind: string; Value: number };
}

export interface ResourceRequirements {
  Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
  Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: GenericResource[] };
  /** API 1.52: swap on top of the memory limit; -1 unlimited. */
  SwapBytes?: number;
  /** API 1.52. */
  MemorySwappiness?: number;
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  Condition?: RestartCondition;
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface Platform {
  Architecture?: string;
  OS?: string;
}

export interface Placement {
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  MaxReplicas?: number;
  Platforms?: Platform[];
}

export interface NetworkAttachmentConfig {
  Target: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  Resources?: ResourceRequirements;
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: Driver;
  /** A counter: changing it alone redeploys the tasks. */
  ForceUpdate?: number;
}

export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

export interface UpdateConfig {
  Parallelism: number;
  Delay?: number;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface PortConfig {
  Name?: string;
  Protocol: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  /** Absent: the manager picks one (ingress) or the node does (host). */
  PublishedPort?: number;
  PublishMode: 'ingress' | 'host';
}

export interface EndpointSpec {
  Mode?: 'vip' | 'dnsrr';
  Ports?: PortConfig[];
}

export interface ServiceSpec extends Annotations {
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: EndpointSpec;
}

// --- What the manager returns ------------------------------------------------------------------

export type UpdateState = 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

export interface Service {
  ID: string;
  Version: Version;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: { Spec?: EndpointSpec; Ports?: PortConfig[]; VirtualIPs?: { NetworkID: string; Addr: string }[] };
  UpdateStatus?: UpdateStatus;
  /** Present when listed with `status=true`. */
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks: number };
  /** Job-mode services only. */
  JobStatus?: { JobIteration: Version; LastExecution?: string };
}

export interface UpdateStatus {
  State?: UpdateState;
  StartedAt?: string;
  CompletedAt?: string;
  Message?: string;
}

export type TaskState =
  | 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting'
  | 'running' | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

export interface TaskStatus {
  Timestamp?: string;
  State: TaskState;
  Message?: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  /** Ports published in host mode on the task's node. */
  PortStatus?: { Ports?: PortConfig[] };
}

export interface Task {
  ID: string;
  Version?: Version;
  CreatedAt?: string;
  UpdatedAt?: string;
  Labels?: Record<string, string>;
  Spec?: TaskSpec;
  ServiceID: string;
  /** Replicated services number their tasks from 1; global ones have no slot (0 or absent). */
  Slot?: number;
  NodeID?: string;
  Status: TaskStatus;
  DesiredState: TaskState;
  /** Job-mode tasks: which run of the job they belong to. */
  JobIteration?: Version;
}

/** What a node's owner sets: `docker node update` changes these. */
export interface NodeSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Role: 'worker' | 'manager';
  Availability: 'active' | 'pause' | 'drain';
}

export interface Node {
  ID: string;
  Version?: Version;
  Description: {
    Hostname: string;
    Platform?: Platform;
    Resources?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: GenericResource[] };
    Engine?: { EngineVersion?: string; Labels?: Record<string, string> };
  };
  Spec: NodeSpec;
  Status: { State: 'unknown' | 'down' | 'ready' | 'disconnected'; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: 'unknown' | 'unreachable' | 'reachable'; Addr?: string };
}

// --- Secrets, configs, networks ----------------------------------------------------------------

export interface SecretSpec extends Annotations {
  /** base64; absent when a secret driver provides the value. */
  Data?: string;
  Driver?: Driver;
  Templating?: Driver;
}

export interface ConfigSpec extends Annotations {
  /** base64. */
  Data: string;
  Templating?: Driver;
}

export interface Secret {
  ID: string;
  Version: Version;
  Spec: SecretSpec;
}

export interface Config {
  ID: string;
  Version: Version;
  Spec: ConfigSpec;
}

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** The `POST /networks/create` body for a swarm-scoped network. */
export interface NetworkCreateRequest {
  Name: string;
  Driver: string;
  Scope?: 'swarm';
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Driver?: string; Config?: IPAMConfig[]; Options?: Record<string, string> };
  /** API 1.48. */
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Options?: Record<string, string>;
  Labels: Record<string, string>;
}

/** An item of `GET /networks` (note `Id`, not `ID`). */
export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Labels?: Record<string, string>;
}
