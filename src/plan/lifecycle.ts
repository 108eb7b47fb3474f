/**
 * Planning the verbs that act on containers that already exist: restart, start, stop, kill,
 * pause, unpause, rm, and the checks `scale` needs before it hands over to `up`. Pure: the
 * runner lists the containers, these functions decide which of them to touch and in what
 * order, and the runner executes that.
 */
import type { StopStep } from './down.js';
import { replicasByService, type ContainerSummary } from './observed.js';
import { ExitCode, TugError } from '../errors.js';
import type { DependencyGraph } from '../graph/graph.js';
import type { Project } from '../stack/model.js';
import { didYouMean } from '../stack/suggest.js';
import { exitCodeOf } from './up.js';

export interface ServiceContainers {
  service: string;
  containers: ContainerSummary[];
}

/** A dependency of a service about to start that has no container to wait on. */
export interface MissingDependency {
  service: string;
  dependency: string;
  required: boolean;
}

export interface RestartPlan {
  /** Services restarted, dependencies first. */
  services: string[];
  /** Running containers of those services, each stopped after the ones that depend on it. */
  stop: StopStep[];
  /** Every container of those services, started again per service in dependency order. */
  start: ServiceContainers[];
  missing: MissingDependency[];
}

export interface StartPlan {
  /** The named services and what they depend on, dependencies first. */
  scope: string[];
  /** Containers not running, per service in dependency order. */
  start: ServiceContainers[];
  /** Services in scope without any container: `up` never created them, or scaled them to 0. */
  empty: string[];
  missing: MissingDependency[];
}

export interface RemovePlan {
  /** Stopped containers, plus running ones when they are to be stopped first. */
  remove: ContainerSummary[];
  /** Running containers to stop before removing (`rm -s`). */
  stopFirst: ContainerSummary[];
  /** Running containers left alone because `-s` was not given. */
  skipped: ContainerSummary[];
}

const LIVE = new Set(['running', 'restarting', 'paused']);

export const isRunning = (c: ContainerSummary): boolean => LIVE.has(c.state);

/** Names given on the command line must be services of the stack (active or not, when asked). */
export function checkServiceNames(project: Project, names: readonly string[] | undefined, opts: { allowDisabled?: boolean } = {}): void {
  const known = Object.keys(project.services);
  const inactive = Object.keys(project.disabled_services);
  for (const n of names ?? []) {
    if (project.services[n] || (opts.allowDisabled && project.disabled_services[n])) continue;
    const guess = didYouMean(n, [...known, ...(opts.allowDisabled ? inactive : [])]);
    const hint = project.disabled_services[n]
      ? `"${n}" is in a profile that is not enabled; add --profile for it`
      : guess ? `did you mean "${guess}"?` : undefined;
    throw new TugError('unknown_service', `no such service: ${n}`, { exitCode: ExitCode.usage, hint });
  }
}

/**
 * The containers a verb may act on: the project's services (or the named ones), never a
 * container whose service left the file; those are for `down --remove-orphans`.
 */
export function selectContainers(
  project: Project,
  containers: readonly ContainerSummary[],
  opts: { services?: readonly string[]; oneoff?: boolean } = {},
): ContainerSummary[] {
  const wanted = new Set(opts.services?.length ? opts.services : [...Object.keys(project.services), ...Object.keys(project.disabled_services)]);
  return containers
    .filter((c) => wanted.has(c.service) && (opts.oneoff || !c.oneoff))
    .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
}

/**
 * The named services (all when none are named) and, unless `noDeps`, every service that
 * declared `restart: true` on one of them, transitively. All are stopped dependents first,
 * then started dependencies first, each gated on its dependencies as `up` gates it.
 */
export function planRestart(graph: DependencyGraph, containers: readonly ContainerSummary[], opts: { services?: string[]; noDeps?: boolean } = {}): RestartPlan {
  const named = opts.services?.length ? opts.services : graph.services();
  const set = new Set(named);
  if (!opts.noDeps) for (const d of graph.dependentsOf(named, { onlyRestart: true })) set.add(d);
  const groups = replicasByService(containers);
  const services = graph.topoOrder().filter((s) => set.has(s) && groups.has(s));
  const start = services.map((service) => ({ service, containers: groups.get(service)! }));
  return {
    services,
    stop: stopSteps(graph, start.map((s) => ({ service: s.service, containers: s.containers.filter(isRunning) }))),
    start,
    missing: missingDependencies(graph, start, groups),
  };
}

/**
 * Stopped containers of the named services and of what they depend on, as `docker compose
 * start` does. A job others wait on with `service_completed_successfully` that exited 0 has
 * done its work and stays done, as in `up`, unless it is named.
 */
export function planStart(graph: DependencyGraph, containers: readonly ContainerSummary[], opts: { services?: string[] } = {}): StartPlan {
  const named = opts.services?.length ? opts.services : graph.services();
  const inScope = graph.dependenciesOf(named);
  const scope = graph.topoOrder().filter((s) => inScope.has(s));
  const explicit = new Set(opts.services ?? []);
  const jobs = new Set(scope.flatMap((s) => graph.edgesTo(s).filter((e) => e.condition === 'service_completed_successfully').map((e) => e.to)));
  const done = (c: ContainerSummary) => jobs.has(c.service) && !explicit.has(c.service) && c.state === 'exited' && exitCodeOf(c) === 0;
  const groups = replicasByService(containers);
  const start = scope
    .map((service) => ({ service, containers: (groups.get(service) ?? []).filter((c) => !isRunning(c) && c.state !== 'removing' && !done(c)) }))
    .filter((s) => s.containers.length > 0);
  return { scope, start, empty: scope.filter((s) => !groups.has(s)), missing: missingDependencies(graph, start, groups) };
}

/**
 * Each container stops once the containers of every service in the set that depends on it
 * have stopped. Only direct dependents are listed: through them the order is transitive.
 */
export function stopSteps(graph: DependencyGraph, services: readonly ServiceContainers[]): StopStep[] {
  const byName = new Map(services.map((s) => [s.service, s.containers]));
  return services.flatMap(({ service, containers }) => {
    const after = graph.edgesTo(service).filter((e) => e.from !== service).flatMap((e) => (byName.get(e.from) ?? []).map((c) => c.id));
    return containers.map((container) => ({ container, after: [...new Set(after)] }));
  });
}

/**
 * Dependencies with nothing a gate could wait on: no container at all, or only ones never
 * started, while nobody is starting them now. Found before anything is stopped, so a restart
 * that could not bring a service back does not take it down first.
 */
export function missingDependencies(graph: DependencyGraph, starting: readonly ServiceContainers[], groups: ReadonlyMap<string, ContainerSummary[]>): MissingDependency[] {
  const startingNames = new Set(starting.map((s) => s.service));
  const out: MissingDependency[] = [];
  for (const { service } of starting) {
    for (const e of graph.edgesFrom(service)) {
      if (startingNames.has(e.to)) continue;
      const usable = (groups.get(e.to) ?? []).filter((c) => c.state !== 'created' && c.state !== 'removing');
      if (usable.length === 0) out.push({ service, dependency: e.to, required: e.required });
    }
  }
  return out;
}

/** Stopped containers go; running ones only with `-s`, after being stopped. */
export function planRemove(containers: readonly ContainerSummary[], opts: { stop?: boolean } = {}): RemovePlan {
  const candidates = containers.filter((c) => c.state !== 'removing');
  const running = candidates.filter(isRunning);
  const stopped = candidates.filter((c) => !isRunning(c));
  return opts.stop
    ? { remove: [...candidates], stopFirst: running, skipped: [] }
    : { remove: stopped, stopFirst: [], skipped: running };
}

/** Which containers a signal-like verb applies to: the engine refuses the others. */
export function containersFor(verb: 'kill' | 'pause' | 'unpause', containers: readonly ContainerSummary[]): ContainerSummary[] {
  switch (verb) {
    case 'kill':
      return containers.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused');
    case 'pause':
      return containers.filter((c) => c.state === 'running');
    case 'unpause':
      return containers.filter((c) => c.state === 'paused');
  }
}

/**
 * What `scale` (and `up --scale`) may ask for. The file's own `scale` is checked when the
 * stack is loaded; a number from the command line can break the same rules, and must be
 * refused before anything is created rather than fail halfway through.
 */
export function checkScale(project: Project, scale: Readonly<Record<string, number>> | undefined): void {
  for (const [name, n] of Object.entries(scale ?? {})) {
    checkServiceNames(project, [name]);
    if (!Number.isInteger(n) || n < 0) {
      throw new TugError('invalid_scale', `cannot scale service "${name}" to ${n}`, { exitCode: ExitCode.usage, hint: 'use a whole number of replicas, 0 or more' });
    }
    const svc = project.services[name]!;
    if (n <= 1) continue;
    if (svc.container_name !== undefined) {
      throw new TugError('container_name_with_scale',
        `cannot scale service "${name}" to ${n}: it sets container_name "${svc.container_name}", and container names are unique on an engine`,
        { exitCode: ExitCode.usage, hint: 'remove container_name from the service to run several replicas' });
    }
    for (const p of svc.ports) {
      if (!p.published) continue;
      const [lo, hi = lo] = p.published.split('-').map(Number) as [number, number?];
      const room = hi - lo + 1;
      if (room >= n) continue;
      const what = room === 1 ? `publishes fixed host port ${lo}` : `publishes host ports ${p.published}, room for ${room} replicas`;
      throw new TugError('host_port_with_scale', `cannot scale service "${name}" to ${n}: it ${what}, and only one container can bind a host port`,
        { exitCode: ExitCode.usage, hint: `publish a range of at least ${n} host ports (e.g. "${lo}-${lo + n - 1}:${p.target}") or leave the host port out` });
    }
  }
}
