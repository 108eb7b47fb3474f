/** One Compose service as a swarm ServiceSpec, the way `docker stack deploy` converts it. */
import { type Driver, type ServiceSpec } from '../engine/api/swarm.js';
import { type Diagnostic, ExitCode, TugError } from '../errors.js';
import { type Project, type Service } from '../stack/model.js';
import { type Ctx, type ObjectNames, STACK_LABEL, type SwarmSpecOptions, apiAtLeast, nonEmpty, prune, scoped } from './context.js';
import { containerSpec } from './container-spec.js';
import { modeName, placement, restartPolicy, serviceMode, updateConfig } from './deploy.js';
import { withSpecHash } from './hash.js';
import { checkKeys } from './keys.js';
import { attachments } from './network.js';
import { fileObjects } from './objects.js';
import { endpointSpec } from './ports.js';
import { resources } from './resources.js';

export interface ServiceSpecOptions extends SwarmSpecOptions {
  /** Engine names of the stack's secrets and configs (from `fileObjects`); read from the files when absent. */
  names?: ObjectNames;
}

export interface ServiceSpecResult {
  /** Secret and config IDs are empty: `bindObjectIds` fills them in before sending. */
  spec: ServiceSpec;
  warnings: Diagnostic[];
}

// The manager's rule for service names: a DNS label.
const SERVICE_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

// Jobs, capabilities, ulimits and pids limits arrived in 1.41 (Docker 20.10): below it half a stack would be dropped.
const MIN_API = '1.41';

export function serviceSpec(project: Project, service: Service, opts: ServiceSpecOptions = {}): ServiceSpecResult {
  if (!apiAtLeast(opts.apiVersion, MIN_API)) {
    throw new TugError('swarm_api_too_old', `swarm mode needs Engine API ${MIN_API} (Docker 20.10) or later; the manager speaks ${opts.apiVersion}`,
      { exitCode: ExitCode.invalidStack, hint: 'upgrade the swarm managers' });
  }
  const warnings = checkKeys(service, opts);
  const name = serviceName(project, service);
  const image = opts.resolveImage?.(service) ?? service.image;
  if (image === undefined) {
    throw new TugError('no_image', `service "${service.name}" has neither image nor build`,
      { exitCode: ExitCode.invalidStack, path: `services.${service.name}`, hint: 'add image:' });
  }
  const names = opts.names ?? fileObjects(project, opts).names;
  const ctx: Ctx = { project, service, opts, names, warnings };
  const mode = modeName(service);
  const spec: ServiceSpec = prune({
    Name: name,
    // As docker stack: deploy.labels label the service, labels: the containers.
    Labels: { ...service.deploy?.labels, [STACK_LABEL.namespace]: project.name, [STACK_LABEL.image]: image },
    TaskTemplate: {
      ContainerSpec: containerSpec(ctx, image),
      Resources: resources(ctx),
      RestartPolicy: restartPolicy(service),
      Placement: placement(service, mode),
      Networks: nonEmpty(attachments(ctx)),
      LogDriver: logDriver(service),
    },
    Mode: serviceMode(service),
    UpdateConfig: updateConfig(service, 'update_config', mode),
    RollbackConfig: updateConfig(service, 'rollback_config', mode),
    EndpointSpec: endpointSpec(ctx),
  });
  return { spec: withSpecHash(spec), warnings };
}

/** `<project>_<service>`, held to the manager's rule so a bad name fails here, at its line. */
export function serviceName(project: Project, service: Service): string {
  const name = scoped(project, service.name);
  if (name.length > 63 || !SERVICE_NAME.test(name)) {
    throw new TugError('invalid_service_name', `service "${service.name}": the swarm service name "${name}" is not valid: at most 63 letters, digits, - and _, starting and ending with a letter or digit`,
      { exitCode: ExitCode.invalidStack, path: `services.${service.name}`, hint: 'rename the service (no dots), or shorten the project name' });
  }
  return name;
}

function logDriver(service: Service): Driver | undefined {
  const l = service.logging;
  if (!l || (l.driver === undefined && l.options === undefined)) return undefined;
  return prune({ Name: l.driver, Options: nonEmpty(l.options) });
}
