/**
 * The project as swarm objects, computed the same way for `up` and `config --swarm`: the
 * translation is pure and refuses what a swarm cannot run at the line it was written on.
 */
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../errors.js';
import type { Project, Service } from '../../stack/model.js';
import { locatedDiagnostic, withSourceLines } from '../../stack/source-map.js';
import { swarmConfig, type SwarmConfig } from '../../swarm/index.js';

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
    readFile: (path: string) => readFileSync(path),
    env: opts.env ?? process.env,
  }));
  return { ...config, warnings: config.warnings.map((d: Diagnostic) => locatedDiagnostic(project, d)) };
}
