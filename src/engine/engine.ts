/**
 * The engine seam: everything tug asks of a container runtime, in tug's own types, grouped
 * by resource the way testcontainers-node groups its clients. `docker/` implements it with
 * dockerode (the only code that imports it); `test/fake-engine.ts` implements it in memory
 * to inject faults a real engine cannot produce on demand.
 *
 * The seam is a plain Docker Engine client: it filters by the labels it is given and knows
 * nothing of projects or services (that vocabulary is src/labels.ts). Request bodies are the
 * Engine API's own shapes (api/), built purely from the model by request/.
 */
import type { Readable } from 'node:stream';
import type { ContainerCreateBody, EndpointSettings } from './api/container.js';
import type { NetworkCreateBody, VolumeCreateBody } from './api/resources.js';
import type { Config, ConfigSpec, Node, NodeSpec, Secret, SecretSpec, Service, ServiceSpec, Task, TaskState } from './api/swarm.js';
import type {
  AttachOptions, BuildOptions, BuilderSupport, ContainerDetails, ContainerInfo, ContainerStats, EngineEvent, EngineInfo, EventFilter,
  ExecOptions, ExecSession, FileToCopy, ImagePlatform, ImageSummary, LabelFilter, LogLine, LogOptions, NetworkSummary, PathStat,
  ProcessList, PullProgress, ServiceLogLine, VolumeSummary,
} from './types.js';

export interface SystemClient {
  /** Where the engine is, as tug reached it (`unix:///var/run/docker.sock`, `tcp://...`). */
  readonly host: string;
  info(): Promise<EngineInfo>;
  /** Highest Engine API version both sides speak, e.g. "1.41". */
  apiVersion(): Promise<string>;
}

export interface ContainerClient {
  /**
   * Without `all`, the containers that are not stopped (running, paused, restarting). With
   * `health`, each running container's health is known even on an engine whose listing does
   * not carry it (Podman: at the cost of one inspect per running container).
   */
  list(filter: LabelFilter & { all?: boolean; health?: boolean }): Promise<ContainerInfo[]>;
  inspect(id: string): Promise<ContainerDetails>;
  create(name: string, body: ContainerCreateBody, opts?: { platform?: string }): Promise<string>;
  /** Writes files into a created container (secrets and configs given by content). */
  copyFiles(id: string, files: FileToCopy[]): Promise<void>;
  start(id: string): Promise<void>;
  /** Graceful stop: the stop signal, then SIGKILL after `timeoutSeconds`. */
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  remove(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /** Resolves with the exit code when the container stops. */
  wait(id: string, signal?: AbortSignal): Promise<number>;
  logs(id: string, opts: LogOptions): AsyncIterable<LogLine>;
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
}

/** Processes and stdio: exec into a running container, attach to a container's own. */
export interface ExecClient {
  /** Runs a process in a running container; resolves once it has started. */
  start(id: string, opts: ExecOptions): Promise<ExecSession>;
  /**
   * Connects to a container's stdio. Attach before starting it to miss none of its output;
   * `wait()` then resolves when it stops.
   */
  attach(id: string, opts: AttachOptions): Promise<ExecSession>;
  /** Sets a TTY container's terminal size. */
  resize(id: string, rows: number, cols: number): Promise<void>;
}

export interface ImageClient {
  /** Image id, or undefined when the image is not present locally. */
  localId(ref: string): Promise<string | undefined>;
  /** Pulls, reporting progress; rejects when the stream reports an error. */
  pull(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void>;
  remove(ref: string): Promise<void>;
  /** What the local image `ref` (a reference or an id) runs on; undefined when it is not present. */
  platform(ref: string): Promise<ImagePlatform | undefined>;
  /** Local images; `references` keeps those matching any of the patterns (`busybox`, `app-*:latest`). */
  list(filter?: { references?: string[] }): Promise<ImageSummary[]>;
  /** Adds the reference `target` (`repo[:tag]`, tag default `latest`) to the image `source`. */
  tag(source: string, target: string): Promise<void>;
  /** Whether builds can run on the engine's BuildKit, and the API they are asked through. */
  builder(): Promise<BuilderSupport>;
  /**
   * Builds, reporting output and the current step; resolves with the image id. A failed build
   * rejects with `build_failed` (exit 5), the failing step's output and Dockerfile line in its message.
   */
  build(opts: BuildOptions): Promise<string>;
  /** Pushes `ref` (`registry/repo:tag`) to its registry. */
  push(ref: string, signal?: AbortSignal): Promise<void>;
  /** The digest the registry of `ref` holds for it; undefined when none answers in time. */
  registryDigest(ref: string, timeoutMs: number): Promise<string | undefined>;
}

export interface NetworkClient {
  /** `name` keeps only the network of exactly that name (the engine's own filter matches substrings). */
  list(filter: LabelFilter & { name?: string }): Promise<NetworkSummary[]>;
  create(body: NetworkCreateBody): Promise<string>;
  remove(idOrName: string): Promise<void>;
  inspect(idOrName: string): Promise<NetworkSummary | undefined>;
  /** Attaches a container with the given endpoint settings (aliases, addresses...). */
  connect(network: string, container: string, endpoint: EndpointSettings): Promise<void>;
  /** Detaches a container (`force`: also an endpoint whose container is gone). */
  disconnect(network: string, container: string, opts?: { force?: boolean }): Promise<void>;
}

export interface VolumeClient {
  list(filter: LabelFilter & { name?: string }): Promise<VolumeSummary[]>;
  create(body: VolumeCreateBody): Promise<void>;
  remove(name: string): Promise<void>;
  inspect(name: string): Promise<VolumeSummary | undefined>;
}

export interface EventClient {
  /**
   * Subscribes to engine events. The returned iterable yields from the moment this call
   * resolves, so a caller that subscribes first and inspects second misses no transition.
   */
  subscribe(filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>>;
}

/**
 * Swarm services, on a manager. A non-manager engine answers every call with an
 * EngineApiError (503 "This node is not a swarm manager").
 */
export interface ServiceClient {
  /** With `status`, each service carries its running and desired task counts. */
  list(filter: LabelFilter & { status?: boolean }): Promise<Service[]>;
  inspect(idOrName: string): Promise<Service | undefined>;
  /** Resolves with the new service's id and the manager's warnings (e.g. an image it could not resolve). */
  create(spec: ServiceSpec): Promise<{ id: string; warnings: string[] }>;
  /** Replaces the whole spec; `version` is the one read, or the manager refuses ("update out of sequence"). */
  update(id: string, version: number, spec: ServiceSpec): Promise<{ warnings: string[] }>;
  remove(id: string): Promise<void>;
  /** The output of every task of the service, each line with the task and node it came from. */
  logs(id: string, opts: LogOptions): AsyncIterable<ServiceLogLine>;
}

export interface TaskClient {
  list(filter: LabelFilter & { services?: string[]; desiredState?: TaskState[] }): Promise<Task[]>;
  /** One task's output (a failed task's last lines, for a failure report). */
  logs(id: string, opts: LogOptions): AsyncIterable<ServiceLogLine>;
}

export interface NodeClient {
  list(): Promise<Node[]>;
  update(id: string, version: number, spec: NodeSpec): Promise<void>;
}

/** Secrets and configs: created once, never updated (a changed one is a new object). */
export interface SwarmObjectClient<O, S> {
  list(filter: LabelFilter): Promise<O[]>;
  create(spec: S): Promise<string>;
  remove(id: string): Promise<void>;
}

export interface Engine {
  readonly system: SystemClient;
  readonly containers: ContainerClient;
  readonly exec: ExecClient;
  readonly images: ImageClient;
  readonly networks: NetworkClient;
  readonly volumes: VolumeClient;
  readonly events: EventClient;
  readonly services: ServiceClient;
  readonly tasks: TaskClient;
  readonly nodes: NodeClient;
  readonly secrets: SwarmObjectClient<Secret, SecretSpec>;
  readonly configs: SwarmObjectClient<Config, ConfigSpec>;
}

export type * from './types.js';
export type * from './api/container.js';
export type * from './api/resources.js';
