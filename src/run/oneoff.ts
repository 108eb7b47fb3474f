/**
 * `run`: a one-off container of a service, beside its regular replicas. Its dependencies are
 * brought up as `up` brings them up, and the one-off starts only once its own `depends_on`
 * conditions hold. It carries the project's labels with `oneoff` True, so `up`, `ps` and
 * `down --remove-orphans` tell it apart, and publishes no ports unless asked to, as in Compose.
 */
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Engine } from '../engine/engine.js';
import type { ContainerPlan } from '../engine/request/index.js';
import { replicasByService } from '../plan/observed.js';
import { UsageError } from '../errors.js';
import { DependencyGraph } from '../graph/graph.js';
import type { Project, Service, ServiceVolume } from '../stack/model.js';
import { parseVolumeShort } from '../stack/shapes.js';
import { specCompiler } from './compile.js';
import { checkExternal, createContainer, createNetwork, createVolume, resourcesOf, type ConvergeContext } from './converge.js';
import { awaitUntouchedDependencies, seedWatch, type GateContext } from './gated-start.js';
import { postStart } from './hooks.js';
import { ensureImages } from './images.js';
import { Pool } from './pool.js';
import type { ProgressListener } from './progress.js';
import { pump, type LocalStdio } from './stdio.js';
import { up } from './up.js';
import { ContainerWatch } from './watch.js';
import { listContainers, listNetworks } from './observe.js';
import { startContainer } from './refusals.js';

export interface OneOffRequest {
  service: string;
  /** Replaces the service's command. */
  command?: string[];
  /** Replaces the image's and the service's entrypoint; `['']` clears it. */
  entrypoint?: string[];
  /** `KEY=value` entries over the service's environment. */
  env?: string[];
  /** Instead of `<project>-<service>-run-<id>`. */
  name?: string;
  user?: string;
  workdir?: string;
  /** Publish the service's ports, which a one-off otherwise leaves unpublished. */
  servicePorts?: boolean;
  /** Extra mounts, replacing the service's own at the same target. */
  volumes?: ServiceVolume[];
  tty: boolean;
  /** Keep stdin open and feed it from tug's. */
  interactive: boolean;
  /** Started and left running; with `autoRemove` the engine removes it once it stops. */
  detach?: boolean;
  autoRemove?: boolean;
}

export interface OneOff {
  id: string;
  name: string;
}

interface Progress {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** tug's version, for the labels. */
  version?: string;
}

/**
 * Brings up what the service depends on (not the service itself) and waits until each of its
 * `depends_on` conditions holds, exactly as `up` would before starting it.
 */
export async function startDependencies(engine: Engine, project: Project, service: string, opts: Progress): Promise<void> {
  const graph = DependencyGraph.fromServices(project.services);
  const deps = [...new Set(graph.edgesFrom(service).map((e) => e.to))];
  if (deps.length === 0) return;
  const emit = opts.onProgress ?? (() => {});
  const signal = opts.signal ?? new AbortController().signal;
  // Subscribed before up starts anything, so the health transitions the gates need are seen.
  const watch = await ContainerWatch.open(engine, project.name, signal);
  try {
    await up(engine, project, { targets: deps, signal, onProgress: emit, version: opts.version });
    const present = replicasByService(await listContainers(engine, { project: project.name, all: true }));
    const ctx: GateContext = { engine, project, graph, watch, pool: new Pool(16), emit, signal };
    await seedWatch(ctx, deps.flatMap((d) => present.get(d) ?? []));
    await awaitUntouchedDependencies(ctx, [{ service, containers: [] }], present);
  } finally {
    watch.close();
  }
}

/** A one-off ready to be created: its service as the flags change it, and its compiled request. */
export interface PlannedOneOff {
  req: OneOffRequest;
  service: Service;
  spec: ContainerPlan;
}

/**
 * Compiles the one-off's container request before anything else happens, so that a stack
 * tug cannot run is refused before its dependencies are brought up.
 */
export async function planOneOff(engine: Engine, project: Project, req: OneOffRequest, opts: Progress = {}): Promise<PlannedOneOff> {
  const service = oneOffService(project.services[req.service]!, req);
  const compiler = specCompiler(project, { apiVersion: await engine.system.apiVersion(), version: opts.version, engineHost: engine.system.host });
  const compiled = compiler.oneoff(service, randomBytes(6).toString('hex'));
  const attached = !req.detach;
  const spec: ContainerPlan = {
    ...compiled,
    name: req.name ?? compiled.name,
    body: {
      ...compiled.body,
      Tty: req.tty,
      OpenStdin: req.interactive,
      // With StdinOnce, tug's stdin ending (Ctrl-D, the end of a pipe) ends the container's.
      StdinOnce: req.interactive && attached,
      AttachStdin: req.interactive && attached,
      AttachStdout: attached,
      AttachStderr: attached,
      HostConfig: { ...compiled.body.HostConfig, ...(req.autoRemove ? { AutoRemove: true } : {}) },
    },
  };
  return { req, service, spec };
}

/** Creates the one-off (with its image, networks and volumes if missing); does not start it. */
export async function createOneOff(engine: Engine, project: Project, planned: PlannedOneOff, opts: Progress = {}): Promise<OneOff> {
  const emit = opts.onProgress ?? (() => {});
  const pool = new Pool(8);
  await ensureImages(engine, project, [planned.req.service], { signal: opts.signal }, emit, pool);
  const ctx: ConvergeContext = {
    engine, project, emit, version: opts.version, apiVersion: await engine.system.apiVersion(), slot: (task) => task(),
  };
  await ensureResources(ctx, planned.service);
  return createContainer(ctx, planned.spec, planned.service.name);
}

/** Whose post_start hooks a one-off runs once started: its service's, as Compose's `run` does. */
export interface OneOffHooks {
  project: Project;
  service: string;
}

/**
 * The service's post_start hooks in the started one-off, as Compose runs them for `run`: by
 * exec, in order, their output not shown (the container's own has the terminal) but kept for
 * a failure's report. Undefined when the service has none.
 */
function oneOffPostStart(engine: Engine, oneoff: OneOff, hooks: OneOffHooks | undefined): Promise<void> | undefined {
  if (!hooks?.project.services[hooks.service]?.post_start?.length) return undefined;
  const base = { resource: 'container', name: oneoff.name, service: hooks.service, action: 'start' } as const;
  return postStart({ engine, project: hooks.project, emit: () => {} }, hooks.service, oneoff, base);
}

/**
 * Starts a detached one-off: it runs on its own, tug does not follow it. Its post_start hooks
 * run before tug returns; one that fails is the command's failure (exit 5).
 */
export async function startDetached(engine: Engine, oneoff: OneOff, hooks?: OneOffHooks): Promise<void> {
  await startContainer(engine, oneoff.id);
  await oneOffPostStart(engine, oneoff, hooks);
}

/** Removes the one-off and its anonymous volumes (`run --rm`); a one-off already gone is no failure. */
export async function removeOneOff(engine: Engine, oneoff: OneOff): Promise<void> {
  await engine.containers.remove(oneoff.id, { force: true, volumes: true }).catch(() => {});
}

/** Passes a signal on to the one-off, as `docker run` proxies Ctrl-C; failures are the container's to report. */
export function signalOneOff(engine: Engine, oneoff: OneOff, signal: string): void {
  void engine.containers.kill(oneoff.id, signal).catch(() => {});
}

/**
 * Attaches before starting, so that none of the output is missed, then joins the container to
 * tug's stdio until it stops; resolves with its exit code. The service's post_start hooks run
 * while it runs, as in Compose; one that failed is the command's failure (exit 5) unless the
 * container itself failed, whose exit code is the more useful answer (Compose keeps it too).
 */
export async function runAttached(
  engine: Engine, oneoff: OneOff, req: Pick<OneOffRequest, 'tty' | 'interactive'>, io: LocalStdio, hooks?: OneOffHooks,
): Promise<number> {
  const session = await engine.exec.attach(oneoff.id, { stdin: req.interactive, tty: req.tty });
  try {
    await startContainer(engine, oneoff.id);
  } catch (err) {
    session.close();
    throw err;
  }
  const hooksDone = oneOffPostStart(engine, oneoff, hooks);
  // Awaited once the container has stopped; until then its failure must not go unhandled.
  const settled = hooksDone?.then(() => undefined, (err: unknown) => err);
  const code = await pump(session, io, { tty: req.tty });
  const failed = await settled;
  if (failed !== undefined && code === 0) throw failed;
  return code;
}

/** The service as the one-off runs it: the flags' overrides, and nothing that would rerun it. */
export function oneOffService(base: Service, req: OneOffRequest): Service {
  const env = Object.fromEntries((req.env ?? []).map((e) => {
    const eq = e.indexOf('=');
    return [e.slice(0, eq), e.slice(eq + 1)];
  }));
  const extraTargets = new Set((req.volumes ?? []).map((v) => v.target));
  const svc: Service = {
    ...base,
    environment: { ...base.environment, ...env },
    ports: req.servicePorts ? base.ports : [],
    volumes: [...base.volumes.filter((v) => !extraTargets.has(v.target)), ...(req.volumes ?? [])],
    tty: req.tty,
    stdin_open: req.interactive,
  };
  if (req.command?.length) svc.command = req.command;
  if (req.entrypoint) svc.entrypoint = req.entrypoint;
  if (req.user !== undefined) svc.user = req.user;
  if (req.workdir !== undefined) svc.working_dir = req.workdir;
  // The exit code is the answer a one-off gives; a restart policy would run it again.
  delete svc.restart;
  if (svc.deploy?.restart_policy) {
    const { restart_policy: _dropped, ...deploy } = svc.deploy;
    svc.deploy = deploy;
  }
  return svc;
}

/** `-v [source:]target[:mode]` as a mount; a relative host path is the project directory's. */
export function parseVolumeFlag(spec: string, project: Project): ServiceVolume {
  const raw = parseVolumeShort(spec);
  if (raw.mode !== undefined) throw new UsageError(`-v ${spec}: unknown volume option "${String(raw.mode)}"`, 'expected ro, rw, z, Z, nocopy or a propagation mode');
  if (!raw.target.startsWith('/')) throw new UsageError(`-v ${spec}: the target "${raw.target}" must be an absolute path`);
  const vol = { ...raw } as unknown as ServiceVolume;
  if (vol.type === 'bind' && vol.source !== undefined) {
    const home = vol.source === '~' || vol.source.startsWith('~/') ? join(homedir(), vol.source.slice(1)) : vol.source;
    vol.source = isAbsolute(home) ? home : resolve(project.working_dir, home);
  }
  return vol;
}

/** The networks and named volumes the one-off uses; `up` made them unless nothing else needed them. */
async function ensureResources(ctx: ConvergeContext, svc: Service): Promise<void> {
  await checkExternal(ctx.engine, ctx.project, [svc]);
  const used = resourcesOf(ctx.project, [svc]);
  for (const key of used.networks) {
    const n = ctx.project.networks[key]!;
    // By the project's labels, not by name: a name can be ambiguous, or another's.
    if (!n.external && (await listNetworks(ctx.engine, { project: ctx.project.name, name: n.name })).length === 0) await createNetwork(ctx, key);
  }
  for (const key of used.volumes) {
    const v = ctx.project.volumes[key]!;
    if (!v.external && !(await ctx.engine.volumes.inspect(v.name))) await createVolume(ctx, key);
  }
}
