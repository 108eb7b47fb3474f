/**
 * What the engine seam returns: tug's own shapes for the engine's answers, read from the
 * Engine API's JSON in one place (docker/map.ts). Request bodies are in api/.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ContainerConfig, HostConfig } from './api/container.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'starting' | 'healthy' | 'unhealthy' | 'none';

/**
 * A container as the engine lists it. Generic: what its labels mean to Compose is read above
 * the engine (src/plan/observed.ts), so this seam knows nothing of projects or services.
 */
export interface ContainerInfo {
  id: string;
  name: string;
  state: ContainerState;
  /** Human status text, e.g. "Up 3 seconds (healthy)". */
  status: string;
  health: HealthState;
  image: string;
  /** The id of the image the container was created from (`image` is the reference it was given). */
  imageId?: string;
  labels: Record<string, string>;
  /** Unix seconds. */
  created: number;
  ports: PortSummary[];
  /** The command line as the listing shows it (`ps --format json`'s `Command`). */
  command?: string;
  /** Names of the networks it is attached to. */
  networks?: string[];
  /** Each mount's volume name (its source path for a bind) and volume driver. */
  listedMounts?: { name: string; driver?: string }[];
}

export interface PortSummary {
  privatePort: number;
  publicPort?: number;
  ip?: string;
  type: string;
}

/** What `inspect` adds that a listing does not carry. */
export interface ContainerDetails extends ContainerInfo {
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  oomKilled: boolean;
  error?: string;
  /** Last health probe results, newest last. */
  healthLog: { exitCode: number; output: string; start: string; end: string }[];
  /** Mounts as the engine reports them (anonymous volumes carry over on recreate). */
  mounts: { type: string; name?: string; source: string; destination: string }[];
  hostConfig: HostConfig;
  config: ContainerConfig;
}

/** The kinds of object the engine reports events for. */
export type EventType = 'container' | 'network' | 'volume' | 'image' | 'plugin' | 'daemon' | 'service' | 'node' | 'secret' | 'config';

/** One event from the engine's event stream, with the fields tug uses. */
export interface EngineEvent {
  type: EventType;
  /** `create`, `start`, `die`, `health_status: healthy`, `destroy`, ... */
  action: string;
  id: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch, as the engine stamped it. */
  timeNano: number;
}

export interface EventFilter {
  /** `key=value` label filters, all of which must match. */
  labels?: string[];
  type?: EventType[];
  /** Only events for these container ids. */
  containers?: string[];
  /** Past events from this time on (RFC 3339, Unix seconds or a duration such as 10m), then live ones. */
  since?: string;
  /** Events up to this time (same forms); the stream then ends, which is no failure. */
  until?: string;
}

/** What a listing keeps: every `key=value` (or bare `key`) label must match. */
export interface LabelFilter {
  labels?: string[];
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** RFC 3339 time when timestamps were requested. */
  time?: string;
}

/** A line of a swarm service's output, with where it came from. */
export interface ServiceLogLine extends LogLine {
  taskId: string;
  nodeId: string;
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
  /**
   * The engine's own identity (`ID` of `/info`): the same however the engine is reached
   * (two spellings of one socket, a symlink, tcp and ssh to one host). Empty when it gives none.
   */
  id: string;
  apiVersion: string;
  serverVersion: string;
  cpus: number;
  memoryBytes: number;
  swarm: { nodeId?: string; state: string; controlAvailable: boolean };
}

export interface NetworkSummary {
  id: string;
  name: string;
  /** When the engine made it (RFC 3339), to tell duplicates of one name apart. */
  created?: string;
  labels: Record<string, string>;
  driver: string;
  /** Container ids attached. */
  containers: string[];
  /** The attached endpoints' container names, by container id (what inspect reports; listings may leave it out). */
  endpointNames?: Record<string, string>;
}

export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
  driver: string;
}

/** Which builder runs a build: the engine's BuildKit (API `version=2`, with a session), or the classic one. */
export type BuilderKind = 'buildkit' | 'classic';

/** What the engine can build with. */
export interface BuilderSupport {
  /** BuildKit through the Engine API; when false, `why` says what the engine lacks. */
  buildkit: boolean;
  why?: string;
  /** The API version spoken: what BuildKit is handed through it depends on it (shm_size, ulimits: 1.42). */
  apiVersion: string;
}

/** A secret a BuildKit build may mount (`RUN --mount=type=secret,id=...`): a file's content, or a value. */
export interface BuildSecret {
  id: string;
  file?: string;
  value?: string;
}

export interface BuildOptions {
  /** Absolute context directory. */
  context: string;
  /** Relative to the context, or absolute; default `Dockerfile`. */
  dockerfile?: string;
  /** The Dockerfile's text, in place of a file. */
  dockerfileInline?: string;
  tags: string[];
  args?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  noCache?: boolean;
  pull?: boolean;
  /** Default: BuildKit when the engine has it. */
  builder?: BuilderKind;
  /** `os/arch[/variant]`: the one platform to build for. */
  platform?: string;
  /** The network RUN steps join: `default`, `host`, `none` (BuildKit), or any network (classic). */
  network?: string;
  /** `host:ip` entries added to /etc/hosts in RUN steps. */
  extraHosts?: string[];
  /** Bytes of /dev/shm in RUN steps. */
  shmSize?: number;
  ulimits?: { name: string; soft: number; hard: number }[];
  /** Images whose layers (classic) or inline cache (BuildKit) may be reused. */
  cacheFrom?: string[];
  /** BuildKit: write the cache metadata into the image (`cache_to: type=inline`). */
  inlineCache?: boolean;
  /** BuildKit: served through the build's session. */
  secrets?: BuildSecret[];
  /** BuildKit: ssh agent sockets forwarded through the session, by id. */
  ssh?: { id: string; socket: string }[];
  signal?: AbortSignal;
  /** Each line of output: the classic builder's stream; BuildKit's steps as they start, and their output. */
  onProgress?: (line: string) => void;
  /** The step now running (`[2/3] RUN make`, `Step 2/3 : RUN make`), whenever it changes. */
  onStep?: (step: string) => void;
}

/** A file written into a created container (a secret or config given by content). */
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

/** What an image inspect says the image runs on (`Os`, `Architecture`, `Variant`). */
export interface ImagePlatform {
  os: string;
  architecture: string;
  /** `v7` of linux/arm/v7; absent when the engine gives none. */
  variant?: string;
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

