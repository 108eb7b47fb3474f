/**
 * Swarm mode: a project as the services, networks, secrets and configs `docker stack deploy`
 * would make of it, named and labelled the same way so `docker stack ls/ps/services/rm` see it.
 * Everything here is pure; the runner lists, creates and waits.
 */
import { type ConfigSpec, type NetworkCreateRequest, type SecretSpec, type ServiceSpec } from '../engine/api/swarm.js';
import { type Diagnostic } from '../errors.js';
import { type Project } from '../stack/model.js';
import { type SwarmSpecOptions } from './context.js';
import { networkSpecs } from './network.js';
import { fileObjects } from './objects.js';
import { type DesiredStack } from './plan.js';
import { serviceSpec } from './service-spec.js';

export { type ObjectNames, STACK_LABEL, type SwarmSpecOptions } from './context.js';
export { type ModeName } from './deploy.js';
export { specHash, withSpecHash } from './hash.js';
export { SWARM_KEYS, SWARM_SERVICE_KEYS, type SwarmDisposition, checkKeys } from './keys.js';
export { networkSpecs, type StackNetworks } from './network.js';
export { type ObjectIds, type StackObjects, bindObjectIds, contentHash, fileObjects, versionedName } from './objects.js';
export {
  type DeployPlan, type DesiredStack, type Gate, type ObservedObject, type ObservedStack, type PlanOptions, type RemoveStep,
  type ServiceStep, planDeploy, referencedBy,
} from './plan.js';
export { type ServiceSpecOptions, type ServiceSpecResult, serviceName, serviceSpec } from './service-spec.js';
export {
  type Convergence, type DescribeContext, type TaskFailure, type TaskRow, type Want, describeTasks, isPermanentError,
  taskConvergence, wantOf,
} from './tasks.js';

/** What `tug --swarm config --format json` prints. */
export interface SwarmConfig {
  /** By Compose service name. */
  services: Record<string, ServiceSpec>;
  /** Create bodies by engine name. */
  networks: Record<string, NetworkCreateRequest>;
  /** Engine names of external networks the services attach to: they must exist, swarm-scoped. */
  externalNetworks: string[];
  secrets: SecretSpec[];
  configs: ConfigSpec[];
  warnings: Diagnostic[];
}

export function swarmConfig(project: Project, opts: SwarmSpecOptions = {}): SwarmConfig {
  const objects = fileObjects(project, opts);
  const networks = networkSpecs(project, { apiVersion: opts.apiVersion });
  const warnings: Diagnostic[] = [...networks.warnings];
  const services: Record<string, ServiceSpec> = {};
  for (const service of Object.values(project.services)) {
    const r = serviceSpec(project, service, { ...opts, names: objects.names });
    services[service.name] = r.spec;
    warnings.push(...r.warnings);
  }
  return { services, networks: networks.create, externalNetworks: networks.external, secrets: objects.secrets, configs: objects.configs, warnings };
}

/** The desired side of `planDeploy`. */
export function desiredStack(project: Project, config: SwarmConfig): DesiredStack {
  return {
    namespace: project.name,
    services: config.services,
    networks: config.networks,
    secrets: config.secrets,
    configs: config.configs,
    dependsOn: Object.fromEntries(Object.values(project.services).map((s) => [s.name, s.depends_on])),
  };
}
