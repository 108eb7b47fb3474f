/**
 * The fake engine is a single engine, not a swarm manager: every swarm call is refused the way
 * a real engine outside a swarm refuses it (503), and recorded like any other call. Swarm mode
 * is proven on the real three-node swarm (test/e2e/swarm-*.test.ts).
 */
import type { Config, ConfigSpec, Node, NodeSpec, Secret, SecretSpec, Service, ServiceSpec, Task, TaskState } from '../../src/engine/api/swarm.js';
import type { LabelFilter, LogOptions, NodeClient, ServiceClient, ServiceLogLine, SwarmObjectClient, TaskClient } from '../../src/engine/engine.js';
import type { Gate } from './clients.js';
import { refuse } from './world.js';

const NOT_A_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

function refused(): never {
  return refuse(503, NOT_A_MANAGER);
}

export class FakeServices implements ServiceClient {
  constructor(private readonly gate: Gate) {}
  list(filter: LabelFilter & { status?: boolean }): Promise<Service[]> {
    return this.gate.call('services.list', [filter], 'listing services', refused);
  }
  inspect(idOrName: string): Promise<Service | undefined> {
    return this.gate.call('services.inspect', [idOrName], `inspecting service ${idOrName}`, refused);
  }
  create(spec: ServiceSpec): Promise<{ id: string; warnings: string[] }> {
    return this.gate.call('services.create', [spec], `creating service ${spec.Name}`, refused);
  }
  update(id: string, version: number, spec: ServiceSpec): Promise<{ warnings: string[] }> {
    return this.gate.call('services.update', [id, version, spec], `updating service ${spec.Name}`, refused);
  }
  remove(id: string): Promise<void> {
    return this.gate.call('services.remove', [id], `removing service ${id}`, refused);
  }
  async *logs(id: string, opts: LogOptions): AsyncGenerator<ServiceLogLine> {
    yield* await this.gate.call('services.logs', [id, opts], `reading logs of service ${id}`, (): ServiceLogLine[] => refused());
  }
}

export class FakeTasks implements TaskClient {
  constructor(private readonly gate: Gate) {}
  list(filter: LabelFilter & { services?: string[]; desiredState?: TaskState[] }): Promise<Task[]> {
    return this.gate.call('tasks.list', [filter], 'listing tasks', refused);
  }
  async *logs(id: string, opts: LogOptions): AsyncGenerator<ServiceLogLine> {
    yield* await this.gate.call('tasks.logs', [id, opts], `reading logs of task ${id}`, (): ServiceLogLine[] => refused());
  }
}

export class FakeNodes implements NodeClient {
  constructor(private readonly gate: Gate) {}
  list(): Promise<Node[]> {
    return this.gate.call('nodes.list', [], 'listing nodes', refused);
  }
  update(id: string, version: number, spec: NodeSpec): Promise<void> {
    return this.gate.call('nodes.update', [id, version, spec], `updating node ${id}`, refused);
  }
}

export class FakeSecrets implements SwarmObjectClient<Secret, SecretSpec> {
  constructor(private readonly gate: Gate) {}
  list(filter: LabelFilter): Promise<Secret[]> {
    return this.gate.call('secrets.list', [filter], 'listing secrets', refused);
  }
  create(spec: SecretSpec): Promise<string> {
    return this.gate.call('secrets.create', [spec], `creating secret ${spec.Name}`, refused);
  }
  remove(id: string): Promise<void> {
    return this.gate.call('secrets.remove', [id], `removing secret ${id}`, refused);
  }
}

export class FakeConfigs implements SwarmObjectClient<Config, ConfigSpec> {
  constructor(private readonly gate: Gate) {}
  list(filter: LabelFilter): Promise<Config[]> {
    return this.gate.call('configs.list', [filter], 'listing configs', refused);
  }
  create(spec: ConfigSpec): Promise<string> {
    return this.gate.call('configs.create', [spec], `creating config ${spec.Name}`, refused);
  }
  remove(id: string): Promise<void> {
    return this.gate.call('configs.remove', [id], `removing config ${id}`, refused);
  }
}
