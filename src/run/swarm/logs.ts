/**
 * `tug --swarm logs`: the output of a stack's services, each line prefixed
 * `service.slot@node | ` in the service's colour. A service's lines come from every node its
 * tasks ran on, through the manager.
 */
import type { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import type { Engine, ServiceLogLine } from '../../engine/engine.js';
import { STACK_LABEL } from '../../labels.js';
import { painter } from '../attach.js';
import { requireManager } from './manager.js';

export interface SwarmLogsOptions {
  services?: string[];
  follow?: boolean;
  tail?: number | 'all';
  since?: string;
  timestamps?: boolean;
  prefix?: boolean;
  color?: ChalkInstance;
  out?: Writable;
  signal?: AbortSignal;
}

export async function swarmLogs(engine: Engine, project: string, opts: SwarmLogsOptions = {}): Promise<void> {
  await requireManager(engine);
  const labels = [`${STACK_LABEL.namespace}=${project}`];
  const all = await engine.services.list({ labels });
  const wanted = opts.services?.length ? new Set(opts.services) : undefined;
  const services = all.map((s) => ({ id: s.ID, name: s.Spec.Name.slice(project.length + 1) })).filter((s) => !wanted || wanted.has(s.name));
  const nodes = new Map((await engine.nodes.list()).map((n) => [n.ID, n.Description.Hostname]));
  const slots = new Map<string, string>();
  const refreshTasks = async () => {
    for (const t of await engine.tasks.list({ labels })) slots.set(t.ID, t.Slot ? String(t.Slot) : (t.NodeID ?? '').slice(0, 12));
  };
  await refreshTasks();
  const out = opts.out ?? process.stdout;
  const write = (service: string, l: ServiceLogLine) => {
    if (!slots.has(l.taskId)) void refreshTasks();
    const where = `${service}.${slots.get(l.taskId) ?? l.taskId.slice(0, 12)}@${nodes.get(l.nodeId) ?? l.nodeId.slice(0, 12)}`;
    const text = `${l.time !== undefined ? `${l.time} ` : ''}${l.text}\n`;
    out.write(opts.prefix === false ? text : `${painter(opts.color, service)(`${where} |`)} ${text}`);
  };
  const read = async (s: { id: string; name: string }) => {
    for await (const l of engine.services.logs(s.id, { follow: opts.follow, tail: opts.tail ?? 'all', since: opts.since, timestamps: opts.timestamps, signal: opts.signal })) {
      write(s.name, l);
    }
  };
  // Following reads every service at once; otherwise one service after another, each in its order.
  if (opts.follow) await Promise.all(services.map(read));
  else for (const s of services) await read(s);
}
