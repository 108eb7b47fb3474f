/**
 * The spec hash a service carries in a label. The manager fills defaults into the spec it stores
 * and may pin the image to a digest, so comparing the stored spec with the desired one would see
 * changes that are not there; comparing the hash of what tug sent last time does not.
 */
import { createHash } from 'node:crypto';
import { type ServiceSpec } from '../engine/api/swarm.js';
import { canonicalJson } from '../engine/request/identity.js';
import { STACK_LABEL } from './context.js';

/**
 * sha256 of the spec in canonical JSON, leaving out what is not the file's: the hash label
 * itself, the object IDs (bound just before sending) and ForceUpdate (kept from the manager).
 */
export function specHash(spec: ServiceSpec): string {
  const { [STACK_LABEL.specHash]: _hash, ...labels } = spec.Labels;
  const { ForceUpdate: _force, ...task } = spec.TaskTemplate;
  const c = task.ContainerSpec;
  const subject = {
    ...spec,
    Labels: labels,
    TaskTemplate: {
      ...task,
      ContainerSpec: {
        ...c,
        Secrets: c.Secrets?.map((r) => ({ ...r, SecretID: '' })),
        Configs: c.Configs?.map((r) => ({ ...r, ConfigID: '' })),
      },
    },
  };
  return createHash('sha256').update(canonicalJson(subject)).digest('hex');
}

export function withSpecHash(spec: ServiceSpec): ServiceSpec {
  return { ...spec, Labels: { ...spec.Labels, [STACK_LABEL.specHash]: specHash(spec) } };
}
