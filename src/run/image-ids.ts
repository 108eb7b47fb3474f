/**
 * What `up` needs to know of images before it plans, as Compose converges: the image each
 * service's containers would be made from now (a replica made from another one is recreated),
 * and the images it must build or pull whatever is there (`--build`, `--pull always`,
 * `pull_policy: build|always`), which are built or pulled first so that a changed image is
 * seen by the plan, not only used by replicas recreated for another reason.
 */
import type { Engine } from '../engine/engine.js';
import { serviceImage } from '../engine/request/index.js';
import type { Project } from '../stack/model.js';
import { imagePolicy, type ImageFlags } from './images.js';

/** The local image id of each service's image (one inspect per distinct image); absent when the engine has none. */
export async function currentImages(engine: Engine, project: Project, services: readonly string[]): Promise<Map<string, string>> {
  const refs = new Map(services.map((s) => [s, serviceImage(project, project.services[s]!)] as const));
  const ids = new Map<string, string | undefined>();
  await Promise.all([...new Set(refs.values())].map(async (ref) => {
    ids.set(ref, await engine.images.localId(ref).catch(() => undefined));
  }));
  const out = new Map<string, string>();
  for (const [service, ref] of refs) {
    const id = ids.get(ref);
    if (id !== undefined) out.set(service, id);
  }
  return out;
}

/** The services whose image `up` builds or pulls unconditionally: done before planning. */
export function imagesFirst(project: Project, services: readonly string[], opts: ImageFlags): string[] {
  return services.filter((s) => {
    const kind = imagePolicy(project.services[s]!, 'converge', opts).kind;
    return kind === 'build' || kind === 'pull';
  });
}
