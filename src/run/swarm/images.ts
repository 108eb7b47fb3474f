/**
 * Every node of a swarm pulls each image for itself, so an image must come from a registry
 * every node reaches. With `--registry` (or `x-tug.registry`) tug builds the images of
 * services with `build:` and pushes them, and pushes the images the manager has, rewriting the
 * references. Each reference is pinned to its digest when the registry
 * answers, so a changed image rolls out; when none answers the lookup gives up in seconds,
 * not the ~20 s per service `docker stack deploy` waits. Anything no node could pull is
 * refused before the swarm is touched.
 */
import type { Engine } from '../../engine/engine.js';
import { ServiceFailedError } from '../../errors.js';
import type { Project, Service } from '../../stack/model.js';
import { buildRequest, buildSettings, checkBuilds } from '../images.js';
import { step, type ProgressListener } from '../progress.js';

/** How long a registry gets to answer a digest lookup before tug goes on without one. */
const DIGEST_TIMEOUT_MS = 3000;

export interface ImageSource {
  /** The reference the service's tasks pull (possibly `repo@sha256:...`). */
  ref: string;
  /** What tug must do first: build and/or push. */
  build?: boolean;
  push?: string;
}

/** The image reference on a registry: `10.0.0.5:5000` + `busybox:1` → `10.0.0.5:5000/busybox:1`. */
export function onRegistry(registry: string, ref: string): string {
  const withoutDigest = ref.split('@')[0]!;
  const slash = withoutDigest.indexOf('/');
  // `host:port/x` or `host.tld/x` names a registry already: keep only the path.
  const first = slash < 0 ? '' : withoutDigest.slice(0, slash);
  const path = first && (first.includes('.') || first.includes(':') || first === 'localhost') ? withoutDigest.slice(slash + 1) : withoutDigest;
  return `${registry.replace(/\/+$/, '')}/${path}`;
}

function tagged(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return ref.includes('@') || last.includes(':') ? ref : `${ref}:latest`;
}

/**
 * Decides where each service's image comes from (read-only: lookups, no pushes). Refuses a
 * build or a local-only image when there is no registry to put it in.
 */
export async function planImages(engine: Engine, project: Project, registry: string | undefined): Promise<Map<string, ImageSource>> {
  const out = new Map<string, ImageSource>();
  const lookups = new Map<string, Promise<string | undefined>>();
  const digest = (ref: string) => {
    let p = lookups.get(ref);
    if (!p) lookups.set(ref, (p = engine.images.registryDigest(ref, DIGEST_TIMEOUT_MS)));
    return p;
  };
  await Promise.all(Object.values(project.services).map(async (svc) => {
    out.set(svc.name, await sourceOf(engine, project, svc, registry, digest));
  }));
  return out;
}

async function sourceOf(
  engine: Engine, project: Project, svc: Service, registry: string | undefined, digest: (ref: string) => Promise<string | undefined>,
): Promise<ImageSource> {
  const own = svc.image ? tagged(svc.image) : `${project.name}-${svc.name}:latest`;
  if (svc.build && (!svc.image || !(await digest(own)))) {
    if (!registry) {
      throw new ServiceFailedError('image_missing', `service "${svc.name}" is built by tug, but swarm nodes can only pull images from a registry`,
        'pass --registry HOST:PORT (or set x-tug.registry): tug builds the image, pushes it there and deploys that reference');
    }
    return { ref: onRegistry(registry, own), build: true, push: onRegistry(registry, own) };
  }
  if (own.includes('@')) return { ref: own };
  const local = await engine.images.localId(own);
  // With a registry, the manager's copy goes there: cheap when the registry has the layers, and
  // no lookup upstream (which the engine may take 20 s to give up on, and stall behind).
  if (registry && local) return { ref: onRegistry(registry, own), push: onRegistry(registry, own) };
  const pinned = await digest(own);
  if (pinned) return { ref: `${own}@${pinned}` };
  throw new ServiceFailedError('image_missing', local
    ? `image ${own} of service "${svc.name}" is only on the manager: no registry answered for it, and the other nodes could not pull it`
    : `image ${own} of service "${svc.name}" is in no registry that answered, and not on the manager either`,
  local ? 'pass --registry HOST:PORT (or set x-tug.registry): tug pushes the image there and deploys that reference'
    : 'push it to a registry the nodes can reach, or check the image name');
}

/** Builds and pushes what `planImages` decided, once per reference; resolves with digests pinned. */
export async function provideImages(
  engine: Engine, project: Project, sources: Map<string, ImageSource>, emit: ProgressListener, signal: AbortSignal,
): Promise<Map<string, string>> {
  const jobs = new Map<string, Promise<string>>();
  const refs = new Map<string, string>();
  const building = [...sources].filter(([, src]) => src.build);
  const settings = building.length ? await buildSettings(engine) : undefined;
  // Checked before anything is built or pushed: a refused key leaves the registry as it was.
  if (settings) checkBuilds(project, building.map(([service]) => service), settings);
  await Promise.all([...sources].map(async ([service, src]) => {
    if (!src.push) return void refs.set(service, src.ref);
    let job = jobs.get(src.push);
    if (!job) {
      jobs.set(src.push, (job = (async () => {
        const svc = project.services[service]!;
        const target = src.push!;
        if (src.build) {
          await step(emit, { resource: 'image', name: target, service, action: 'build' }, () =>
            engine.images.build(buildRequest(project, svc, target, settings!, { signal })));
        } else {
          await engine.images.tag(tagged(svc.image!), target);
        }
        await step(emit, { resource: 'image', name: target, service, action: 'push' }, () => engine.images.push(target, signal));
        const pinned = await engine.images.registryDigest(target, DIGEST_TIMEOUT_MS);
        return pinned ? `${target}@${pinned}` : target;
      })()));
    }
    refs.set(service, await job);
  }));
  return refs;
}
