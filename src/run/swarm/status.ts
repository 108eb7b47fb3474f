/**
 * What a swarm stack is doing: its tasks (`tug --swarm ps`) and the nodes they run on
 * (`tug nodes`).
 */
import type { Node } from '../../engine/api/swarm.js';
import type { Engine } from '../../engine/engine.js';
import { STACK_LABEL } from '../../labels.js';
import { describeTasks, type TaskRow } from '../../swarm/index.js';
import { requireManager } from './manager.js';

export interface SwarmPsOptions {
  /** Finished tasks too (shutdown, failed, complete). */
  all?: boolean;
  /** Compose service names. */
  services?: string[];
}

export async function swarmPs(engine: Engine, project: string, opts: SwarmPsOptions = {}): Promise<TaskRow[]> {
  await requireManager(engine);
  const labels = [`${STACK_LABEL.namespace}=${project}`];
  const [services, tasks, nodes] = await Promise.all([
    engine.services.list({ labels }), engine.tasks.list({ labels, ...(opts.all ? {} : { desiredState: ['running', 'complete'] }) }), engine.nodes.list(),
  ]);
  const wanted = opts.services?.length ? new Set(opts.services.map((s) => `${project}_${s}`)) : undefined;
  const names = Object.fromEntries(services.map((s) => [s.ID, s.Spec.Name]));
  // A task outlives its service for a while after a down: it is no longer the stack's.
  const rows = describeTasks(tasks.filter((t) => names[t.ServiceID] !== undefined && (!wanted || wanted.has(names[t.ServiceID]!))), {
    services: names, nodes: Object.fromEntries(nodes.map((n) => [n.ID, n.Description.Hostname])), now: new Date(),
  });
  return opts.all ? rows : rows.filter((r) => !r.history);
}

export interface NodeRow {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  leader: boolean;
  state: string;
  availability: string;
  address: string;
  cpus: number;
  memoryBytes: number;
  /** This project's tasks meant to run there (`service.slot`). */
  tasks: string[];
}

export async function swarmNodes(engine: Engine, project: string | undefined): Promise<NodeRow[]> {
  await requireManager(engine);
  const nodes: Node[] = await engine.nodes.list();
  const onNode = new Map<string, string[]>();
  if (project) {
    for (const t of await swarmPs(engine, project)) {
      const node = nodes.find((n) => n.Description.Hostname === t.node || n.ID === t.node);
      if (node && t.desired === 'Running') onNode.set(node.ID, [...(onNode.get(node.ID) ?? []), t.name]);
    }
  }
  return nodes
    .map((n) => ({
      id: n.ID,
      hostname: n.Description.Hostname,
      role: n.Spec.Role,
      leader: n.ManagerStatus?.Leader === true,
      state: n.Status.State,
      availability: n.Spec.Availability,
      address: n.Status.Addr ?? '',
      cpus: (n.Description.Resources?.NanoCPUs ?? 0) / 1e9,
      memoryBytes: n.Description.Resources?.MemoryBytes ?? 0,
      tasks: (onNode.get(n.ID) ?? []).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
}
