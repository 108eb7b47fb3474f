/**
 * The engine boundary: everything tug asks of a container runtime, in tug's own types.
 * `docker.ts` implements it with dockerode (the only module that imports it); tests may
 * implement it with a fake to inject faults a real engine cannot produce on demand.
 *
 * The request bodies (`ContainerCreateBody`, ...) are the Docker Engine API's JSON shapes,
 * built by `spec.ts` from the normalised model, so this interface stays thin.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

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

/** Where a local Docker Engine listens when DOCKER_HOST does not say otherwise. */
export const DEFAULT_SOCKET = '/var/run/docker.sock';

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
  /** The id of the image the container was created from (`image` is the reference it was given). */
  imageId?: string;
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

export interface ExecOptions {
  cmd: string[];
  /** `KEY=value` entries added to the container's environment. */
  env?: string[];
  user?: string;
  workdir?: string;
  tty: boolean;
  /** Keep the process's stdin open, fed from the session's `stdin`. */
  stdin: boolean;
  privileged?: boolean;
  /** Start it and return at once: the session carries no output, `wait()` polls. */
  detach?: boolean;
}

export interface AttachOptions {
  /**
   * Feed the container's stdin (it must have been created with `OpenStdin`; with `StdinOnce`
   * ending `stdin` also ends the container).
   */
  stdin: boolean;
  /** Whether the container was created with a TTY: decides how the output is framed. */
  tty: boolean;
}

/**
 * A process's I/O over one connection to the engine (an exec, or an attach to a container).
 * The output is already split: read `stdout` and `stderr` (both, or the connection stalls on
 * the one left unread); with a TTY everything arrives on `stdout` and `stderr` just ends.
 * Both end when the process's output ends.
 */
export interface ExecSession {
  /**
   * The raw connection. Write stdin to it (or to `stdin`, the same stream) and `end()` it to
   * close the process's stdin; its readable side already feeds `stdout`/`stderr`, do not read it.
   */
  stream: Duplex;
  /** The process's stdin; undefined when the session was opened without stdin. */
  stdin?: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Sets the TTY size; the engine ignores it for a process without a TTY. */
  resize(rows: number, cols: number): Promise<void>;
  /**
   * The exit code, once the output has ended: an exec's from its inspect, an attached
   * container's from waiting for it to stop.
   */
  wait(): Promise<number>;
  /** Drops the connection; the process goes on (an exec's loses its stdin). */
  close(): void;
}

/** A path in a container, as the engine's archive endpoints report it. */
export interface PathStat {
  /** Base name: the name of the archive's root entry (`.` for a path ending in `/.`). */
  name: string;
  size: number;
  /** Go's FileMode bits, permissions in the low 9. */
  mode: number;
  isDir: boolean;
  isSymlink: boolean;
  /** Where a symlink points, as written in it. */
  linkTarget: string;
}

/** One sample of a container's resource use, computed as `docker stats` does. */
export interface ContainerStats {
  /** Of one CPU: 200 means two CPUs fully busy. */
  cpuPercent: number;
  /** Bytes, without the page cache the kernel can drop. */
  memoryUsage: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

/** `docker top`: one row of `titles.length` cells per process. */
export interface ProcessList {
  titles: string[];
  processes: string[][];
}

export interface ImageSummary {
  /** `sha256:...` */
  id: string;
  /** `repo:tag` references; empty for an untagged image. */
  tags: string[];
  /** Bytes. */
  size: number;
  /** Unix seconds. */
  created: number;
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
  /** Runs a process in a running container; resolves once it has started. */
  exec(id: string, opts: ExecOptions): Promise<ExecSession>;
  /**
   * Connects to a container's stdio. Attach before starting it to miss none of its output;
   * `wait()` then resolves when it stops.
   */
  attach(id: string, opts: AttachOptions): Promise<ExecSession>;
  /** Sets a TTY container's terminal size. */
  resizeContainer(id: string, rows: number, cols: number): Promise<void>;
  /** The container's processes, as the engine host's `ps` reports them (`psArgs` default `-ef`). */
  top(id: string, psArgs?: string): Promise<ProcessList>;
  /** One sample of resource use (the engine takes about a second to measure CPU). */
  stats(id: string): Promise<ContainerStats>;
  /** What is at `path` in the container; undefined when nothing is. */
  statPath(id: string, path: string): Promise<PathStat | undefined>;
  /** `path` (file or directory) as a tar stream whose root entry is named `stat.name`. */
  readArchive(id: string, path: string): Promise<{ stat: PathStat; tar: Readable }>;
  /**
   * Extracts a tar stream into the existing directory `dir`. Owned by the container's root
   * unless `copyUidGid`; never replaces a directory with a file or the reverse.
   */
  writeArchive(id: string, dir: string, tar: Readable, opts?: { copyUidGid?: boolean }): Promise<void>;
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
  /** Local images; `references` keeps those matching any of the patterns (`busybox`, `app-*:latest`). */
  listImages(filter?: { references?: string[] }): Promise<ImageSummary[]>;
  /** Adds the reference `target` (`repo[:tag]`, tag default `latest`) to the image `source`. */
  tagImage(source: string, target: string): Promise<void>;
  buildImage(opts: BuildOptions): Promise<string>;
}
