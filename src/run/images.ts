/**
 * Images: what `up`, `run`, `create`, `pull` and `build` do to have each image a container
 * needs, decided by one policy (the service's pull_policy, or `--pull`) and done once per
 * image however many services share it.
 */
import type { BuildOptions, Engine, PullProgress } from '../engine/engine.js';
import { serviceImage } from '../engine/request/index.js';
import { EngineUnreachableError, ExitCode, ServiceFailedError, TugError } from '../errors.js';
import type { Project, Service } from '../stack/model.js';
import type { Pool } from './pool.js';
import { step, tolerantStep, type ProgressListener } from './progress.js';

/** `--pull` on up/create/run: replaces every service's pull_policy for this command. */
export type PullFlag = 'always' | 'missing' | 'never' | 'build';

/** What a command does about one service's image. */
export type ImageDecision =
  | { kind: 'build' }
  | { kind: 'pull' }
  /** Use the local image; when it is missing, `then`. */
  | { kind: 'local'; then: 'pull' | 'build' | 'fail' }
  | { kind: 'skip'; why: string };

/**
 * The pull policy, for the two kinds of command. `converge` (up, create, run) needs the image
 * to exist; `pull` refreshes the images the file names and never builds.
 */
export function imagePolicy(svc: Service, mode: 'converge' | 'pull', opts: { pull?: PullFlag; build?: boolean } = {}): ImageDecision {
  if (mode === 'pull') {
    if (!svc.image) return { kind: 'skip', why: 'it is built, not pulled (no image: key)' };
    if (svc.pull_policy === 'never') return { kind: 'skip', why: 'pull_policy is never' };
    if (svc.pull_policy === 'build') return { kind: 'skip', why: 'pull_policy is build' };
    if (svc.pull_policy === 'missing' || svc.pull_policy === 'if_not_present') return { kind: 'local', then: 'pull' };
    return { kind: 'pull' };
  }
  const policy = opts.pull ?? svc.pull_policy ?? 'missing';
  if (svc.build && (opts.build || policy === 'build')) return { kind: 'build' };
  if (policy === 'always') return { kind: 'pull' };
  if (policy === 'never') return { kind: 'local', then: 'fail' };
  return { kind: 'local', then: svc.build ? 'build' : 'pull' };
}

/** The engine's build request for a service's build section; `overrides` are the flags of `tug build`. */
export function buildRequest(svc: Service, ref: string, overrides: Pick<BuildOptions, 'noCache' | 'pull' | 'signal' | 'onProgress'> = {}): BuildOptions {
  const b = svc.build!;
  return {
    context: b.context, dockerfile: b.dockerfile, tags: [ref, ...(b.tags ?? [])], target: b.target, labels: b.labels,
    args: Object.fromEntries(Object.entries(b.args ?? {}).filter((e): e is [string, string] => e[1] !== null)),
    noCache: overrides.noCache || b.no_cache, pull: overrides.pull || b.pull, signal: overrides.signal, onProgress: overrides.onProgress,
  };
}

interface ImageContext {
  engine: Engine;
  emit: ProgressListener;
  pool?: Pool;
  signal?: AbortSignal;
}

const inPool = <T>(ctx: ImageContext, task: () => Promise<T>): Promise<T> => (ctx.pool ? ctx.pool.run(task) : task());

/** Pulls one image, its layers' progress summed into one line. */
function pull(ctx: ImageContext, ref: string, service: string): Promise<void> {
  return step(ctx.emit, { resource: 'image', name: ref, service, action: 'pull' }, () =>
    inPool(ctx, () => ctx.engine.images.pull(ref, pullProgress(ctx.emit, ref, service), ctx.signal)));
}

function build(ctx: ImageContext, svc: Service, ref: string, overrides: Parameters<typeof buildRequest>[2] = {}): Promise<string> {
  return step(ctx.emit, { resource: 'image', name: ref, service: svc.name, action: 'build' }, () =>
    inPool(ctx, () => ctx.engine.images.build(buildRequest(svc, ref, { signal: ctx.signal, ...overrides }))));
}

/** Makes sure the images of `services` exist, as up/create/run need them. */
export async function ensureImages(
  engine: Engine,
  project: Project,
  services: string[],
  opts: { pull?: PullFlag; build?: boolean; signal?: AbortSignal },
  emit: ProgressListener,
  pool: Pool,
): Promise<void> {
  const ctx: ImageContext = { engine, emit, pool, signal: opts.signal };
  const jobs = new Map<string, Promise<void>>();
  await Promise.all(services.map((name) => {
    const svc = project.services[name]!;
    const ref = serviceImage(project, svc);
    let job = jobs.get(ref);
    if (!job) {
      job = ensureOne(ctx, svc, ref, imagePolicy(svc, 'converge', opts));
      jobs.set(ref, job);
    }
    return job;
  }));
}

async function ensureOne(ctx: ImageContext, svc: Service, ref: string, decision: ImageDecision): Promise<void> {
  if (decision.kind === 'build') return void (await build(ctx, svc, ref));
  if (decision.kind === 'pull') return pull(ctx, ref, svc.name);
  if (decision.kind === 'skip' || (await inPool(ctx, () => ctx.engine.images.localId(ref)))) return;
  if (decision.then === 'fail') {
    throw new TugError('image_missing', `image ${ref} for service "${svc.name}" is not present and pull_policy is never`, {
      exitCode: ExitCode.serviceFailed, hint: `pull it first (docker pull ${ref}), or change pull_policy`,
    });
  }
  return decision.then === 'build' ? void (await build(ctx, svc, ref)) : pull(ctx, ref, svc.name);
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
  const ctx: ImageContext = { engine, emit, signal: opts.signal };
  const jobs = new Map<string, Promise<string>>();
  for (const name of names) {
    const svc = project.services[name]!;
    if (!svc.build) {
      if (opts.named) emit({ resource: 'service', name, service: name, action: 'build', state: 'skipped', message: 'no build section', time: Date.now() });
      continue;
    }
    const ref = serviceImage(project, svc);
    if (!jobs.has(ref)) {
      jobs.set(ref, build(ctx, svc, ref, { noCache: opts.noCache, pull: opts.pull, onProgress: (line) => opts.output?.(name, ref, line) }));
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
