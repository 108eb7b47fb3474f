/**
 * The engine boundary: everything tug asks of a container runtime, in tug's own types.
 * `docker.ts` implements it with dockerode (the only module that imports it); tests may
 * implement it with a fake to inject faults a real engine cannot produce on demand.
 *
 * The request bodies (`ContainerCreateBody`, ...) are the Docker Engine API's JSON shapes,
 * built by `spec.ts` from the normalised model, so this interface stays thin.
 */

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  dependsOn: 'com.docker.compose.depends_on',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  image: 'com.docker.compose.image',
  replace: 'com.docker.compose.replace',
  /** tug's own: which tool made the resource. */
  managedBy: 'dev.tug.managed-by',
} as const;

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'starting' | 'healthy' | 'unhealthy' | 'none';

/** A container of a project as the engine lists it. */
export interface ContainerSummary {
  id: string;
  name: string;
  service: string;
  number: number;
  oneoff: boolean;
  state: ContainerState;
  /** Human status text, e.g. "Up 3 seconds (healthy)". */
  status: string;
  health: HealthState;
  configHash?: string;
  image: string;
  labels: Record<string, string>;
  created: number;
  ports: { privatePort: number; publicPort?: number; ip?: string; type: string }[];
}

/** What `inspect` adds that a listing does not carry. */
export interface ContainerDetails extends ContainerSummary {
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  oomKilled: boolean;
  error?: string;
  /** Last health probe results, newest last. */
  healthLog: { exitCode: number; output: string; start: string; end: string }[];
  /** Mounts as the engine reports them (anonymous volumes carry over on recreate). */
  mounts: { type: string; name?: string; source: string; destination: string }[];
  hostConfig: Record<string, unknown>;
  config: Record<string, unknown>;
}

/** One event from the engine's event stream, with the fields tug uses. */
export interface EngineEvent {
  type: 'container' | 'network' | 'volume' | 'image' | 'service' | 'node' | string;
  /** `create`, `start`, `die`, `health_status: healthy`, `destroy`, ... */
  action: string;
  id: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch, as the engine stamped it. */
  timeNano: number;
}

export interface EventFilter {
  project?: string;
  type?: string[];
  /** Only events for these container ids. */
  containers?: string[];
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** RFC 3339 time when timestamps were requested. */
  time?: string;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number | 'all';
  since?: string | number;
  until?: string | number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface PullProgress {
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

export interface EngineInfo {
  apiVersion: string;
  serverVersion: string;
  cpus: number;
  memoryBytes: number;
  swarm: { nodeId?: string; state: string; controlAvailable: boolean };
}

export type ContainerCreateBody = Record<string, unknown>;
export type NetworkCreateBody = Record<string, unknown> & { Name: string };
export type VolumeCreateBody = Record<string, unknown> & { Name: string };

export interface NetworkSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  driver: string;
  /** Container ids attached. */
  containers: string[];
}

export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
  driver: string;
}

export interface BuildOptions {
  /** Absolute context directory. */
  context: string;
  dockerfile?: string;
  tags: string[];
  args?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  noCache?: boolean;
  pull?: boolean;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
}

export interface FileToCopy {
  /** Absolute path inside the container. */
  path: string;
  content: string;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface Engine {
  info(): Promise<EngineInfo>;
  /** Highest Engine API version both sides speak, e.g. "1.41". */
  apiVersion(): Promise<string>;

  listContainers(filter: { project?: string; service?: string; all?: boolean; oneoff?: boolean; labels?: string[] }): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerDetails>;
  createContainer(name: string, body: ContainerCreateBody, opts?: { platform?: string }): Promise<string>;
  /** Writes files into a created container (secrets and configs given by content). */
  copyFiles(id: string, files: FileToCopy[]): Promise<void>;
  startContainer(id: string): Promise<void>;
  /** Graceful stop: the stop signal, then SIGKILL after `timeoutSeconds`. */
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  removeContainer(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  /** Resolves with the exit code when the container stops. */
  waitContainer(id: string, signal?: AbortSignal): Promise<number>;
  logs(id: string, opts: LogOptions): AsyncIterable<LogLine>;
  /** Attaches a network to a container with the given endpoint config (aliases, ip...). */
  connectNetwork(network: string, container: string, endpoint: Record<string, unknown>): Promise<void>;

  /**
   * Subscribes to engine events. The returned iterable yields from the moment this call
   * resolves, so a caller that subscribes first and inspects second misses no transition.
   */
  events(filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>>;

  listNetworks(filter: { project?: string; name?: string }): Promise<NetworkSummary[]>;
  createNetwork(body: NetworkCreateBody): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;
  inspectNetwork(idOrName: string): Promise<NetworkSummary | undefined>;

  listVolumes(filter: { project?: string; name?: string }): Promise<VolumeSummary[]>;
  createVolume(body: VolumeCreateBody): Promise<void>;
  removeVolume(name: string): Promise<void>;
  inspectVolume(name: string): Promise<VolumeSummary | undefined>;

  /** Image id, or undefined when the image is not present locally. */
  imageId(ref: string): Promise<string | undefined>;
  /** Pulls, reporting progress; rejects when the stream reports an error. */
  pullImage(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void>;
  removeImage(ref: string): Promise<void>;
  buildImage(opts: BuildOptions): Promise<string>;
}
