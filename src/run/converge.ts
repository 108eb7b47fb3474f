/**
 * The converge toolkit: what every command that makes containers shares (`up`, `create`,
 * `run`). The project's networks and volumes are created in one way, external ones checked
 * with one error, a container is created whole (networks connected, files copied, or removed
 * again), a replacement gives the name back when it cannot be made, and what the compiler
 * had to leave out is reported.
 *
 * Creating is create-or-adopt: two tug commands that do not share a lock (two machines
 * driving one remote engine) may create the same network, volume or container at once. The
 * one that finds it made already adopts it when it is the project's own (its labels say so,
 * and a container's config hash matches), so both converge; anything else of that name is
 * reported as what it is, never taken over. Networks, whose duplicate check in the engine is
 * not atomic, settle their twins in ensure-network.ts.
 */
import { conflictingContainer, EngineApiError, unlessGone } from '../engine/api-error.js';
import type { ContainerDetails, Engine, VolumeSummary } from '../engine/engine.js';
import { keepAnonymousVolumes, networkSpec, volumeSpec, type ContainerPlan } from '../engine/request/index.js';
import { ExitCode, ServiceFailedError, TugError } from '../errors.js';
import { LABEL, ownedBy } from '../labels.js';
import type { ContainerSummary } from '../plan/observed.js';
import type { Project, Service } from '../stack/model.js';
import { step, type ProgressListener } from './progress.js';
import { whileAmbiguous } from './refusals.js';
import { ensureNetwork } from './ensure-network.js';

export interface ConvergeContext {
  engine: Engine;
  project: Project;
  emit: ProgressListener;
  apiVersion: string;
  /** tug's version, for the labels. */
  version?: string;
  /** Runs an engine call that changes something (a pool slot that drops queued calls once interrupted). */
  slot: <T>(task: () => Promise<T>) => Promise<T>;
  /** `up -V`: a replacement gets new anonymous volumes rather than the old container's. */
  renewAnonVolumes?: boolean;
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


/** Oldest first (then by id), so that every racer picks the same one of several of one name. */
export async function createNetwork(ctx: ConvergeContext, key: string): Promise<void> {
  const body = networkSpec(ctx.project, key, { version: ctx.version, apiVersion: ctx.apiVersion });
  await step(ctx.emit, { resource: 'network', name: body.Name, action: 'create' },
    () => ctx.slot(() => ensureNetwork(ctx.engine, ctx.project, key, body)), adoptedNote);
}

/**
 * The engine's volume create is idempotent: it answers with the volume of that name when one
 * exists, whatever its labels (which it leaves as they were). So the answer is checked: the
 * project's own is adopted, anything else is not used behind the user's back.
 */
export async function ensureVolume(engine: Engine, project: Project, key: string, body: ReturnType<typeof volumeSpec>): Promise<'made' | 'adopted'> {
  const before = await engine.volumes.inspect(body.Name);
  if (before && !ownedBy(before.labels, project.name, 'volume', key)) throw volumeConflict(project, key, before);
  await engine.volumes.create(body);
  if (before) return 'adopted';
  const after = await engine.volumes.inspect(body.Name);
  // Made by someone else between our look and our create: ours only if its labels say so.
  if (after && !ownedBy(after.labels, project.name, 'volume', key)) throw volumeConflict(project, key, after);
  return 'made';
}

function volumeConflict(project: Project, key: string, v: VolumeSummary): ServiceFailedError {
  const owner = v.labels[LABEL.project] ? `it belongs to project ${v.labels[LABEL.project]}` : 'tug did not make it';
  return new ServiceFailedError('volume_conflict', `volume ${v.name} exists but is not project ${project.name}'s (${owner})`,
    `to use its data as it is, declare volumes.${key} external: true with name: ${v.name}; otherwise remove it (docker volume rm ${v.name}) or rename the volume`);
}

export async function createVolume(ctx: ConvergeContext, key: string): Promise<void> {
  const body = volumeSpec(ctx.project, key, { version: ctx.version, apiVersion: ctx.apiVersion });
  await step(ctx.emit, { resource: 'volume', name: body.Name, action: 'create' },
    () => ctx.slot(() => ensureVolume(ctx.engine, ctx.project, key, body)), adoptedNote);
}

const adoptedNote = (r: 'made' | 'adopted'): string | undefined =>
  (r === 'adopted' ? 'made meanwhile by another tug command: adopted' : undefined);

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
  const made = await step(ctx.emit, { resource: 'container', name: spec.name, service, action }, () => ctx.slot(async () => {
    let created: string;
    try {
      // Named networks are resolved at create: a racer's twin network may still be going away.
      created = await whileAmbiguous(ctx.engine, () => ctx.engine.containers.create(spec.name, spec.body, { platform: spec.platform }));
    } catch (err) {
      if (!(err instanceof EngineApiError && err.refusal === 'name_conflict')) throw err;
      // Another command made this very replica meanwhile: finish it the same way, idempotently.
      const twin = await adoptable(ctx.engine, spec, err);
      await completeContainer(ctx.engine, twin.id, spec);
      return { id: twin.id, adopted: true };
    }
    try {
      await completeContainer(ctx.engine, created, spec);
    } catch (err) {
      await ctx.engine.containers.remove(created, { force: true }).catch(() => {});
      throw err;
    }
    return { id: created, adopted: false };
  }), (r) => (r.adopted ? 'made meanwhile by another tug command with the same configuration: adopted' : undefined));
  return { id: made.id, name: spec.name };
}

/** Networks connected and files copied; a network it is on already (a racer connected it) is fine. */
async function completeContainer(engine: Engine, id: string, spec: ContainerPlan): Promise<void> {
  for (const n of spec.networks) {
    await whileAmbiguous(engine, () => engine.networks.connect(n.name, id, n.endpoint)).catch((err: unknown) => {
      if (!(err instanceof EngineApiError && /already exists|already attached/i.test(err.message))) throw err;
    });
  }
  await engine.containers.copyFiles(id, spec.copies);
}

/**
 * The container holding the name, when it is this very replica (same project, service,
 * number and config hash, not a one-off); otherwise the name conflict, naming its holder.
 */
async function adoptable(engine: Engine, spec: ContainerPlan, err: EngineApiError): Promise<ContainerDetails> {
  const holder = conflictingContainer(err.message) ?? spec.name;
  let twin: ContainerDetails;
  try {
    twin = await engine.containers.inspect(holder);
  } catch {
    throw err; // gone again already: report the refusal as it was
  }
  const want = spec.body.Labels ?? {};
  const same = [LABEL.project, LABEL.service, LABEL.number, LABEL.oneoff, LABEL.configHash].every((k) => twin.labels[k] === want[k]);
  if (same) return twin;
  const whose = twin.labels[LABEL.project]
    ? `container ${twin.name} (${twin.id.slice(0, 12)}) of project ${twin.labels[LABEL.project]}, service ${twin.labels[LABEL.service] ?? '?'}${twin.labels[LABEL.project] === want[LABEL.project] ? ', made from another configuration' : ''}`
    : `container ${twin.name} (${twin.id.slice(0, 12)}, image ${twin.image}), which tug did not make`;
  throw new ServiceFailedError('name_conflict', `cannot create container ${spec.name}: the name is taken by ${whose}`,
    twin.labels[LABEL.project] === want[LABEL.project]
      ? 'another tug command changed the project at the same time: run tug up again'
      : `remove or rename it (docker rm -f ${twin.name}), or give the service another container_name`);
}

/**
 * Creates the replacement of `old` beside it: `old` steps aside under another name and keeps
 * running until the replacement may start, and hands over its anonymous volumes. When the
 * replacement cannot be made, `old` gets its name back, so the next `up` finds it as it was.
 */
export async function replaceContainer(ctx: ConvergeContext, old: ContainerSummary, spec: ContainerPlan): Promise<CreatedContainer> {
  const details = await ctx.slot(() => unlessGone(ctx.engine.containers.inspect(old.id)));
  // Replaced and removed meanwhile by another command: its replacement holds the name, and is adopted.
  if (!details) return createContainer(ctx, spec, old.service, 'recreate');
  const aside = `${old.id.slice(0, 12)}_${old.name}`;
  await ctx.slot(() => ctx.engine.containers.rename(old.id, aside)).catch(async (err: unknown) => {
    // Another command stepped it aside already (or removed it): go on as if we had.
    const now = await unlessGone(ctx.engine.containers.inspect(old.id));
    if (now && now.name.replace(/^\//, '') !== aside) throw err;
  });
  try {
    return await createContainer(ctx, ctx.renewAnonVolumes ? spec : keepAnonymousVolumes(spec, details.mounts), old.service, 'recreate');
  } catch (err) {
    await ctx.engine.containers.rename(old.id, old.name).catch(() => {});
    throw err;
  }
}

