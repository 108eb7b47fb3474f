/**
 * `tug --swarm down`: the stack's services, then the networks, secrets and configs it made,
 * found by the namespace label `docker stack` uses (so a stack `docker stack deploy` made
 * comes down too, and nothing of another stack is touched). Named volumes live on each node;
 * with `-v` tug removes those it can reach (the manager's own) and names the rest.
 */
import type { Engine } from '../../engine/engine.js';
import { EngineApiError } from '../../engine/api-error.js';
import { STACK_LABEL } from '../../labels.js';
import { settleAll } from '../gates.js';
import { step, type ProgressListener } from '../progress.js';
import { requireManager } from './manager.js';

export interface SwarmDownOptions {
  volumes?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface SwarmDownResult {
  services: string[];
  networks: string[];
  secrets: string[];
  configs: string[];
  volumes: string[];
  /** Volumes of the stack this engine cannot remove: on other nodes, or still in use. */
  volumesLeft: string[];
}

/** How long a removed service's tasks may take to let go of its networks and volumes. */
const DETACH_TIMEOUT_MS = 60_000;

export async function swarmDown(engine: Engine, project: string, opts: SwarmDownOptions = {}): Promise<SwarmDownResult> {
  const emit = opts.onProgress ?? (() => {});
  await requireManager(engine);
  const labels = [`${STACK_LABEL.namespace}=${project}`];
  const services = await engine.services.list({ labels });
  await settleAll(services.map((s) => step(emit, { resource: 'service', name: s.Spec.Name, action: 'remove' }, () => engine.services.remove(s.ID))));
  // The manager frees the networks once the services are gone; a node's volume, once its containers are.
  const deadline = Date.now() + DETACH_TIMEOUT_MS;
  const [networks, secrets, configs] = await Promise.all([
    engine.networks.list({ labels }), engine.secrets.list({ labels }), engine.configs.list({ labels }),
  ]);
  await settleAll([
    ...networks.map((n) => step(emit, { resource: 'network', name: n.name, action: 'remove' }, () => retryWhileInUse(() => engine.networks.remove(n.id), deadline))),
    ...secrets.map((s) => step(emit, { resource: 'secret', name: s.Spec.Name, action: 'remove' }, () => engine.secrets.remove(s.ID))),
    ...configs.map((c) => step(emit, { resource: 'config', name: c.Spec.Name, action: 'remove' }, () => engine.configs.remove(c.ID))),
  ]);
  const removedVolumes: string[] = [];
  const volumesLeft: string[] = [];
  if (opts.volumes) {
    for (const v of await engine.volumes.list({ labels })) {
      try {
        await step(emit, { resource: 'volume', name: v.name, action: 'remove' }, () => retryWhileInUse(() => engine.volumes.remove(v.name), deadline));
        removedVolumes.push(v.name);
      } catch {
        volumesLeft.push(v.name);
      }
    }
  }
  return {
    services: services.map((s) => s.Spec.Name),
    networks: networks.map((n) => n.name),
    secrets: secrets.map((s) => s.Spec.Name),
    configs: configs.map((c) => c.Spec.Name),
    volumes: removedVolumes,
    volumesLeft,
  };
}

/** The engine frees a network or volume a moment after the last container using it went. */
async function retryWhileInUse(remove: () => Promise<void>, deadline: number): Promise<void> {
  for (;;) {
    try {
      return await remove();
    } catch (err) {
      const inUse = err instanceof EngineApiError && (err.status === 403 || err.status === 409 || /in use|active endpoints/i.test(err.message));
      if (!inUse || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
