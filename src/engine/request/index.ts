/**
 * Pure translation from the normalised model to Docker Engine API request bodies. No I/O and
 * no engine client here, so every mapping is checked by unit tests against the exact JSON the
 * engine receives. A key the local engine cannot honour is refused, never silently dropped:
 * `SERVICE_KEYS` records the decision for every key of `Service`.
 */
export { containerSpec } from './container.js';
export type { ContainerPlan, ContainerSpecOptions } from './context.js';
export { configHash, containerName, serviceImage } from './identity.js';
export { SERVICE_KEYS, type KeyDisposition } from './keys.js';
export { networkSpec, volumeSpec, type ResourceSpecOptions } from './project.js';
export { keepAnonymousVolumes } from './storage.js';
