/**
 * What a deploy must do, from what the project wants and what the manager has under the stack's
 * namespace label. Pure: the runner lists, then follows the plan.
 */
import { type ConfigSpec, type NetworkCreateRequest, type NetworkSummary, type SecretSpec, type ServiceSpec } from '../engine/api/swarm.js';
import { DependencyGraph } from '../graph/graph.js';
import { type Condition, type DependsOn, type Service } from '../stack/model.js';
import { STACK_LABEL } from './context.js';

export interface DesiredStack {
  namespace: string;
  /** By Compose service name; each spec carries its spec-hash label. */
  services: Record<string, ServiceSpec>;
  /** Create bodies by engine name (external networks are not here). */
  networks: Record<string, NetworkCreateRequest>;
  secrets: SecretSpec[];
  configs: ConfigSpec[];
  /** Each service's depends_on, as the project has it. */
  dependsOn: Record<string, Record<string, DependsOn>>;
}

/** The manager's listings, filtered by `com.docker.stack.namespace=<project>`. */
export interface ObservedStack {
  services: { ID: string; Version: { Index: number }; Spec: ServiceSpec }[];
  networks: NetworkSummary[];
  secrets: ObservedObject[];
  configs: ObservedObject[];
}

export interface ObservedObject {
  ID: string;
  Spec: { Name: string; Labels?: Record<string, string> };
}

/** Wait for `service` to meet `condition` before creating or updating the gated service. */
export interface Gate {
  service: string;
  condition: Condition;
  /** An optional dependency that fails does not stop the dependent. */
  required: boolean;
}

export type ServiceStep =
  | { action: 'create'; service: string; name: string; spec: ServiceSpec; gate: Gate[] }
  | { action: 'update'; service: string; name: string; id: string; version: number; spec: ServiceSpec; gate: Gate[] }
  | { action: 'unchanged'; service: string; name: string; id: string; gate: Gate[] };

export interface RemoveStep {
  id: string;
  name: string;
}

export interface DeployPlan {
  networks: { create: NetworkCreateRequest[] };
  secrets: { create: SecretSpec[] };
  configs: { create: ConfigSpec[] };
  /** Dependencies first; a runner may start a step once its gate is met. */
  services: ServiceStep[];
  /** Services in the namespace that the project no longer has (removed only with removeOrphans). */
  orphans: RemoveStep[];
  removeServices: RemoveStep[];
  /**
   * Objects no service will use once the deploy is done: remove them after it converges, except
   * those a service can still roll back to (`referencedBy` its PreviousSpec, read after the deploy).
   */
  removeAfter: { secrets: RemoveStep[]; configs: RemoveStep[] };
  /** Things a person should know that do not stop the deploy. */
  notes: string[];
}

export interface PlanOptions {
  removeOrphans?: boolean;
}

export function planDeploy(desired: DesiredStack, observed: ObservedStack, opts: PlanOptions = {}): DeployPlan {
  const notes: string[] = [];
  const haveNetworks = new Set(observed.networks.map((n) => n.Name));
  const plan: DeployPlan = {
    networks: { create: Object.values(desired.networks).filter((n) => !haveNetworks.has(n.Name)) },
    secrets: { create: newObjects(desired.secrets, observed.secrets, 'secret', notes) },
    configs: { create: newObjects(desired.configs, observed.configs, 'config', notes) },
    services: [],
    orphans: [],
    removeServices: [],
    removeAfter: { secrets: [], configs: [] },
    notes,
  };

  const byName = new Map(observed.services.map((s) => [s.Spec.Name, s]));
  const graph = dependencyGraph(desired);
  for (const service of graph.topoOrder()) {
    const spec = desired.services[service]!;
    const gate = graph.edgesFrom(service).map((e) => ({ service: e.to, condition: e.condition, required: e.required }));
    const have = byName.get(spec.Name);
    if (!have) {
      plan.services.push({ action: 'create', service, name: spec.Name, spec, gate });
      continue;
    }
    const hash = spec.Labels[STACK_LABEL.specHash];
    if (hash !== undefined && have.Spec.Labels?.[STACK_LABEL.specHash] === hash) {
      plan.services.push({ action: 'unchanged', service, name: spec.Name, id: have.ID, gate });
      continue;
    }
    // As docker stack: keep the manager's ForceUpdate counter, or the update would redeploy or roll it back.
    const force = have.Spec.TaskTemplate?.ForceUpdate;
    const send = force === undefined ? spec : { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: force } };
    plan.services.push({ action: 'update', service, name: spec.Name, id: have.ID, version: have.Version.Index, spec: send, gate });
  }

  const wanted = new Set(Object.values(desired.services).map((s) => s.Name));
  const kept: ServiceSpec[] = Object.values(desired.services);
  for (const s of observed.services) {
    if (wanted.has(s.Spec.Name)) continue;
    const step = { id: s.ID, name: s.Spec.Name };
    plan.orphans.push(step);
    if (opts.removeOrphans) plan.removeServices.push(step);
    else kept.push(s.Spec);
  }

  // An object still referenced by a service that stays (desired or a kept orphan) must stay too.
  const used = { secrets: new Set<string>(), configs: new Set<string>() };
  for (const spec of kept) {
    const c = spec.TaskTemplate?.ContainerSpec;
    for (const r of c?.Secrets ?? []) used.secrets.add(r.SecretName);
    for (const r of c?.Configs ?? []) used.configs.add(r.ConfigName);
  }
  plan.removeAfter.secrets = observed.secrets.filter((o) => !used.secrets.has(o.Spec.Name)).map((o) => ({ id: o.ID, name: o.Spec.Name }));
  plan.removeAfter.configs = observed.configs.filter((o) => !used.configs.has(o.Spec.Name)).map((o) => ({ id: o.ID, name: o.Spec.Name }));
  return plan;
}

/**
 * Engine names of the secrets and configs the services reference, in their spec and in the
 * spec they would roll back to. The manager lets an object go once no current spec names it,
 * so one removed while a PreviousSpec still names it breaks the rollback (automatic, with
 * `failure_action: rollback`, or `docker service rollback`) and every later update of the service.
 */
export function referencedBy(services: readonly { Spec: ServiceSpec; PreviousSpec?: ServiceSpec }[]): { secrets: Set<string>; configs: Set<string> } {
  const out = { secrets: new Set<string>(), configs: new Set<string>() };
  for (const s of services) {
    for (const spec of [s.Spec, s.PreviousSpec]) {
      const c = spec?.TaskTemplate?.ContainerSpec;
      for (const r of c?.Secrets ?? []) out.secrets.add(r.SecretName);
      for (const r of c?.Configs ?? []) out.configs.add(r.ConfigName);
    }
  }
  return out;
}

/** Objects to create: those the manager lacks by name. Same name means same data, as the name carries its hash. */
function newObjects<T extends { Name: string; Labels: Record<string, string> }>(desired: T[], observed: ObservedObject[], noun: string, notes: string[]): T[] {
  const have = new Map(observed.map((o) => [o.Spec.Name, o]));
  return desired.filter((d) => {
    const o = have.get(d.Name);
    if (!o) return true;
    const want = d.Labels[STACK_LABEL.contentHash];
    const got = o.Spec.Labels?.[STACK_LABEL.contentHash];
    if (want !== undefined && got !== want) notes.push(`${noun} ${d.Name} exists but was not made from this data (content hash ${got ?? 'missing'}); it is used as it is`);
    return false;
  });
}

/**
 * The graph of depends_on edges between the desired services. Other edge kinds (links,
 * volumes_from, network_mode: service:) are refused in swarm mode, so only depends_on is built.
 */
function dependencyGraph(desired: DesiredStack): DependencyGraph {
  const services: Record<string, Service> = {};
  for (const name of Object.keys(desired.services)) {
    // An optional dependency on a service the project does not enable is no edge (the loader warned).
    const deps = Object.fromEntries(Object.entries(desired.dependsOn[name] ?? {}).filter(([dep, d]) => d.required || Object.hasOwn(desired.services, dep)));
    services[name] = { name, scale: 1, environment: {}, labels: {}, ports: [], volumes: [], depends_on: deps, networks: {} };
  }
  return DependencyGraph.fromServices(services);
}
