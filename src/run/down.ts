/**
 * Taking a project down: containers stop in reverse dependency order (each as soon as its
 * dependents have stopped, independent ones concurrently), then containers, networks and —
 * only when asked — volumes and images are removed. Only resources carrying the project's
 * label are ever touched: another project's containers, and anything made by hand, survive.
 */
import type { Engine } from '../engine/engine.js';
import type { ContainerSummary } from '../plan/observed.js';
import { serviceImage } from '../engine/request/index.js';
import { planStop } from '../plan/down.js';
import type { Project } from '../stack/model.js';
import { parseDuration } from '../stack/units.js';
import { settleAll } from './gates.js';
import { preStop } from './hooks.js';
import { Pool, runDag } from './pool.js';
import { step, type ProgressListener } from './progress.js';
import { listContainers, listNetworks, listVolumes } from './observe.js';
import { isAnonymousOf, networksLeftError, removeNetwork, type NetworkLeft } from './teardown.js';
import { EngineApiError } from '../engine/api-error.js';
import type { VolumeSummary } from '../engine/engine.js';

function unique(list: VolumeSummary[]): VolumeSummary[] {
  return [...new Map(list.map((v) => [v.name, v])).values()];
}

export interface DownOptions {
  /** Also remove named volumes declared by the project and anonymous volumes of its containers. */
  volumes?: boolean;
  removeOrphans?: boolean;
  rmi?: 'local' | 'all';
  /** Seconds to wait for each container to stop before it is killed (`-t`). */
  timeout?: number;
  parallel?: number;
  /** Interrupts: calls in flight finish, no further call is made, and down rejects with its reason. */
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface DownResult {
  removedContainers: string[];
  removedNetworks: string[];
  removedVolumes: string[];
  removedImages: string[];
}

export async function down(engine: Engine, projectName: string, project: Project | undefined, opts: DownOptions = {}): Promise<DownResult> {
  const emit = opts.onProgress ?? (() => {});
  const pool = new Pool(opts.parallel ?? 16);
  // Once interrupted, queued calls are dropped, not made.
  const slot = <T>(task: () => Promise<T>): Promise<T> => pool.run(() => {
    opts.signal?.throwIfAborted();
    return task();
  });
  const all = await listContainers(engine, { project: projectName, all: true });
  const containers = containersToRemove(all, project, opts.removeOrphans);
  for (const c of all) {
    if (!containers.includes(c)) {
      emit({ resource: 'container', name: c.name, service: c.service, action: 'orphan', state: 'warning', time: Date.now(),
        message: `container ${c.name} belongs to no service of this project; remove it with --remove-orphans` });
    }
  }
  // Listed before the containers go: an anonymous volume the engine removes with its
  // container is still one this down removed, and says so.
  const labelled = opts.volumes ? await listVolumes(engine, { project: projectName }) : [];
  await stopInOrder(engine, project, containers, opts, emit, pool);
  opts.signal?.throwIfAborted();
  await settleAll(containers.map((c) =>
    step(emit, { resource: 'container', name: c.name, service: c.service, action: 'remove' }, () =>
      slot(() => engine.containers.remove(c.id, { force: true, volumes: opts.volumes === true })))));

  opts.signal?.throwIfAborted();
  const networks = await listNetworks(engine, { project: projectName });
  const left: NetworkLeft[] = [];
  await settleAll(networks.map((n) =>
    step(emit, { resource: 'network', name: n.name, action: 'remove' }, () => slot(async () => {
      const l = await removeNetwork(engine, projectName, n);
      if (l) {
        left.push(l);
        throw networksLeftError(projectName, [l]);
      }
    })).catch(() => {})));

  opts.signal?.throwIfAborted();
  // Every volume labelled as the project's: the named ones and the anonymous ones of its
  // containers (also those a replacement mounts by name, which the engine's rm -v leaves).
  const volumes = opts.volumes ? unique([...labelled, ...await listVolumes(engine, { project: projectName })]) : [];
  await settleAll(volumes.map((v) =>
    step(emit, { resource: 'volume', name: v.name, action: 'remove', message: isAnonymousOf(v, projectName) ? 'anonymous' : undefined }, () =>
      slot(() => engine.volumes.remove(v.name).catch((err: unknown) => {
        if (!(err instanceof EngineApiError && err.status === 404)) throw err; // removed with its container
      })))));
  if (left.length > 0) throw networksLeftError(projectName, left);

  const images = opts.rmi && project ? imagesToRemove(project, opts.rmi) : [];
  const removedImages: string[] = [];
  opts.signal?.throwIfAborted();
  await settleAll(images.map(async (ref) => {
    if (!(await engine.images.localId(ref))) return;
    await step(emit, { resource: 'image', name: ref, action: 'remove' }, () => slot(() => engine.images.remove(ref)));
    removedImages.push(ref);
  }));
  return {
    removedContainers: containers.map((c) => c.name),
    removedNetworks: networks.filter((n) => !left.some((l) => l.network === n.name)).map((n) => n.name),
    removedVolumes: volumes.map((v) => v.name),
    removedImages,
  };
}

/**
 * Stops containers, dependents before their dependencies, concurrently where the graph allows;
 * each running replica's pre_stop hooks run first, within its stop grace period.
 */
export async function stopInOrder(
  engine: Engine,
  project: Project | undefined,
  containers: ContainerSummary[],
  opts: { timeout?: number; signal?: AbortSignal },
  emit: ProgressListener,
  pool: Pool,
): Promise<void> {
  const running = containers.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused');
  const steps = planStop(running);
  await runDag(steps.map((s) => ({ key: s.container.id, after: s.after })), async (id) => {
    const c = running.find((x) => x.id === id)!;
    const base = { resource: 'container', name: c.name, service: c.service, action: 'stop' } as const;
    await step(emit, base, async () => {
      let seconds = stopTimeout(project, c.service, opts.timeout);
      if (project && c.state === 'running' && !c.oneoff) seconds = await preStop({ engine, project, emit }, c.service, c, seconds, base);
      await pool.run(() => {
        opts.signal?.throwIfAborted();
        return engine.containers.stop(c.id, seconds);
      });
    });
  });
}

/** Seconds a container gets to stop: `-t` if given, else its service's stop_grace_period, else the engine's default. */
export function stopTimeout(project: Project | undefined, service: string, flag?: number): number | undefined {
  if (flag !== undefined) return flag;
  const grace = project?.services[service]?.stop_grace_period;
  const ns = grace ? parseDuration(grace) : undefined;
  return ns === undefined ? undefined : Math.ceil(ns / 1e9);
}

/**
 * The project's containers `down` takes away: those of its services (disabled ones included),
 * and the orphans only under --remove-orphans. Without the stack file, all of them.
 */
export function containersToRemove(all: ContainerSummary[], project: Project | undefined, removeOrphans: boolean | undefined): ContainerSummary[] {
  const known = project ? new Set([...Object.keys(project.services), ...Object.keys(project.disabled_services)]) : undefined;
  return all.filter((c) => !known || known.has(c.service) || removeOrphans);
}

/** `--rmi`: the images `down` removes (those still present locally). */
export function imagesToRemove(project: Project, mode: 'local' | 'all'): string[] {
  const refs = new Set<string>();
  for (const svc of Object.values(project.services)) {
    // "local": only images tug named itself (build-only services), never one the user tagged.
    if (mode === 'all' || !svc.image) refs.add(serviceImage(project, svc));
  }
  return [...refs];
}
