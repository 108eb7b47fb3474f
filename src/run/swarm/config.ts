/**
 * The project as swarm objects, computed the same way for `up` and `config --swarm`: the
 * translation is pure and refuses what a swarm cannot run at the line it was written on.
 */
import type { Diagnostic } from '../../errors.js';
import { MAX_FILE_BYTES } from '../../stack/limits.js';
import type { Project, Service } from '../../stack/model.js';
import { objectEnvironment } from '../../stack/object-env.js';
import { locatedDiagnostic, withSourceLines } from '../../stack/source-map.js';
import { swarmConfig, type SwarmConfig } from '../../swarm/index.js';
import { readUserFile } from '../../util/read-user-file.js';

export interface SwarmTranslateOptions {
  apiVersion?: string;
  /** The reference each service's tasks pull; default the service's `image` (or the name tug builds). */
  images?: ReadonlyMap<string, string>;
  env?: Record<string, string | undefined>;
}

export function translate(project: Project, opts: SwarmTranslateOptions = {}): SwarmConfig {
  const config = withSourceLines(project, () => swarmConfig(project, {
    apiVersion: opts.apiVersion,
    // tug builds and pushes images itself (with a registry), so `build:` is not ignored.
    buildsImages: true,
    resolveImage: (s: Service) => opts.images?.get(s.name) ?? s.image ?? `${project.name}-${s.name}`,
    readFile: (path: string) => readUserFile(path, MAX_FILE_BYTES),
    // What the project environment (.env, --env-file...) held when it was loaded, as compose-go resolves it.
    env: opts.env ?? objectEnvironment(project) ?? process.env,
  }));
  return { ...config, warnings: config.warnings.map((d: Diagnostic) => locatedDiagnostic(project, d)) };
}
