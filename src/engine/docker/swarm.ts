/**
 * Swarm objects over the Engine API: services, tasks, nodes, secrets and configs, on a
 * manager. Raw requests throughout: tug sends the exact spec it computed and reads the
 * answers in map.ts.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Config, ConfigSpec, Node, NodeSpec, Secret, SecretSpec, Service, ServiceSpec, Task, TaskState } from '../api/swarm.js';
import type { NodeClient, ServiceClient, SwarmObjectClient, TaskClient } from '../engine.js';
import type { LabelFilter, LogOptions, ServiceLogLine } from '../types.js';
import type { DockerClient } from './client.js';
import { labelFilters, readCreated, readList, readServiceLogRecord, readWarnings, unixTime } from './map.js';
import { demux, LineAssembler } from './streams.js';

const enc = encodeURIComponent;

export class DockerServices implements ServiceClient {
  constructor(private readonly client: DockerClient) {}

  async list(filter: LabelFilter & { status?: boolean }): Promise<Service[]> {
    return readList<Service>(await this.client.dial('listing services', {
      path: '/services?', method: 'GET', options: { filters: labelFilters(filter.labels), ...(filter.status ? { status: true } : {}) }, statusCodes: { 200: true },
    }));
  }

  async inspect(idOrName: string): Promise<Service | undefined> {
    return this.client.orMissing(this.client.dial<Service>(`inspecting service ${idOrName}`, {
      path: `/services/${enc(idOrName)}?`, method: 'GET', options: {}, statusCodes: { 200: true },
    }));
  }

  async create(spec: ServiceSpec): Promise<{ id: string; warnings: string[] }> {
    const r = await this.client.dial(`creating service ${spec.Name}`, {
      path: '/services/create?', method: 'POST', options: { _query: {}, _body: spec }, statusCodes: { 200: true, 201: true },
    });
    return { id: readCreated(r), warnings: readWarnings(r) };
  }

  async update(id: string, version: number, spec: ServiceSpec): Promise<{ warnings: string[] }> {
    const r = await this.client.dial(`updating service ${spec.Name}`, {
      path: `/services/${enc(id)}/update?`, method: 'POST', options: { _query: { version }, _body: spec }, statusCodes: { 200: true },
    });
    return { warnings: readWarnings(r) };
  }

  async remove(id: string): Promise<void> {
    await this.client.dial(`removing service ${id}`, { path: `/services/${enc(id)}?`, method: 'DELETE', options: {}, statusCodes: { 200: true } });
  }

  logs(id: string, opts: LogOptions): AsyncGenerator<ServiceLogLine> {
    return swarmLogs(this.client, 'services', id, opts);
  }
}

/**
 * The output of a service's tasks (or of one task), each line with the task and node it came
 * from. Read with `details`, which puts those in front of every message, and timestamps.
 */
async function* swarmLogs(client: DockerClient, kind: 'services' | 'tasks', id: string, opts: LogOptions): AsyncGenerator<ServiceLogLine> {
  const { signal } = opts;
  // `details` puts the task and node in front of every message; timestamps come before them.
  const query: Record<string, string | boolean> = {
    stdout: true, stderr: true, details: true, timestamps: true, follow: opts.follow ?? false, tail: String(opts.tail ?? 'all'),
  };
  if (opts.since !== undefined) query.since = unixTime(opts.since);
  const chunks = client.chunks(`reading logs of ${kind.slice(0, -1)} ${id}`, {
    path: `/${kind}/${enc(id)}/logs?`, method: 'GET', options: query, statusCodes: { 200: true },
  }, signal);
  // A message longer than a frame arrives in pieces, each with its own prefix.
  const lines = new Map<string, LineAssembler>();
  const decoder = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  for await (const [stream, payload] of demux(chunks)) {
    if (signal?.aborted) return;
    const r = readServiceLogRecord(decoder[stream].write(payload));
    const key = `${r.taskId}/${stream}`;
    let assembler = lines.get(key);
    if (!assembler) lines.set(key, (assembler = new LineAssembler()));
    for (const l of assembler.push(r.text, r.time)) {
      yield { stream, text: l.text, taskId: r.taskId, nodeId: r.nodeId, ...(opts.timestamps && l.time !== undefined ? { time: l.time } : {}) };
    }
  }
  if (signal?.aborted) return;
  for (const [key, assembler] of lines) {
    const rest = assembler.end();
    const [taskId = '', stream = 'stdout'] = key.split('/');
    if (rest) yield { stream: stream as 'stdout' | 'stderr', text: rest.text, taskId, nodeId: '' };
  }
}

export class DockerTasks implements TaskClient {
  constructor(private readonly client: DockerClient) {}

  async list(filter: LabelFilter & { services?: string[]; desiredState?: TaskState[] }): Promise<Task[]> {
    const filters = labelFilters(filter.labels);
    if (filter.services?.length) filters.service = filter.services;
    if (filter.desiredState?.length) filters['desired-state'] = filter.desiredState;
    return readList<Task>(await this.client.dial('listing tasks', { path: '/tasks?', method: 'GET', options: { filters }, statusCodes: { 200: true } }));
  }

  logs(id: string, opts: LogOptions): AsyncGenerator<ServiceLogLine> {
    return swarmLogs(this.client, 'tasks', id, opts);
  }
}

export class DockerNodes implements NodeClient {
  constructor(private readonly client: DockerClient) {}

  async list(): Promise<Node[]> {
    return readList<Node>(await this.client.dial('listing nodes', { path: '/nodes?', method: 'GET', options: {}, statusCodes: { 200: true } }));
  }

  async update(id: string, version: number, spec: NodeSpec): Promise<void> {
    await this.client.dial(`updating node ${id}`, {
      path: `/nodes/${enc(id)}/update?`, method: 'POST', options: { _query: { version }, _body: spec }, statusCodes: { 200: true },
    });
  }
}

/** Secrets and configs share their endpoints' shape: `/secrets/create`, `/configs/create`, ... */
export class DockerSwarmObjects<O, S extends { Name: string }> implements SwarmObjectClient<O, S> {
  constructor(private readonly client: DockerClient, private readonly kind: 'secrets' | 'configs') {}

  async list(filter: LabelFilter): Promise<O[]> {
    return readList<O>(await this.client.dial(`listing ${this.kind}`, {
      path: `/${this.kind}?`, method: 'GET', options: { filters: labelFilters(filter.labels) }, statusCodes: { 200: true },
    }));
  }

  async create(spec: S): Promise<string> {
    return readCreated(await this.client.dial(`creating ${this.kind.slice(0, -1)} ${spec.Name}`, {
      path: `/${this.kind}/create?`, method: 'POST', options: { _query: {}, _body: spec }, statusCodes: { 200: true, 201: true },
    }));
  }

  async remove(id: string): Promise<void> {
    await this.client.dial(`removing ${this.kind.slice(0, -1)} ${id}`, {
      path: `/${this.kind}/${enc(id)}?`, method: 'DELETE', options: {}, statusCodes: { 200: true, 204: true },
    });
  }
}

export const secretsClient = (c: DockerClient) => new DockerSwarmObjects<Secret, SecretSpec>(c, 'secrets');
export const configsClient = (c: DockerClient) => new DockerSwarmObjects<Config, ConfigSpec>(c, 'configs');
