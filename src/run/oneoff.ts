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
import type { ContainerSummary } from '../plan/observed.js';
import { configHash, containerName, containerSpec, networkSpec, volumeSpec } from '../engine/request/index.js';
import { ExitCode, TugError, UsageError } from '../errors.js';
import { DependencyGraph } from '../graph/graph.js';
import type { Project, Service, ServiceVolume } from '../stack/model.js';
import { parseVolumeShort } from '../stack/shapes.js';
import { awaitUntouchedDependencies, seedWatch, type GateContext } from './gated-start.js';
import { ensureImages } from './images.js';
import { Pool } from './pool.js';
import { step, type ProgressListener } from './progress.js';
import { pump, type LocalStdio } from './stdio.js';
import { up } from './up.js';
import { ContainerWatch } from './watch.js';
import { listContainers } from './observe.js';

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
    const present = new Map<string, ContainerSummary[]>();
    for (const c of await listContainers(engine, { project: project.name, all: true })) {
      if (!c.oneoff) present.set(c.service, [...(present.get(c.service) ?? []), c]);
    }
    const ctx: GateContext = { engine, project, graph, watch, pool: new Pool(16), emit, signal };
    await seedWatch(ctx, deps.flatMap((d) => present.get(d) ?? []));
    await awaitUntouchedDependencies(ctx, [{ service, containers: [] }], present);
  } finally {
    watch.close();
  }
}

/** Creates the one-off (with its image, networks and volumes if missing); does not start it. */
export async function createOneOff(engine: Engine, project: Project, req: OneOffRequest, opts: Progress = {}): Promise<OneOff> {
  const emit = opts.onProgress ?? (() => {});
  const svc = oneOffService(project.services[req.service]!, req);
  const pool = new Pool(8);
  await ensureImages(engine, project, [req.service], { signal: opts.signal }, emit, pool);
  await ensureResources(engine, project, svc, opts);
  const spec = containerSpec(project, svc, {
    number: 1, apiVersion: await engine.system.apiVersion(), oneoff: randomBytes(6).toString('hex'), hash: configHash(svc),
    resolveContainer: (s) => (project.services[s] ? containerName(project, project.services[s]!, 1) : s),
    version: opts.version ?? 'tug', secretEnv: process.env,
  });
  for (const w of spec.warnings) emit({ resource: 'container', name: spec.name, service: svc.name, action: 'create', state: 'warning', time: Date.now(), message: w });
  const name = req.name ?? spec.name;
  const attached = !req.detach;
  const body = {
    ...spec.body,
    Tty: req.tty,
    OpenStdin: req.interactive,
    // With StdinOnce, tug's stdin ending (Ctrl-D, the end of a pipe) ends the container's.
    StdinOnce: req.interactive && attached,
    AttachStdin: req.interactive && attached,
    AttachStdout: attached,
    AttachStderr: attached,
    HostConfig: { ...(spec.body.HostConfig as Record<string, unknown>), ...(req.autoRemove ? { AutoRemove: true } : {}) },
  };
  const id = await step(emit, { resource: 'container', name, service: svc.name, action: 'create' }, async () => {
    const created = await engine.containers.create(name, body, { platform: spec.platform });
    try {
      for (const n of spec.networks) await engine.networks.connect(n.name, created, n.endpoint);
      await engine.containers.copyFiles(created, spec.copies);
    } catch (err) {
      await engine.containers.remove(created, { force: true }).catch(() => {});
      throw err;
    }
    return created;
  });
  return { id, name };
}

/**
 * Attaches before starting, so that none of the output is missed, then joins the container to
 * tug's stdio until it stops; resolves with its exit code.
 */
export async function runAttached(engine: Engine, oneoff: OneOff, req: Pick<OneOffRequest, 'tty' | 'interactive'>, io: LocalStdio): Promise<number> {
  const session = await engine.exec.attach(oneoff.id, { stdin: req.interactive, tty: req.tty });
  try {
    await engine.containers.start(oneoff.id);
  } catch (err) {
    session.close();
    throw err;
  }
  return pump(session, io, { tty: req.tty });
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
async function ensureResources(engine: Engine, project: Project, svc: Service, opts: Progress): Promise<void> {
  const emit = opts.onProgress ?? (() => {});
  const nets = svc.network_mode === undefined ? Object.keys(svc.networks) : [];
  for (const key of nets) {
    const n = project.networks[key];
    if (!n || (await engine.networks.inspect(n.name))) continue;
    if (n.external) {
      throw new TugError('external_missing', `network ${n.name} is declared external but does not exist`, { exitCode: ExitCode.invalidStack, hint: `create it with: docker network create ${n.name}` });
    }
    const body = networkSpec(project, key, { version: opts.version });
    await step(emit, { resource: 'network', name: n.name, action: 'create' }, () => engine.networks.create(body));
  }
  const vols = new Set(svc.volumes.filter((v) => v.type === 'volume' && v.source && project.volumes[v.source]).map((v) => v.source!));
  for (const key of vols) {
    const v = project.volumes[key]!;
    if (await engine.volumes.inspect(v.name)) continue;
    if (v.external) {
      throw new TugError('external_missing', `volume ${v.name} is declared external but does not exist`, { exitCode: ExitCode.invalidStack, hint: `create it with: docker volume create ${v.name}` });
    }
    const body = volumeSpec(project, key, { version: opts.version });
    await step(emit, { resource: 'volume', name: v.name, action: 'create' }, () => engine.volumes.create(body));
  }
}
