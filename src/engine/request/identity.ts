/** Names, the config hash and the labels that identify a container as a project's. */
import { createHash } from 'node:crypto';
import { ExitCode, TugError } from '../../errors.js';
import { formatPath } from '../../stack/doc-path.js';
import { type Project, type Service } from '../../stack/model.js';
import { LABEL } from '../../labels.js';
import { type Ctx } from './context.js';
import { type Dict, isPlainObject } from '../../util/dict.js';

export function containerName(project: Project, service: Service, number: number, oneoff?: string): string {
  // A fixed container_name belongs to the service's own container; a `run` container must not clash with it.
  if (oneoff !== undefined) return `${project.name}-${service.name}-run-${oneoff}`;
  if (service.container_name !== undefined) {
    if (number > 1) {
      throw new TugError('container_name_scale', `service "${service.name}": container_name "${service.container_name}" cannot be given to replica ${number}`,
        { exitCode: ExitCode.invalidStack, hint: 'remove container_name or keep the service at one replica' });
    }
    return service.container_name;
  }
  return `${project.name}-${service.name}-${number}`;
}

/** Keys that do not change the container, so changing them must not recreate it. */
export const HASH_EXCLUDED = ['scale', 'build', 'pull_policy', 'pull_refresh_after', 'profiles', 'depends_on', 'extensions', 'name', 'attach', 'develop'];

export function configHash(service: Service): string {
  const copy: Dict = { ...service };
  for (const k of HASH_EXCLUDED) delete copy[k];
  if (service.deploy) {
    const { replicas: _replicas, ...deploy } = service.deploy;
    if (Object.keys(deploy).length > 0) copy.deploy = deploy;
    else delete copy.deploy;
  }
  return createHash('sha256').update(canonicalJson(copy)).digest('hex');
}

export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (!isPlainObject(val)) return val;
    return Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]]));
  });
}

/** The image a service runs: its `image`, else the name Compose gives a built one. */
export function serviceImage(project: Project, service: Service): string {
  if (service.image !== undefined) return service.image;
  if (service.build !== undefined) return `${project.name}-${service.name}`;
  throw new TugError('no_image', `service "${service.name}" has neither image nor build`,
    { exitCode: ExitCode.invalidStack, path: formatPath(['services', service.name]), hint: 'add image: or build:' });
}

export function labels(ctx: Ctx, image: string): Record<string, string> {
  const { project, service, opts } = ctx;
  // Compose writes `svc:condition:restart`; sorted so the label is stable across loads.
  const deps = Object.keys(service.depends_on).sort().map((d) => {
    const dep = service.depends_on[d]!;
    return `${d}:${dep.condition}:${dep.restart}`;
  });
  return {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.number]: String(opts.number),
    [LABEL.oneoff]: opts.oneoff !== undefined ? 'True' : 'False',
    [LABEL.configHash]: opts.hash,
    [LABEL.workingDir]: project.working_dir,
    [LABEL.configFiles]: project.config_files.join(','),
    [LABEL.dependsOn]: deps.join(','),
    [LABEL.version]: opts.version,
    [LABEL.image]: opts.imageId ?? image,
    [LABEL.managedBy]: 'tug',
  };
}
