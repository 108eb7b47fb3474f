/**
 * The converge toolkit: what every command that makes containers shares (`up`, `create`,
 * `run`). The project's networks and volumes are created in one way, external ones checked
 * with one error, a container is created whole (networks connected, files copied, or removed
 * again), a replacement gives the name back when it cannot be made, and what the compiler
 * had to leave out is reported.
 */
import type { Engine } from '../engine/engine.js';
import { keepAnonymousVolumes, networkSpec, volumeSpec, type ContainerPlan } from '../engine/request/index.js';
import { ExitCode, TugError } from '../errors.js';
import type { ContainerSummary } from '../plan/observed.js';
import type { Project, Service } from '../stack/model.js';
import { step, type ProgressListener } from './progress.js';

export interface ConvergeContext {
  engine: Engine;
  project: Project;
  emit: ProgressListener;
  apiVersion: string;
  /** tug's version, for the labels. */
  version?: string;
  /** Runs an engine call that changes something (a pool slot that drops queued calls once interrupted). */
  slot: <T>(task: () => Promise<T>) => Promise<T>;
}

export interface CreatedContainer {
  id: string;
  name: string;
}

export function externalMissing(kind: 'network' | 'volume', name: string): TugError {
  return new TugError('external_missing', `${kind} ${name} is declared external but does not exist`,
    { exitCode: ExitCode.invalidStack, hint: `create it with: docker ${kind} create ${name}` });
}

/** The networks a service joins and the named volumes it mounts, by their keys in the project. */
export function resourcesOf(project: Project, services: readonly Service[]): { networks: string[]; volumes: string[] } {
  const networks = new Set(services.flatMap((s) => (s.network_mode === undefined ? Object.keys(s.networks) : [])));
  const volumes = new Set(services.flatMap((s) => s.volumes.filter((v) => v.type === 'volume' && v.source && project.volumes[v.source]).map((v) => v.source!)));
  return { networks: [...networks].filter((k) => project.networks[k]), volumes: [...volumes] };
}

/** External resources are the user's: tug checks that they exist and never creates them. */
export async function checkExternal(engine: Engine, project: Project, services: readonly Service[]): Promise<void> {
  const used = resourcesOf(project, services);
  for (const k of used.networks) {
    const n = project.networks[k]!;
    if (n.external && !(await engine.networks.inspect(n.name))) throw externalMissing('network', n.name);
  }
  for (const k of used.volumes) {
    const v = project.volumes[k]!;
    if (v.external && !(await engine.volumes.inspect(v.name))) throw externalMissing('volume', v.name);
  }
}

export async function createNetwork(ctx: ConvergeContext, key: string): Promise<void> {
  const body = networkSpec(ctx.project, key, { version: ctx.version, apiVersion: ctx.apiVersion });
  await step(ctx.emit, { resource: 'network', name: body.Name, action: 'create' }, () => ctx.slot(() => ctx.engine.networks.create(body)));
}

export async function createVolume(ctx: ConvergeContext, key: string): Promise<void> {
  const body = volumeSpec(ctx.project, key, { version: ctx.version, apiVersion: ctx.apiVersion });
  await step(ctx.emit, { resource: 'volume', name: body.Name, action: 'create' }, () => ctx.slot(() => ctx.engine.volumes.create(body)));
}

/** What the compiler left out because the engine is too old for it (only tuning). */
export function reportWarnings(ctx: Pick<ConvergeContext, 'emit'>, spec: ContainerPlan, service: string): void {
  for (const message of spec.warnings) {
    ctx.emit({ resource: 'container', name: spec.name, service, action: 'create', state: 'warning', time: Date.now(), message });
  }
}

/**
 * Creates a container from its compiled request. Networks and files are added after create;
 * a container left without them would be started as it is by the next `up` (its config hash
 * matches), so it is removed instead.
 */
export async function createContainer(ctx: ConvergeContext, spec: ContainerPlan, service: string, action: 'create' | 'recreate' = 'create'): Promise<CreatedContainer> {
  reportWarnings(ctx, spec, service);
  const id = await step(ctx.emit, { resource: 'container', name: spec.name, service, action }, () => ctx.slot(async () => {
    const created = await ctx.engine.containers.create(spec.name, spec.body, { platform: spec.platform });
    try {
      for (const n of spec.networks) await ctx.engine.networks.connect(n.name, created, n.endpoint);
      await ctx.engine.containers.copyFiles(created, spec.copies);
    } catch (err) {
      await ctx.engine.containers.remove(created, { force: true }).catch(() => {});
      throw err;
    }
    return created;
  }));
  return { id, name: spec.name };
}

/**
 * Creates the replacement of `old` beside it: `old` steps aside under another name and keeps
 * running until the replacement may start, and hands over its anonymous volumes. When the
 * replacement cannot be made, `old` gets its name back, so the next `up` finds it as it was.
 */
export async function replaceContainer(ctx: ConvergeContext, old: ContainerSummary, spec: ContainerPlan): Promise<CreatedContainer> {
  const details = await ctx.slot(() => ctx.engine.containers.inspect(old.id));
  await ctx.slot(() => ctx.engine.containers.rename(old.id, `${old.id.slice(0, 12)}_${old.name}`));
  try {
    return await createContainer(ctx, keepAnonymousVolumes(spec, details.mounts), old.service, 'recreate');
  } catch (err) {
    await ctx.engine.containers.rename(old.id, old.name).catch(() => {});
    throw err;
  }
}

