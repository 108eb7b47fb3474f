/**
 * A `depends_on` gate: wait until every container of the dependency meets the edge's
 * condition, as the event stream reports it, and fail fast with a report when it cannot.
 * `up`, `start` and `restart` all open their gates here.
 */
import type { Engine } from '../engine/engine.js';
import { ServiceFailedError } from '../errors.js';
import type { DependencyGraph, Edge } from '../graph/graph.js';
import type { Project } from '../stack/model.js';
import { describeFailure, describeState } from './failure.js';
import type { Pool } from './pool.js';
import { step, type ProgressListener } from './progress.js';
import { ConditionFailed, type Condition, type ContainerWatch } from './watch.js';

/** depends_on conditions as the watch's conditions. */
export const COND: Record<string, Condition> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed',
};

export interface GateContext {
  engine: Engine;
  project: Project;
  graph: DependencyGraph;
  watch: ContainerWatch;
  pool: Pool;
  emit: ProgressListener;
  /** Interrupts (Ctrl-C): the wait rejects with its reason. */
  signal: AbortSignal;
  /** Bounds the command (`--wait-timeout`): a gate still closed then fails, saying what it waited on. */
  deadline?: Deadline;
}

export interface Deadline {
  signal: AbortSignal;
  seconds: number;
}

/**
 * The wait_timeout failure: `what` did not happen within the bound, `waiting` on what, and the
 * state of each container it waited on.
 */
export async function timedOut(
  engine: Engine, deadline: Deadline, what: string, waiting: string, ids: readonly string[], hint: string,
): Promise<ServiceFailedError> {
  const states = await Promise.all(ids.map((id) => describeState(engine, id)));
  return new ServiceFailedError('wait_timeout', `${what} within ${deadline.seconds}s (--wait-timeout): ${waiting}${states.join('; ')}`, hint);
}

/** One `depends_on` edge: once the dependency is started (when we start it), its condition. */
export async function gate(ctx: GateContext, name: string, edge: Edge, deps: readonly { id: string }[], started?: Promise<void>, quiet = false): Promise<void> {
  if (deps.length === 0) return; // reported by refuseMissing before anything started
  await started;
  const condition = COND[edge.condition] ?? 'started';
  if (condition === 'healthy') await expectHealth(ctx, name, edge.to, deps);
  const emit: ProgressListener = quiet ? () => {} : ctx.emit;
  const signal = ctx.deadline ? AbortSignal.any([ctx.signal, ctx.deadline.signal]) : ctx.signal;
  await step(emit, { resource: 'service', name, service: name, action: 'wait', message: `waiting for ${edge.to} (${edge.condition})` }, async () => {
    try {
      await Promise.all(deps.map((c) => ctx.watch.waitFor(c.id, condition, signal)));
    } catch (err) {
      ctx.signal.throwIfAborted();
      if (ctx.deadline?.signal.aborted) {
        throw await timedOut(ctx.engine, ctx.deadline, `service "${name}" did not start`, `it was still waiting for "${edge.to}" (${edge.condition}); `,
          deps.map((c) => c.id), `raise --wait-timeout, or see why "${edge.to}" is not ready with: tug logs ${edge.to}`);
      }
      if (!(err instanceof ConditionFailed)) throw err;
      if (!edge.required) {
        emit({ resource: 'service', name, service: name, action: 'wait', state: 'warning', time: Date.now(),
          message: `optional dependency "${edge.to}" ${err.message}: starting "${name}" anyway` });
        return;
      }
      throw await describeFailure(ctx.engine, { dependent: name, dependency: edge.to, failure: err, condition: edge.condition });
    }
  });
}

/** A `service_healthy` gate on a service without any healthcheck would wait forever. */
async function expectHealth(ctx: GateContext, dependent: string, dependency: string, deps: readonly { id: string }[]): Promise<void> {
  const dep = ctx.project.services[dependency];
  if (dep?.healthcheck && !dep.healthcheck.disable) return;
  // The image may declare one.
  const details = await ctx.engine.containers.inspect(deps[0]!.id);
  if (!(details.config as { Healthcheck?: { Test?: string[] } }).Healthcheck?.Test?.length) {
    throw new ServiceFailedError('dependency_no_healthcheck',
      `service "${dependent}" waits for "${dependency}" to be healthy, but "${dependency}" has no healthcheck`,
      `add a healthcheck to "${dependency}", or use condition: service_started`);
  }
  for (const c of deps) ctx.watch.expectHealth(c.id);
}
/** Waits for every task, then reports the first failure: none is left running unobserved. */
export async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(tasks);
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
