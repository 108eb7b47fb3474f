/**
 * Starting containers that already exist the way `up` starts new ones: each service the
 * moment every dependency meets its `depends_on` condition, as the engine's event stream
 * reports it. `restart` and `start` share it.
 */
import type { ContainerSummary } from '../plan/observed.js';
import { ServiceFailedError } from '../errors.js';
import type { MissingDependency, ServiceContainers } from '../plan/lifecycle.js';
import { step, type ProgressListener } from './progress.js';
import { gate, settleAll, type GateContext } from './gates.js';
import { startContainer } from './refusals.js';
import { postStart, preStart } from './hooks.js';

export type { GateContext } from './gates.js';

/** Inspects containers once, after subscribing, so the watch knows the state they are in. */
export async function seedWatch(ctx: GateContext, containers: readonly ContainerSummary[]): Promise<void> {
  await Promise.all(containers.map((c) => ctx.pool.run(async () => ctx.watch.seed(await ctx.engine.containers.inspect(c.id)))));
}

/**
 * A dependency nothing can be waited on for fails a required gate before anything is
 * touched; an optional one is only worth a warning, as in `up`.
 */
export function refuseMissing(missing: readonly MissingDependency[], emit: ProgressListener, verb: string): void {
  const required = missing.find((m) => m.required);
  if (required) {
    throw new ServiceFailedError('dependency_missing',
      `cannot ${verb} service "${required.service}": its dependency "${required.dependency}" has no started container to wait on`,
      `bring it up first: tug up ${required.dependency}`);
  }
  for (const m of missing) {
    emit({ resource: 'service', name: m.service, service: m.service, action: 'wait', state: 'warning', time: Date.now(),
      message: `optional dependency "${m.dependency}" has no running container: starting "${m.service}" anyway` });
  }
}

/**
 * Waits for the dependencies of `start` that are not being started: nothing the verb does
 * changes them, so a restart checks them before it stops anything, and a dependency that
 * cannot be met leaves the dependent running instead of taking it down.
 */
export async function awaitUntouchedDependencies(ctx: GateContext, start: readonly ServiceContainers[], present: ReadonlyMap<string, ContainerSummary[]>): Promise<void> {
  const starting = new Set(start.map((s) => s.service));
  const waitable = waitableIn(start, present);
  await settleAll(start.flatMap(({ service }) => ctx.graph.edgesFrom(service)
    .filter((e) => !starting.has(e.to))
    .map((e) => gate(ctx, service, e, waitable(e.to)))));
}

/**
 * Starts `start` (dependencies first), each service once its dependencies meet their
 * conditions. `present` holds every container of the project by service: dependencies that are
 * not being started are waited on as they are, and the watch must already have been seeded.
 */
export async function startGated(
  ctx: GateContext,
  start: readonly ServiceContainers[],
  present: ReadonlyMap<string, ContainerSummary[]>,
  opts: { untouchedAwaited?: boolean; preStart?: boolean } = {},
): Promise<void> {
  const waitable = waitableIn(start, present);
  const started = new Map<string, Promise<void>>();

  const startService = async ({ service, containers }: ServiceContainers): Promise<void> => {
    // Checked again, in case one went down meanwhile, but reported once.
    await Promise.all(ctx.graph.edgesFrom(service).map((e) =>
      gate(ctx, service, e, waitable(e.to), started.get(e.to), opts.untouchedAwaited && !started.has(e.to))));
    const svc = ctx.project.services[service];
    const probed = svc?.healthcheck !== undefined && !svc.healthcheck.disable;
    const replicas = (present.get(service) ?? []).filter((c) => !c.oneoff);
    if (opts.preStart && svc?.pre_start?.length && containers.length && replicas.every((c) => c.state !== 'running' && c.state !== 'paused' && c.state !== 'restarting')) {
      await preStart(ctx, svc, [...containers].sort((a, b) => a.number - b.number)[0]!);
    }
    await Promise.all(containers.map(async (c) => {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // Whatever the container did in its previous life must not satisfy a gate now.
      ctx.watch.reset(c.id);
      const base = { resource: 'container', name: c.name, service, action: 'start' } as const;
      await step(ctx.emit, base, async () => {
        await ctx.pool.run(() => startContainer(ctx.engine, c.id, { signal: ctx.signal }));
        await postStart(ctx, service, c, base);
      });
      ctx.watch.markStarted(c.id);
      if (probed) ctx.watch.expectHealth(c.id);
    }));
  };

  // Dependencies come first in `start`, so each gate finds its dependency's promise set.
  for (const s of start) started.set(s.service, startService(s));
  await settleAll([...started.values()]);
}

/** The containers of a service a gate can wait on. */
function waitableIn(start: readonly ServiceContainers[], present: ReadonlyMap<string, ContainerSummary[]>): (service: string) => ContainerSummary[] {
  const starting = new Set(start.flatMap((s) => s.containers.map((c) => c.id)));
  // A container that was never started, and that nobody starts now, will never meet a condition.
  return (service) => (present.get(service) ?? []).filter((c) => starting.has(c.id) || (c.state !== 'created' && c.state !== 'removing'));
}

