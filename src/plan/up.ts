/**
 * Planning `up`: the desired project against what the engine runs for it → what to do for
 * each replica. Pure: no engine, no clock; the runner executes the result. Numbering, scale,
 * config-hash comparisons, `restart: true` propagation and orphan detection all live here.
 */
import type { NetworkSummary, VolumeSummary } from '../engine/engine.js';
import type { ContainerPlan } from '../engine/request/index.js';
import { replicasByService, type ContainerSummary } from './observed.js';
import type { DependencyGraph } from '../graph/graph.js';
import type { Project } from '../stack/model.js';

export type ReplicaAction =
  | { kind: 'create'; number: number; spec?: ContainerPlan }
  /** The config changed: replace the container, carrying its anonymous volumes over. */
  | { kind: 'recreate'; number: number; container: ContainerSummary; spec?: ContainerPlan }
  /** Exists and is up to date but not running. */
  | { kind: 'start'; number: number; container: ContainerSummary }
  /** A dependency it declared `restart: true` on is being replaced. */
  | { kind: 'restart'; number: number; container: ContainerSummary }
  | { kind: 'keep'; number: number; container: ContainerSummary };

export interface ServicePlan {
  service: string;
  hash: string;
  replicas: ReplicaAction[];
  /** Containers beyond the wanted scale: out-of-date ones first, then the highest numbers. */
  remove: ContainerSummary[];
}

export interface UpPlan {
  /** Network keys (project.networks) to create; external ones are only checked. */
  networks: string[];
  volumes: string[];
  /** Every service in scope, dependencies before dependents. */
  services: ServicePlan[];
  orphans: ContainerSummary[];
}

export interface UpPlanOptions {
  /** Services named on the command line; empty means all. */
  targets?: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  alwaysRecreateDeps?: boolean;
  scale?: Record<string, number>;
  /**
   * Compiles the create request of each replica to be made, while planning: what the engine
   * cannot be asked is refused here, before anything changes. Every runner passes one.
   */
  compile?: (service: string, number: number) => ContainerPlan;
  /**
   * The id of the image a service's containers would be created from now, when the engine has
   * it: a replica made from another image (rebuilt, pulled anew) is recreated, as Compose
   * recreates on a changed image digest.
   */
  imageOf?: (service: string) => string | undefined;
}

export interface Observed {
  containers: ContainerSummary[];
  networks: NetworkSummary[];
  volumes: VolumeSummary[];
}

/** Services in scope: the targets and, unless --no-deps, everything they need. */
export function servicesInScope(project: Project, graph: DependencyGraph, opts: Pick<UpPlanOptions, 'targets' | 'noDeps'>): string[] {
  const targets = opts.targets?.length ? opts.targets : Object.keys(project.services);
  const scope = opts.noDeps ? new Set(targets) : graph.dependenciesOf(targets);
  return graph.topoOrder().filter((s) => scope.has(s));
}

export function planUp(
  project: Project,
  graph: DependencyGraph,
  observed: Observed,
  hashOf: (service: string) => string,
  opts: UpPlanOptions = {},
): UpPlan {
  const scope = servicesInScope(project, graph, opts);
  const byService = replicasByService(observed.containers);
  const targets = new Set(opts.targets?.length ? opts.targets : scope);
  // A job others wait on to complete has done its work once it exited 0: running it again on
  // every `up` would not be convergence.
  const jobs = new Set(scope.flatMap((s) => graph.edgesTo(s).filter((e) => e.condition === 'service_completed_successfully').map((e) => e.to)));
  const replaced = new Set<string>();
  const plans = new Map<string, ServicePlan>();
  for (const name of scope) {
    const hash = hashOf(name);
    const existing = (byService.get(name) ?? []).sort((a, b) => a.number - b.number || b.created - a.created);
    const scale = opts.scale?.[name] ?? project.services[name]!.scale;
    const depReplaced = graph.edgesFrom(name).some((e) => replaced.has(e.to));
    const forced = opts.forceRecreate === true && (targets.has(name) || opts.alwaysRecreateDeps === true);
    const image = opts.imageOf?.(name);
    const plan = planService(name, hash, existing, scale, {
      done: (c) => jobs.has(name) && c.state === 'exited' && exitCodeOf(c) === 0,
      recreate: (c) => !opts.noRecreate
        && (forced || c.configHash !== hash || imageChanged(c, image) || (depReplaced && opts.alwaysRecreateDeps === true)),
    });
    if (plan.replicas.some((r) => r.kind === 'recreate')) replaced.add(name);
    if (opts.compile) {
      for (const r of plan.replicas) if (r.kind === 'create' || r.kind === 'recreate') r.spec = opts.compile(name, r.number);
    }
    plans.set(name, plan);
  }
  // A dependent that declared `restart: true` restarts when what it depends on is replaced.
  for (const name of scope) {
    const needsRestart = graph.edgesFrom(name).some((e) => e.restart && replaced.has(e.to));
    if (!needsRestart) continue;
    const plan = plans.get(name)!;
    plan.replicas = plan.replicas.map((r) => (r.kind === 'keep' ? { kind: 'restart', number: r.number, container: r.container } : r));
  }
  const used = scope.map((s) => project.services[s]!);
  const haveNet = new Set(observed.networks.map((n) => n.name));
  const haveVol = new Set(observed.volumes.map((v) => v.name));
  const netKeys = new Set(used.flatMap((s) => (s.network_mode === undefined ? Object.keys(s.networks) : [])));
  const volKeys = new Set(used.flatMap((s) => s.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => v.source!)));
  const known = new Set([...Object.keys(project.services), ...Object.keys(project.disabled_services)]);
  return {
    networks: [...netKeys].filter((k) => project.networks[k] && !project.networks[k]!.external && !haveNet.has(project.networks[k]!.name)),
    volumes: [...volKeys].filter((k) => project.volumes[k] && !project.volumes[k]!.external && !haveVol.has(project.volumes[k]!.name)),
    services: scope.map((s) => plans.get(s)!),
    orphans: observed.containers.filter((c) => !c.oneoff && !known.has(c.service)),
  };
}

function planService(
  service: string,
  hash: string,
  existing: ContainerSummary[],
  scale: number,
  policy: { recreate: (c: ContainerSummary) => boolean; done: (c: ContainerSummary) => boolean },
): ServicePlan {
  // Two containers claiming one number (a crash mid-recreate) keep the newest; the rest go.
  const byNumber = new Map<number, ContainerSummary>();
  const extra: ContainerSummary[] = [];
  for (const c of existing) {
    if (byNumber.has(c.number)) extra.push(c);
    else byNumber.set(c.number, c);
  }
  const outdated = (c: ContainerSummary) => c.configHash !== hash;
  // Scale-down keeps the up-to-date, lowest-numbered replicas.
  const ranked = [...byNumber.values()].sort((a, b) => Number(outdated(a)) - Number(outdated(b)) || a.number - b.number);
  const keep = ranked.slice(0, scale);
  const remove = [...extra, ...ranked.slice(scale).sort((a, b) => Number(outdated(b)) - Number(outdated(a)) || b.number - a.number)];
  const replicas: ReplicaAction[] = [];
  for (const c of keep.sort((a, b) => a.number - b.number)) {
    if (policy.recreate(c)) replicas.push({ kind: 'recreate', number: c.number, container: c });
    else if (c.state === 'running' || c.state === 'restarting' || policy.done(c)) replicas.push({ kind: 'keep', number: c.number, container: c });
    else replicas.push({ kind: 'start', number: c.number, container: c });
  }
  // New replicas are numbered after the highest existing one, as Compose does.
  let next = Math.max(0, ...existing.map((c) => c.number)) + 1;
  while (replicas.length < scale) replicas.push({ kind: 'create', number: next++ });
  return { service, hash, replicas, remove };
}

/** The exit code in the engine's status text, `Exited (0) 5 seconds ago`. */
export function exitCodeOf(c: ContainerSummary): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(c.status);
  return m ? Number(m[1]) : undefined;
}

/** Whether a container was made from another image than the one its service names now (both known). */
export function imageChanged(c: ContainerSummary, current: string | undefined): boolean {
  if (current === undefined || c.imageId === undefined) return false;
  // Podman lists ids without the digest algorithm that Docker's carry.
  const bare = (id: string) => id.replace(/^sha256:/, '');
  return bare(c.imageId) !== bare(current);
}
