/**
 * Images: what `up`, `run`, `create`, `pull` and `build` do to have each image a container
 * needs, decided by one policy (the service's pull_policy, or `--pull`) and done once per
 * image however many services share it.
 */
import { statSync } from 'node:fs';
import type { BuildOptions, Engine, PullProgress } from '../engine/engine.js';
import { buildSpec, classicRequested, type BuildSpecOptions } from '../engine/request/build.js';
import { serviceImage } from '../engine/request/index.js';
import { EngineUnreachableError, ExitCode, ServiceFailedError, TugError } from '../errors.js';
import { placeFailure } from './failure-site.js';
import type { Project, Service } from '../stack/model.js';
import { withSourceLines } from '../stack/source-map.js';
import { Pool } from './pool.js';
import { step, tolerantStep, type ProgressListener } from './progress.js';

/** `--pull` on up/create/run: replaces every service's pull_policy for this command. */
export type PullFlag = 'always' | 'missing' | 'never' | 'build';

/** The image flags of up/create/run: `--pull`, `--build`, and `--no-build` (never build, even a missing image). */
export interface ImageFlags { pull?: PullFlag; build?: boolean; noBuild?: boolean }

/** What a command does about one service's image. */
export type ImageDecision =
  | { kind: 'build' }
  | { kind: 'pull' }
  /** Use the local image; when it is missing, `then` (`why` says why it cannot be had otherwise). */
  | { kind: 'local'; then: 'pull' | 'build' | 'fail'; why?: string }
  | { kind: 'skip'; why: string };

/**
 * The pull policy, for the two kinds of command. `converge` (up, create, run) needs the image
 * to exist; `pull` refreshes the images the file names and never builds.
 */
export function imagePolicy(svc: Service, mode: 'converge' | 'pull', opts: ImageFlags = {}): ImageDecision {
  if (mode === 'pull') {
    if (!svc.image) return { kind: 'skip', why: 'it is built, not pulled (no image: key)' };
    if (svc.pull_policy === 'never') return { kind: 'skip', why: 'pull_policy is never' };
    if (svc.pull_policy === 'build') return { kind: 'skip', why: 'pull_policy is build' };
    if (svc.pull_policy === 'missing' || svc.pull_policy === 'if_not_present') return { kind: 'local', then: 'pull' };
    return { kind: 'pull' };
  }
  const policy = opts.pull ?? svc.pull_policy ?? 'missing';
  // As Compose's --no-build: no build at all; a missing image is pulled where the policy and an
  // image: key allow, and is otherwise an error (Compose leaves it to the engine's "No such image").
  if (svc.build && opts.noBuild) {
    if (policy === 'always' && svc.image) return { kind: 'pull' };
    const pullable = svc.image !== undefined && policy !== 'never' && policy !== 'build';
    return pullable ? { kind: 'local', then: 'pull' } : { kind: 'local', then: 'fail', why: '--no-build forbids building it' };
  }
  if (svc.build && (opts.build || policy === 'build')) return { kind: 'build' };
  // A service that is only built has no image to pull: it is built when missing.
  if (policy === 'always' && svc.image !== undefined) return { kind: 'pull' };
  if (policy === 'never') return { kind: 'local', then: 'fail' };
  return { kind: 'local', then: svc.build ? 'build' : 'pull' };
}

/** Builds running at once: each keeps the engine's CPUs busy, so a few, not one per service. */
export const BUILDS_AT_ONCE = 4;

/** What every build of a command needs to know: the engine's builders and where secrets and agents are read. */
export async function buildSettings(engine: Engine, env: Record<string, string | undefined> = process.env): Promise<BuildSpecOptions> {
  return { support: await engine.images.builder(), forceClassic: classicRequested(env), env, isSocket };
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/**
 * The engine's build request for a service's build section; `overrides` are the flags of `tug
 * build`. What the builder cannot do is refused at the key's line.
 */
export function buildRequest(
  project: Project, svc: Service, ref: string, settings: BuildSpecOptions,
  overrides: Pick<BuildOptions, 'noCache' | 'pull' | 'signal' | 'onProgress' | 'onStep'> = {},
): BuildOptions {
  const spec = withSourceLines(project, () => buildSpec(project, svc, ref, settings));
  const req: BuildOptions = { ...spec };
  if (overrides.noCache || spec.noCache) req.noCache = true;
  if (overrides.pull || spec.pull) req.pull = true;
  if (overrides.signal) req.signal = overrides.signal;
  if (overrides.onProgress) req.onProgress = overrides.onProgress;
  if (overrides.onStep) req.onStep = overrides.onStep;
  return req;
}

/** Refuses, before anything is built or created, what the builder cannot do for any of `services` that has a build section. */
export function checkBuilds(project: Project, services: Iterable<string>, settings: BuildSpecOptions): void {
  for (const name of services) {
    const svc = project.services[name];
    if (svc?.build) buildRequest(project, svc, serviceImage(project, svc), settings);
  }
}

/**
 * Refuses what the builder cannot do for those of `services` this command will build (forced,
 * or their image missing), before anything is created. Nothing is asked of the engine when
 * none of them has a build section.
 */
export async function refuseUnbuildable(engine: Engine, project: Project, services: string[], opts: ImageFlags): Promise<void> {
  const built = (await Promise.all(services.map(async (name) => {
    const svc = project.services[name];
    if (!svc?.build) return undefined;
    const d = imagePolicy(svc, 'converge', opts);
    const builds = d.kind === 'build' || (d.kind === 'local' && d.then === 'build' && !(await engine.images.localId(serviceImage(project, svc))));
    return builds ? name : undefined;
  }))).filter((n): n is string => n !== undefined);
  if (built.length) checkBuilds(project, built, await buildSettings(engine));
}

interface ImageContext {
  engine: Engine;
  emit: ProgressListener;
  pool?: Pool;
  /** The bound on builds at once. */
  builds: Pool;
  /** Asked of the engine once, and only when something is built. */
  settings: () => Promise<BuildSpecOptions>;
  signal?: AbortSignal;
}

const inPool = <T>(ctx: ImageContext, task: () => Promise<T>): Promise<T> => (ctx.pool ? ctx.pool.run(task) : task());

/** Pulls one image, its layers' progress summed into one line. */
function pull(ctx: ImageContext, ref: string, service: string): Promise<void> {
  return step(ctx.emit, { resource: 'image', name: ref, service, action: 'pull' }, () =>
    inPool(ctx, () => ctx.engine.images.pull(ref, pullProgress(ctx.emit, ref, service), ctx.signal)));
}

/**
 * Builds one image, its row showing the step now running; once built, says so when the classic
 * builder did it. Waits for a place among BUILDS_AT_ONCE.
 */
async function build(
  ctx: ImageContext, project: Project, svc: Service, ref: string, overrides: Pick<BuildOptions, 'noCache' | 'pull' | 'onProgress'> = {},
): Promise<string> {
  const base = { resource: 'image', name: ref, service: svc.name, action: 'build' } as const;
  const req = buildRequest(project, svc, ref, await ctx.settings(), {
    ...overrides, signal: ctx.signal,
    onStep: (message) => ctx.emit({ ...base, state: 'working', time: Date.now(), message }),
  });
  return ctx.builds.run(() => {
    ctx.signal?.throwIfAborted();
    return step(ctx.emit, base, () => ctx.engine.images.build(req), () => (req.builder === 'classic' ? 'classic builder' : undefined));
  });
}

/** Makes sure the images of `services` exist, as up/create/run need them. */
export async function ensureImages(
  engine: Engine,
  project: Project,
  services: string[],
  opts: ImageFlags & { signal?: AbortSignal },
  emit: ProgressListener,
  pool: Pool,
): Promise<void> {
  const ctx: ImageContext = { engine, emit, pool, signal: opts.signal, builds: new Pool(BUILDS_AT_ONCE), settings: once(() => buildSettings(engine)) };
  const jobs = new Map<string, Promise<void>>();
  await Promise.all(services.map((name) => {
    const svc = project.services[name]!;
    const ref = serviceImage(project, svc);
    let job = jobs.get(ref);
    if (!job) {
      job = ensureOne(ctx, project, svc, ref, imagePolicy(svc, 'converge', opts));
      jobs.set(ref, job);
    }
    // A failure is reported as the service's, at its image: line.
    return job.catch((err: unknown) => {
      throw placeFailure(project, name, err);
    });
  }));
}

/**
 * What ensureImages would pull or build for `services`, asking the engine only which images
 * it has (`--dry-run`); one entry per image. A missing image under pull_policy never fails as
 * it would in ensureImages.
 */
export async function plannedImages(
  engine: Engine, project: Project, services: string[], opts: ImageFlags,
): Promise<{ ref: string; service: string; action: 'pull' | 'build' }[]> {
  const out = new Map<string, { ref: string; service: string; action: 'pull' | 'build' }>();
  for (const name of services) {
    const svc = project.services[name]!;
    const ref = serviceImage(project, svc);
    if (out.has(ref)) continue;
    const d = imagePolicy(svc, 'converge', opts);
    if (d.kind === 'skip') continue;
    if (d.kind === 'build' || d.kind === 'pull') {
      out.set(ref, { ref, service: name, action: d.kind });
      continue;
    }
    if (await engine.images.localId(ref)) continue;
    if (d.then === 'fail') await ensureOne({ engine } as ImageContext, project, svc, ref, d);
    else out.set(ref, { ref, service: name, action: d.then });
  }
  return [...out.values()];
}

async function ensureOne(ctx: ImageContext, project: Project, svc: Service, ref: string, decision: ImageDecision): Promise<void> {
  if (decision.kind === 'build') return void (await build(ctx, project, svc, ref));
  if (decision.kind === 'pull') return pull(ctx, ref, svc.name);
  if (decision.kind === 'skip' || (await inPool(ctx, () => ctx.engine.images.localId(ref)))) return;
  if (decision.then === 'fail') {
    if (decision.why !== undefined) {
      throw new TugError('image_missing', `image ${ref} for service "${svc.name}" is not present and ${decision.why}`, {
        exitCode: ExitCode.serviceFailed, hint: `build it first (tug build ${svc.name}), or leave out --no-build`,
      });
    }
    throw new TugError('image_missing', `image ${ref} for service "${svc.name}" is not present and pull_policy is never`, {
      exitCode: ExitCode.serviceFailed, hint: `pull it first (docker pull ${ref}), or change pull_policy`,
    });
  }
  return decision.then === 'build' ? void (await build(ctx, project, svc, ref)) : pull(ctx, ref, svc.name);
}

/**
 * `tug pull`: one pull per image however many services use it (the first service using it
 * names it). A failed pull of a service that can also be built is only a warning, as is every
 * failure with `ignoreFailures`; the others are reported together at the end.
 */
export async function pullServices(
  engine: Engine,
  project: Project,
  names: string[],
  opts: { ignoreFailures?: boolean; signal: AbortSignal; onProgress?: ProgressListener },
): Promise<void> {
  const emit = opts.onProgress ?? (() => {});
  const jobs = new Map<string, Promise<string | undefined>>();
  for (const name of names) {
    const svc = project.services[name]!;
    const decision = imagePolicy(svc, 'pull');
    if (decision.kind === 'skip') {
      emit({ resource: 'service', name, service: name, action: 'pull', state: 'skipped', message: decision.why, time: Date.now() });
      continue;
    }
    const ref = svc.image!;
    if (jobs.has(ref)) continue;
    jobs.set(ref, (async () => {
      if (decision.kind === 'local' && (await engine.images.localId(ref))) {
        emit({ resource: 'image', name: ref, service: name, action: 'pull', state: 'skipped', message: 'present, and pull_policy is missing', time: Date.now() });
        return undefined;
      }
      // With a build section a failed pull is no failure: the image can still be built.
      const tolerate = opts.ignoreFailures || !!svc.build;
      const failure = await tolerantStep(emit, { resource: 'image', name: ref, service: name, action: 'pull' },
        () => engine.images.pull(ref, undefined, opts.signal),
        (e) => e instanceof TugError && !(e instanceof EngineUnreachableError) && !opts.signal.aborted,
        tolerate);
      return tolerate ? undefined : failure;
    })());
  }
  const results = await Promise.allSettled(jobs.values());
  const thrown = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (thrown) throw thrown.reason;
  const failures = results.map((r) => (r as PromiseFulfilledResult<string | undefined>).value).filter((m): m is string => m !== undefined);
  if (failures.length === 1) throw new ServiceFailedError('pull_failed', failures[0]!, 'pass --ignore-pull-failures to go on without it');
  if (failures.length > 1) {
    throw new ServiceFailedError('pull_failed', `${failures.length} images could not be pulled:\n  ${failures.join('\n  ')}`,
      'pass --ignore-pull-failures to go on without them');
  }
}

/**
 * `tug build`: every service with a build section (or the named ones), one build per image.
 * Failed builds are reported together once all have ended; an unreachable engine at once.
 * Resolves with how many images were built.
 */
export async function buildServices(
  engine: Engine,
  project: Project,
  names: string[],
  opts: { noCache?: boolean; pull?: boolean; named?: boolean; signal: AbortSignal; onProgress?: ProgressListener; output?: (service: string, ref: string, line: string) => void },
): Promise<number> {
  const emit = opts.onProgress ?? (() => {});
  const settings = await buildSettings(engine);
  // Every build is checked before the first starts: a refusal leaves nothing half built.
  checkBuilds(project, names, settings);
  const ctx: ImageContext = { engine, emit, signal: opts.signal, builds: new Pool(BUILDS_AT_ONCE), settings: async () => settings };
  const jobs = new Map<string, Promise<string>>();
  for (const name of names) {
    const svc = project.services[name]!;
    if (!svc.build) {
      if (opts.named) emit({ resource: 'service', name, service: name, action: 'build', state: 'skipped', message: 'no build section', time: Date.now() });
      continue;
    }
    const ref = serviceImage(project, svc);
    if (!jobs.has(ref)) {
      jobs.set(ref, build(ctx, project, svc, ref, { noCache: opts.noCache, pull: opts.pull, onProgress: (line) => opts.output?.(name, ref, line) }));
    }
  }
  const results = await Promise.allSettled(jobs.values());
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const fatal = failures.find((e) => !(e instanceof TugError) || e instanceof EngineUnreachableError || opts.signal.aborted);
  if (fatal !== undefined) throw fatal;
  if (failures.length === 1) throw new ServiceFailedError('build_failed', (failures[0] as Error).message);
  if (failures.length > 1) {
    throw new ServiceFailedError('build_failed', `${failures.length} builds failed:\n  ${failures.map((e) => (e as Error).message).join('\n  ')}`);
  }
  return jobs.size;
}

/** Layer progress summed into one line per image, at most a few times a second. */
function pullProgress(emit: ProgressListener, ref: string, service: string): (p: PullProgress) => void {
  const layers = new Map<string, { current: number; total: number }>();
  let last = 0;
  return (p) => {
    if (p.id && p.total) layers.set(p.id, { current: p.current ?? 0, total: p.total });
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    let current = 0;
    let total = 0;
    for (const l of layers.values()) {
      current += l.current;
      total += l.total;
    }
    const message = total > 0 ? `${mb(current)}/${mb(total)} MB` : p.status;
    emit({ resource: 'image', name: ref, service, action: 'pull', state: 'working', time: now, message });
  };
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
