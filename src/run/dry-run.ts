/**
 * `--dry-run`: what a verb would do, as the progress events its run would emit, from the same
 * plans the verbs execute (src/plan/) and reads of the engine only. Nothing here changes
 * anything: no create, start, stop, remove, pull or build call is made, and no lock is taken.
 */
import type { Engine } from '../engine/engine.js';
import { serviceImage } from '../engine/request/index.js';
import { DependencyGraph } from '../graph/graph.js';
import { checkServiceNames, containersFor, planRemove, planRestart, planStart, selectContainers } from '../plan/lifecycle.js';
import type { ContainerSummary } from '../plan/observed.js';
import { planStop, type StopStep } from '../plan/down.js';
import type { UpPlan } from '../plan/up.js';
import type { Project } from '../stack/model.js';
import { containersToRemove, imagesToRemove } from './down.js';
import { imagePolicy } from './images.js';
import { listContainers, listNetworks, listVolumes } from './observe.js';
import type { ProgressAction, ProgressEvent, ResourceKind } from './progress.js';
import { planUpOnly, type PlannedImage, type UpOptions } from './up.js';

/** One action of the plan, as the event its run would end with. */
export type DryRunEvent = ProgressEvent & { dryRun: true };

function ev(resource: ResourceKind, name: string, action: ProgressAction, service?: string, message?: string): DryRunEvent {
  return { resource, name, action, state: 'done', time: 0, dryRun: true, ...(service !== undefined ? { service } : {}), ...(message ? { message } : {}) };
}

/** Steps in an order their `after` lists allow: the order the stops are made in. */
function stopOrder(steps: readonly StopStep[]): ContainerSummary[] {
  const done = new Set<string>();
  const out: ContainerSummary[] = [];
  let left = [...steps];
  while (left.length > 0) {
    const ready = left.filter((s) => s.after.every((id) => done.has(id) || !steps.some((o) => o.container.id === id)));
    // A cycle in the labels cannot stop a real run (it stops them all at once): nor this one.
    const next = ready.length > 0 ? ready : left;
    for (const s of next) {
      done.add(s.container.id);
      out.push(s.container);
    }
    left = left.filter((s) => !next.includes(s));
  }
  return out;
}

const stopsOf = (containers: ContainerSummary[]): ContainerSummary[] => stopOrder(planStop(containersFor('kill', containers)));

const forContainer = (c: ContainerSummary, action: ProgressAction, message?: string): DryRunEvent => ev('container', c.name, action, c.service, message);

/**
 * An up plan as the events `up` emits while executing it: networks and volumes made, images
 * pulled or built, replicas scaled away (and, with --remove-orphans, orphans) removed, then
 * each replica created or recreated (the old container removed), started or restarted, and,
 * with --wait, each service waited on.
 */
export function upDryRunEvents(
  project: Project, plan: UpPlan, images: readonly PlannedImage[], opts: { noStart?: boolean; wait?: boolean; removeOrphans?: boolean } = {},
): DryRunEvent[] {
  const out: DryRunEvent[] = [];
  for (const k of plan.networks) out.push(ev('network', project.networks[k]!.name, 'create'));
  for (const k of plan.volumes) out.push(ev('volume', project.volumes[k]!.name, 'create'));
  for (const i of images) out.push(ev('image', i.ref, i.action, i.service));
  for (const s of plan.services) for (const c of s.remove) out.push(forContainer(c, 'remove', 'scale down'));
  if (opts.removeOrphans) for (const c of plan.orphans) out.push(forContainer(c, 'remove', 'orphan'));
  for (const s of plan.services) {
    for (const r of s.replicas) {
      if (r.kind === 'create' || r.kind === 'recreate') {
        const name = r.spec?.name ?? `${project.name}-${s.service}-${r.number}`;
        out.push(ev('container', name, r.kind, s.service));
        if (r.kind === 'recreate') out.push(forContainer(r.container, 'remove', 'replaced'));
        if (!opts.noStart) out.push(ev('container', name, 'start', s.service));
      } else if (r.kind === 'start' && !opts.noStart) {
        out.push(forContainer(r.container, 'start'));
      } else if (r.kind === 'restart' && !opts.noStart) {
        out.push(forContainer(r.container, 'restart'));
      }
    }
  }
  if (opts.wait && !opts.noStart) {
    for (const s of plan.services) {
      const svc = project.services[s.service]!;
      out.push(ev('service', s.service, svc.healthcheck && !svc.healthcheck.disable ? 'healthy' : 'ready', s.service));
    }
  }
  return out;
}

export async function dryRunUp(engine: Engine, project: Project, opts: UpOptions): Promise<DryRunEvent[]> {
  const { plan, images } = await planUpOnly(engine, project, opts);
  return upDryRunEvents(project, plan, images, opts);
}

export interface DownDryRunOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  rmi?: 'local' | 'all';
}

/** `down`: running containers stopped, every container removed, the project's networks, and volumes and images when asked. */
export async function dryRunDown(engine: Engine, projectName: string, project: Project | undefined, opts: DownDryRunOptions): Promise<DryRunEvent[]> {
  const all = await listContainers(engine, { project: projectName, all: true });
  const containers = containersToRemove(all, project, opts.removeOrphans);
  const out: DryRunEvent[] = [];
  for (const c of stopsOf(containers)) out.push(forContainer(c, 'stop'));
  for (const c of containers) out.push(forContainer(c, 'remove'));
  for (const n of await listNetworks(engine, { project: projectName })) out.push(ev('network', n.name, 'remove'));
  if (opts.volumes) for (const v of await listVolumes(engine, { project: projectName })) out.push(ev('volume', v.name, 'remove'));
  if (opts.rmi && project) {
    for (const ref of imagesToRemove(project, opts.rmi)) if (await engine.images.localId(ref)) out.push(ev('image', ref, 'remove'));
  }
  return out;
}

export type LifecycleVerb = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause' | 'rm';

/** The verbs that act on existing containers, each from its own plan. */
export async function dryRunLifecycle(
  engine: Engine, project: Project, verb: LifecycleVerb, opts: { services?: string[]; noDeps?: boolean; stop?: boolean },
): Promise<DryRunEvent[]> {
  const listed = await listContainers(engine, { project: project.name, all: true });
  switch (verb) {
    case 'start': {
      checkServiceNames(project, opts.services);
      const plan = planStart(DependencyGraph.fromServices(project.services), listed, opts);
      return plan.start.flatMap((s) => s.containers.map((c) => forContainer(c, 'start')));
    }
    case 'restart': {
      checkServiceNames(project, opts.services);
      const plan = planRestart(DependencyGraph.fromServices(project.services), listed, opts);
      // As restart runs it: the running ones stopped (dependents first), then all started again.
      return [...stopOrder(plan.stop).map((c) => forContainer(c, 'stop')), ...plan.start.flatMap((s) => s.containers.map((c) => forContainer(c, 'start')))];
    }
    case 'rm': {
      checkServiceNames(project, opts.services, { allowDisabled: true });
      const plan = planRemove(selectContainers(project, listed, { services: opts.services, oneoff: true }), { stop: opts.stop });
      return [...stopsOf(plan.stopFirst).map((c) => forContainer(c, 'stop')), ...plan.remove.map((c) => forContainer(c, 'remove'))];
    }
    case 'stop':
      checkServiceNames(project, opts.services, { allowDisabled: true });
      return stopsOf(selectContainers(project, listed, opts)).map((c) => forContainer(c, 'stop'));
    default:
      checkServiceNames(project, opts.services, { allowDisabled: true });
      return containersFor(verb, selectContainers(project, listed, opts)).map((c) => forContainer(c, verb));
  }
}

/** `pull`: the images it would pull (not those present under pull_policy missing, nor build-only ones). */
export async function dryRunPull(engine: Engine, project: Project, names: string[]): Promise<DryRunEvent[]> {
  const out = new Map<string, DryRunEvent>();
  for (const name of names) {
    const svc = project.services[name]!;
    const d = imagePolicy(svc, 'pull');
    if (d.kind === 'skip' || out.has(svc.image!)) continue;
    if (d.kind === 'local' && (await engine.images.localId(svc.image!))) continue;
    out.set(svc.image!, ev('image', svc.image!, 'pull', name));
  }
  return [...out.values()];
}

/** `build`: one build per image of the services with a build section. */
export function dryRunBuild(project: Project, names: string[]): DryRunEvent[] {
  const out = new Map<string, DryRunEvent>();
  for (const name of names) {
    const svc = project.services[name]!;
    if (!svc.build) continue;
    const ref = serviceImage(project, svc);
    if (!out.has(ref)) out.set(ref, ev('image', ref, 'build', name));
  }
  return [...out.values()];
}
