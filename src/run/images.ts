/**
 * Making sure each image a container needs is present: pulled or built according to the
 * service's pull_policy (or `--pull`), once per image however many services share it.
 */
import type { Engine, PullProgress } from '../engine/engine.js';
import { serviceImage } from '../engine/request/index.js';
import { TugError } from '../errors.js';
import type { Project, Service } from '../stack/model.js';
import type { Pool } from './pool.js';
import { step, type ProgressListener } from './progress.js';

export async function ensureImages(
  engine: Engine,
  project: Project,
  services: string[],
  opts: { pull?: string; build?: boolean; signal?: AbortSignal },
  emit: ProgressListener,
  pool: Pool,
): Promise<void> {
  const jobs = new Map<string, Promise<void>>();
  await Promise.all(services.map((name) => {
    const svc = project.services[name]!;
    const ref = serviceImage(project, svc);
    let job = jobs.get(ref);
    if (!job) {
      job = ensureOne(engine, project, svc, ref, opts, emit, pool);
      jobs.set(ref, job);
    }
    return job;
  }));
}

async function ensureOne(
  engine: Engine, project: Project, svc: Service, ref: string,
  opts: { pull?: string; build?: boolean; signal?: AbortSignal }, emit: ProgressListener, pool: Pool,
): Promise<void> {
  const policy = opts.pull ?? svc.pull_policy ?? 'missing';
  const build = async () => {
    const b = svc.build!;
    await step(emit, { resource: 'image', name: ref, service: svc.name, action: 'build' }, () =>
      pool.run(() => engine.images.build({
        context: b.context, dockerfile: b.dockerfile, tags: [ref, ...(b.tags ?? [])], target: b.target, labels: b.labels,
        args: Object.fromEntries(Object.entries(b.args ?? {}).filter((e): e is [string, string] => e[1] !== null)),
        noCache: b.no_cache, pull: b.pull, signal: opts.signal,
      })));
  };
  const pull = () => step(emit, { resource: 'image', name: ref, service: svc.name, action: 'pull' }, () =>
    pool.run(() => engine.images.pull(ref, pullProgress(emit, ref, svc.name), opts.signal)));
  if (svc.build && (opts.build || policy === 'build')) return build();
  if (policy === 'always') return pull();
  const present = await pool.run(() => engine.images.localId(ref));
  if (present) return;
  if (policy === 'never') {
    throw new TugError('image_missing', `image ${ref} for service "${svc.name}" is not present and pull_policy is never`, {
      exitCode: 5, hint: `pull it first (docker pull ${ref}), or change pull_policy`,
    });
  }
  return svc.build ? build() : pull();
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
