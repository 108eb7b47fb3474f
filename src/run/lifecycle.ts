/**
 * The verbs that act on containers `up` made: restart and start (gated on the event stream,
 * as `up` is), stop, kill, pause, unpause and rm. Each lists the project's containers by
 * label, lets src/plan/lifecycle.ts decide what to touch, and only then calls the engine.
 */
import type { Engine } from '../engine/engine.js';
import { replicasByService, type ContainerSummary } from '../plan/observed.js';
import type { StopStep } from '../plan/down.js';
import { ServiceFailedError } from '../errors.js';
import { DependencyGraph } from '../graph/graph.js';
import {
  checkServiceNames, containersFor, planRemove, planRestart, planStart, selectContainers, type RemovePlan,
} from '../plan/lifecycle.js';
import type { Project } from '../stack/model.js';
import { stopInOrder, stopTimeout } from './down.js';
import { awaitUntouchedDependencies, refuseMissing, seedWatch, startGated } from './gated-start.js';
import { settleAll, type GateContext } from './gates.js';
import { preStop } from './hooks.js';
import { Pool, runDag } from './pool.js';
import { step, type ProgressListener } from './progress.js';
import { withWatch } from './watch.js';
import { listContainers } from './observe.js';
import { removeWithAnonymousVolumes } from './teardown.js';

export interface LifecycleOptions {
  /** Services named on the command line; empty means all. */
  services?: string[];
  parallel?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface RestartOptions extends LifecycleOptions {
  /** Only the named services, not the dependents that declared `restart: true`. */
  noDeps?: boolean;
  /** Seconds to wait for each container to stop before it is killed. */
  timeout?: number;
}

/** Names of the containers a verb acted on. */
export interface LifecycleResult {
  containers: string[];
}

export async function restart(engine: Engine, project: Project, opts: RestartOptions = {}): Promise<LifecycleResult & { services: string[] }> {
  checkServiceNames(project, opts.services);
  return withGates(engine, project, opts, async (ctx) => {
    const listed = await listContainers(engine, { project: project.name, all: true });
    const plan = planRestart(ctx.graph, listed, opts);
    if (plan.start.length === 0) {
      throw new ServiceFailedError('no_containers', `no containers to restart${named(opts.services)}`, 'create them with: tug up');
    }
    refuseMissing(plan.missing, ctx.emit, 'restart');
    const present = replicasByService(listed);
    const deps = new Set(plan.services.flatMap((s) => ctx.graph.edgesFrom(s).map((e) => e.to)));
    await seedWatch(ctx, [...plan.start.flatMap((s) => s.containers), ...[...deps].flatMap((d) => present.get(d) ?? [])]);
    await awaitUntouchedDependencies(ctx, plan.start, present);
    await stopAll(ctx, plan.stop, opts.timeout);
    await startGated(ctx, plan.start, present, { untouchedAwaited: true });
    return { services: plan.services, containers: plan.start.flatMap((s) => s.containers.map((c) => c.name)) };
  });
}

export async function start(engine: Engine, project: Project, opts: LifecycleOptions = {}): Promise<LifecycleResult> {
  checkServiceNames(project, opts.services);
  return withGates(engine, project, opts, async (ctx) => {
    const listed = await listContainers(engine, { project: project.name, all: true });
    const plan = planStart(ctx.graph, listed, opts);
    if (plan.empty.length === plan.scope.length) {
      throw new ServiceFailedError('no_containers', `no containers to start${named(opts.services)}; run tug up`,
        'tug start starts containers that exist; tug up creates them');
    }
    const emptyNamed = (opts.services ?? []).filter((s) => plan.empty.includes(s));
    if (emptyNamed.length > 0) {
      throw new ServiceFailedError('no_containers', `service "${emptyNamed[0]}" has no containers to start; run tug up ${emptyNamed[0]}`);
    }
    refuseMissing(plan.missing, ctx.emit, 'start');
    const present = replicasByService(listed);
    await seedWatch(ctx, plan.scope.flatMap((s) => present.get(s) ?? []));
    // As Compose's start: a service none of whose replicas runs gets its pre_start steps first.
    await startGated(ctx, plan.start, present, { preStart: true });
    return { containers: plan.start.flatMap((s) => s.containers.map((c) => c.name)) };
  });
}

/** Only the named services, as Compose does, dependents of each before it. */
export async function stop(engine: Engine, project: Project, opts: LifecycleOptions & { timeout?: number } = {}): Promise<LifecycleResult> {
  checkServiceNames(project, opts.services, { allowDisabled: true });
  const emit = opts.onProgress ?? (() => {});
  const containers = selectContainers(project, await listContainers(engine, { project: project.name, all: true }), opts);
  const running = containersFor('kill', containers);
  await stopInOrder(engine, project, running, { timeout: opts.timeout }, emit, new Pool(opts.parallel ?? 16));
  return { containers: running.map((c) => c.name) };
}

export async function kill(engine: Engine, project: Project, opts: LifecycleOptions & { killSignal?: string } = {}): Promise<LifecycleResult> {
  return each(engine, project, opts, 'kill', (id) => engine.containers.kill(id, opts.killSignal ?? 'SIGKILL'));
}

export async function pause(engine: Engine, project: Project, opts: LifecycleOptions = {}): Promise<LifecycleResult> {
  return each(engine, project, opts, 'pause', (id) => engine.containers.pause(id));
}

export async function unpause(engine: Engine, project: Project, opts: LifecycleOptions = {}): Promise<LifecycleResult> {
  return each(engine, project, opts, 'unpause', (id) => engine.containers.unpause(id));
}

/** What `rm` would do, for the caller to show and confirm before anything is removed. */
export async function planRm(engine: Engine, project: Project, opts: { services?: string[]; stop?: boolean }): Promise<RemovePlan> {
  checkServiceNames(project, opts.services, { allowDisabled: true });
  // `run` containers left behind are the project's too, and rm is how they go.
  const containers = selectContainers(project, await listContainers(engine, { project: project.name, all: true }), { services: opts.services, oneoff: true });
  return planRemove(containers, { stop: opts.stop });
}

export async function rm(
  engine: Engine,
  project: Project,
  plan: RemovePlan,
  opts: LifecycleOptions & { volumes?: boolean; timeout?: number } = {},
): Promise<LifecycleResult & { volumes: string[] }> {
  const emit = opts.onProgress ?? (() => {});
  const pool = new Pool(opts.parallel ?? 16);
  // The plan was shown (and confirmed) before this ran: only what still exists goes, as it is now.
  const now = new Map((await listContainers(engine, { project: project.name, all: true })).map((c) => [c.id, c]));
  const current = (list: ContainerSummary[]) => list.flatMap((c) => now.get(c.id) ?? []);
  await stopInOrder(engine, project, current(plan.stopFirst), { timeout: opts.timeout }, emit, pool);
  opts.signal?.throwIfAborted();
  const remove = current(plan.remove);
  // Not forced: a container that started since it was listed makes the engine refuse, not kill it.
  // With -v its anonymous volumes go too, also those it mounts by name (taken over from the
  // container it replaced), which the engine's own rm -v would leave; never a named volume.
  const volumes: string[] = [];
  await settleAll(remove.map((c) =>
    step(emit, { resource: 'container', name: c.name, service: c.service, action: 'remove' }, () =>
      pool.run(async () => {
        if (!opts.volumes) return engine.containers.remove(c.id, { volumes: false });
        const gone = await removeWithAnonymousVolumes(engine, project.name, c.id);
        volumes.push(...gone);
        for (const name of gone) emit({ resource: 'volume', name, service: c.service, action: 'remove', state: 'done', time: Date.now(), message: `anonymous volume of ${c.name}` });
      }))));
  return { containers: remove.map((c) => c.name), volumes };
}

async function each(
  engine: Engine,
  project: Project,
  opts: LifecycleOptions,
  verb: 'kill' | 'pause' | 'unpause',
  act: (id: string) => Promise<void>,
): Promise<LifecycleResult> {
  checkServiceNames(project, opts.services, { allowDisabled: true });
  const emit = opts.onProgress ?? (() => {});
  const pool = new Pool(opts.parallel ?? 16);
  const targets = containersFor(verb, selectContainers(project, await listContainers(engine, { project: project.name, all: true }), opts));
  await settleAll(targets.map((c) =>
    step(emit, { resource: 'container', name: c.name, service: c.service, action: verb }, () =>
      pool.run(() => {
        opts.signal?.throwIfAborted();
        return act(c.id);
      }))));
  return { containers: targets.map((c) => c.name) };
}

/**
 * Stops in the plan's order and waits until the watch has seen each container die, so that
 * the `die` of this stop cannot arrive after the restart and fail a gate on the new life.
 */
async function stopAll(ctx: GateContext, steps: StopStep[], timeout: number | undefined): Promise<void> {
  const byId = new Map(steps.map((s) => [s.container.id, s.container]));
  await runDag(steps.map((s) => ({ key: s.container.id, after: s.after })), async (id) => {
    const c = byId.get(id)!;
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const base = { resource: 'container', name: c.name, service: c.service, action: 'stop' } as const;
    await step(ctx.emit, base, async () => {
      let seconds = stopTimeout(ctx.project, c.service, timeout);
      if (c.state === 'running' && !c.oneoff) seconds = await preStop(ctx, c.service, c, seconds, base);
      await ctx.pool.run(() => ctx.engine.containers.stop(c.id, seconds));
    });
    await ctx.watch.waitFor(c.id, 'exited', ctx.signal);
  });
}

/** The gate context of a lifecycle verb, around its one event subscription. */
async function withGates<T>(engine: Engine, project: Project, opts: LifecycleOptions, fn: (ctx: GateContext) => Promise<T>): Promise<T> {
  const graph = DependencyGraph.fromServices(project.services);
  return withWatch(engine, project.name, opts.signal, (watch, signal) =>
    fn({ engine, project, graph, watch, pool: new Pool(opts.parallel ?? 16), emit: opts.onProgress ?? (() => {}), signal }));
}


const named = (services: string[] | undefined): string => (services?.length ? ` for ${services.join(', ')}` : '');

