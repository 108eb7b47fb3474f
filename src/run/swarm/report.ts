/**
 * A swarm deploy that fails says why as a person needs it: the service, the tasks' errors,
 * the nodes they ran on, and the last lines the failed task printed.
 */
import type { Node } from '../../engine/api/swarm.js';
import type { Engine } from '../../engine/engine.js';
import { ServiceFailedError, type ErrorCode } from '../../errors.js';
import type { TaskFailed } from './watch.js';

const LOG_LINES = 20;

export async function describeTaskFailure(engine: Engine, failure: TaskFailed, context: { dependent?: string; code?: ErrorCode } = {}): Promise<ServiceFailedError> {
  const nodes = await engine.nodes.list().catch((): Node[] => []);
  const host = (id?: string) => (id ? nodes.find((n) => n.ID === id)?.Description.Hostname ?? id : 'no node');
  const errors = failure.convergence.errors.slice(-3);
  const lines = errors.map((e) => `  task ${e.taskId.slice(0, 12)}${e.slot !== undefined ? ` (slot ${e.slot})` : ''} on ${host(e.nodeId)}: ${e.state}: ${e.error}${e.exitCode ? ` (exit code ${e.exitCode})` : ''}`);
  const last = errors[errors.length - 1];
  let logs: string[] = [];
  if (last) {
    try {
      for await (const l of engine.tasks.logs(last.taskId, { tail: LOG_LINES, signal: AbortSignal.timeout(3000) })) logs.push(`    ${l.text}`);
    } catch {
      logs = [];
    }
  }
  const head = context.dependent
    ? `service "${context.dependent}" cannot be deployed: its dependency "${failure.service}" failed: ${failure.convergence.reason}`
    : `service "${failure.service}" failed: ${failure.convergence.reason}`;
  const message = [head, ...lines, ...(logs.length ? [`  last lines of task ${last!.taskId.slice(0, 12)}:`, ...logs.slice(-LOG_LINES)] : [])].join('\n');
  return new ServiceFailedError(context.code ?? 'deploy_failed', message, `see all of it with: tug --swarm ps -a, and tug --swarm logs ${failure.service}`);
}
