/**
 * Changing a deployed swarm stack in place: `scale` (replica counts) and `restart` (a forced
 * rolling update, honouring the service's update_config).
 */
import type { Service, ServiceSpec } from '../../engine/api/swarm.js';
import { EngineApiError } from '../../engine/api-error.js';
import type { Engine } from '../../engine/engine.js';
import { ServiceFailedError, UsageError } from '../../errors.js';
import { STACK_LABEL } from '../../labels.js';
import { withSpecHash } from '../../swarm/index.js';
import { settleAll } from '../gates.js';
import { step, type ProgressListener } from '../progress.js';
import { requireManager } from './manager.js';

async function serviceOf(engine: Engine, project: string, name: string): Promise<Service> {
  const [svc] = await engine.services.list({ labels: [`${STACK_LABEL.namespace}=${project}`] }).then((l) => l.filter((s) => s.Spec.Name === `${project}_${name}`));
  if (!svc) throw new ServiceFailedError('no_containers', `service "${name}" is not deployed in stack ${project}`, 'deploy it first: tug --swarm up');
  return svc;
}

/** Sends a changed spec at the version read; another writer in between means read again and change again. */
async function change(engine: Engine, svc: Service, edit: (spec: ServiceSpec) => ServiceSpec): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await engine.services.update(svc.ID, svc.Version.Index, edit(svc.Spec));
      return;
    } catch (err) {
      if (!(err instanceof EngineApiError) || !/update out of sequence/i.test(err.message) || attempt >= 4) throw err;
      svc = (await engine.services.inspect(svc.ID)) ?? svc;
    }
  }
}

export async function swarmScale(engine: Engine, project: string, replicas: Record<string, number>, opts: { onProgress?: ProgressListener } = {}): Promise<void> {
  const emit = opts.onProgress ?? (() => {});
  await requireManager(engine);
  await settleAll(Object.entries(replicas).map(async ([name, n]) => {
    const svc = await serviceOf(engine, project, name);
    if (!svc.Spec.Mode.Replicated) throw new UsageError(`service "${name}" is not replicated (global or a job): it cannot be scaled`);
    await step(emit, { resource: 'service', name: svc.Spec.Name, service: name, action: 'update', message: `${n} replicas` }, () =>
      // The spec hash moves with it, so the next `up` sets the file's count again, as Compose's does.
      change(engine, svc, (spec) => withSpecHash({ ...spec, Mode: { Replicated: { Replicas: n } } })));
  }));
}

export async function swarmRestart(engine: Engine, project: string, services: string[], opts: { onProgress?: ProgressListener } = {}): Promise<void> {
  const emit = opts.onProgress ?? (() => {});
  await requireManager(engine);
  const names = services.length ? services : (await engine.services.list({ labels: [`${STACK_LABEL.namespace}=${project}`] })).map((s) => s.Spec.Name.slice(project.length + 1));
  await settleAll(names.map(async (name) => {
    const svc = await serviceOf(engine, project, name);
    await step(emit, { resource: 'service', name: svc.Spec.Name, service: name, action: 'restart' }, () =>
      change(engine, svc, (spec) => ({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate.ForceUpdate ?? 0) + 1 } })));
  }));
}
