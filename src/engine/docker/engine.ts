/**
 * The engine seam over the Docker Engine API, through dockerode. This folder is the only
 * code that imports dockerode: everything above it speaks tug's types and TugErrors.
 */
import type { EngineTarget } from '../target.js';
import type { Engine } from '../engine.js';
import type { EngineInfo } from '../types.js';
import { DockerClient } from './client.js';
import { DockerContainers } from './containers.js';
import { subscribe } from './events.js';
import { attachContainer, resizeContainer, startExec } from './exec.js';
import { buildImage, builderSupport, imageId, imagePlatform, listImages, pullImage, pushImage, registryDigest, removeImage, tagImage } from './images.js';
import { readInfo } from './map.js';
import { DockerNetworks, DockerVolumes } from './resources.js';
import { configsClient, DockerNodes, DockerServices, DockerTasks, secretsClient } from './swarm.js';

export { EngineApiError } from '../api-error.js';
export { MAX_API } from './client.js';

/** Never fails: an unreachable engine shows up on the first call, as EngineUnreachableError. */
export function dockerEngine(target: EngineTarget): Engine {
  const client = new DockerClient(target);
  return {
    system: {
      host: target.host,
      apiVersion: async () => (await client.get()).api,
      info: async (): Promise<EngineInfo> => {
        const { docker, api } = await client.get();
        return readInfo(await client.call('reading engine info', () => docker.info()), api);
      },
    },
    containers: new DockerContainers(client),
    exec: {
      start: (id, opts) => startExec(client, id, opts),
      attach: (id, opts) => attachContainer(client, id, opts),
      resize: (id, rows, cols) => resizeContainer(client, id, rows, cols),
    },
    images: {
      localId: (ref) => imageId(client, ref),
      platform: (ref) => imagePlatform(client, ref),
      pull: (ref, onProgress, signal) => pullImage(client, ref, onProgress, signal),
      remove: (ref) => removeImage(client, ref),
      list: (filter) => listImages(client, filter),
      tag: (source, target) => tagImage(client, source, target),
      builder: () => builderSupport(client),
      build: (opts) => buildImage(client, opts),
      push: (ref, signal) => pushImage(client, ref, signal),
      registryDigest: (ref, timeoutMs) => registryDigest(client, ref, timeoutMs),
    },
    networks: new DockerNetworks(client),
    volumes: new DockerVolumes(client),
    events: { subscribe: (filter, signal) => subscribe(client, filter, signal) },
    services: new DockerServices(client),
    tasks: new DockerTasks(client),
    nodes: new DockerNodes(client),
    secrets: secretsClient(client),
    configs: configsClient(client),
  };
}
