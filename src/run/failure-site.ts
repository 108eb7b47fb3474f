/**
 * An engine failure put back on the stack file: which service it hit and the line of the key
 * that asked for what failed (the `ports:` entry of a port in use, the `image:` of an image
 * that cannot be pulled, the volume entry of a bad bind source...), with a hint. The engine
 * only knows containers and ids; a user knows services and lines.
 */
import { EngineApiError, bindSource, publishedPort } from '../engine/api-error.js';
import { ServiceFailedError, TugError, type ErrorCode, type SourceLocation } from '../errors.js';
import type { Project, Service } from '../stack/model.js';
import { ownSourceOf, sourceOf } from '../stack/source-map.js';
import { DependencyFailedError } from './failure.js';

/** A failure of one service, placed on its stack file: what the up summary lists as failed. */
export class ServiceError extends ServiceFailedError {
  constructor(readonly service: string, code: ErrorCode, message: string, opts: { location?: SourceLocation; path?: string; hint?: string; cause?: unknown }) {
    super(code, message, opts.hint, opts);
  }
}

/** The engine's own words for the failures tug places, without its endpoint and container ids. */
function engineWords(message: string): string {
  const m = /(Bind for \S+ failed: port is already allocated|listen \S+ \S+: bind: address already in use|bind source path does not exist: \S+|no space left on device|manifest for \S+ not found|pull access denied for [^,\s]+|repository \S+ not found|Are you trying to mount a directory onto a file \(or vice-versa\)\?|error while creating mount source path '[^']+': [^"]+)/i.exec(message);
  return m ? m[1]! : message.replace(/^[^:]*: /, '');
}

/**
 * `err` as a failure of `service`, when it is one tug knows how to place; anything else
 * (an engine gone, an interruption, a bug) is returned as it is.
 */
export function placeFailure(project: Project, service: string, err: unknown): unknown {
  if (err instanceof ServiceError) return err;
  const svc = project.services[service];
  if (!svc) return err;
  const at = (path: string) => ({ path, location: sourceOf(project, path) });
  if (err instanceof DependencyFailedError) {
    // Placed on the service that failed (the dependency, when a gate saw it), at its memory limit.
    const failed = project.services[err.report.service];
    if (!err.report.oomKilled || !failed) return err;
    const limit = memoryLimitPath(project, failed);
    const hint = `the kernel's OOM killer stopped it: it needs more memory than its limit${failed.mem_limit ? ` (${mebibytes(failed.mem_limit)})` : ''}; raise ${limit.replace(`services.${failed.name}.`, '')}`;
    // Still the dependency's report (API users read it), now with its own code and line.
    return new DependencyFailedError(err.message, err.report, hint, { code: 'oom_killed', path: limit, location: sourceOf(project, limit) });
  }
  if (!(err instanceof TugError)) return err;
  const words = engineWords(err.message);
  switch (err.code) {
    case 'port_allocated': {
      const port = publishedPort(err.message);
      return new ServiceError(service, err.code,
        `service "${service}" cannot start: host port ${port ?? '(unknown)'} is already in use (engine: ${words})`,
        { ...portSite(project, svc, port), hint: err.hint, cause: err });
    }
    case 'name_conflict':
      return new ServiceError(service, err.code, err.message.startsWith('service "') ? err.message : `service "${service}": ${err.message}`,
        { ...at(svc.container_name ? `services.${service}.container_name` : `services.${service}`), hint: err.hint, cause: err });
    case 'bind_source_invalid': {
      const source = bindSource(err.message);
      return new ServiceError(service, err.code, `service "${service}" cannot ${err instanceof EngineApiError && /^creating container/.test(err.message) ? 'be created' : 'start'}: a bind mount's host path is invalid (engine: ${words})`,
        { ...volumeSite(project, svc, source), hint: err.hint, cause: err });
    }
    case 'no_space':
      return new ServiceError(service, err.code, `service "${service}": the engine has no space left on its disk (engine: ${words})`,
        { ...at(`services.${service}`), hint: err.hint, cause: err });
    case 'pull_failed':
    case 'image_missing':
      return imageFailure(project, svc, err, words);
    default:
      return err;
  }
}

function imageFailure(project: Project, svc: Service, err: TugError, words: string): ServiceError {
  const path = `services.${svc.name}.${svc.image !== undefined ? 'image' : 'build'}`;
  const where = { path, location: sourceOf(project, path), cause: err };
  if (err.code === 'image_missing') return new ServiceError(svc.name, err.code, err.message, { ...where, hint: err.hint });
  const ref = svc.image ?? '(built)';
  if (/manifest unknown|not found|repository does not exist|pull access denied|unauthorized|denied/i.test(err.message)) {
    return new ServiceError(svc.name, 'image_not_found', `service "${svc.name}": image ${ref} cannot be pulled: the registry has no such image, or refuses it (engine: ${words})`, {
      ...where, hint: `check the image's name and tag; for a private registry, docker login first${svc.build ? '; or build it: tug up --build' : ''}`,
    });
  }
  return new ServiceError(svc.name, 'pull_failed', `service "${svc.name}": image ${ref} cannot be pulled (engine: ${words})`, {
    ...where, hint: 'the registry cannot be reached from the engine: check its network and DNS, or pull the image by other means (docker load) and use pull_policy: missing',
  });
}

/** The `ports:` entry publishing `port`: its own line when it can be told apart, else the `ports:` key. */
function portSite(project: Project, svc: Service, port: number | undefined): { path: string; location?: SourceLocation } {
  const base = `services.${svc.name}.ports`;
  const index = svc.ports.findIndex((p) => {
    if (!p.published || port === undefined) return false;
    const [lo, hi] = p.published.split('-').map(Number) as [number, number | undefined];
    return port >= lo && port <= (hi ?? lo);
  });
  if (index >= 0) {
    const p = svc.ports[index]!;
    // A short-syntax entry is also noted under its own text, which finds it whatever merging
    // and range expansion did to the indexes.
    const proto = p.protocol === 'tcp' ? '' : `/${p.protocol}`;
    const texts = [`${p.published}:${p.target}${proto}`, `${p.published}:${p.target}`, p.host_ip ? `${p.host_ip}:${p.published}:${p.target}${proto}` : undefined];
    for (const t of texts) {
      if (t === undefined) continue;
      const path = `${base}[${JSON.stringify(t)}]`;
      const location = ownSourceOf(project, path);
      if (location) return { path: `${base}[${index}]`, location };
    }
    const path = `${base}[${index}]`;
    const location = ownSourceOf(project, path);
    if (location) return { path, location };
  }
  return { path: base, location: sourceOf(project, base) };
}

/** The `volumes:` entry whose host path is `source`. */
function volumeSite(project: Project, svc: Service, source: string | undefined): { path: string; location?: SourceLocation } {
  const base = `services.${svc.name}.volumes`;
  const index = svc.volumes.findIndex((v) => v.type === 'bind' && v.source !== undefined && source !== undefined && (v.source === source || source.startsWith(`${v.source}/`)));
  const path = index >= 0 ? `${base}[${index}]` : base;
  const location = (index >= 0 ? ownSourceOf(project, path) : undefined) ?? sourceOf(project, base);
  return { path: location && index >= 0 && ownSourceOf(project, path) ? path : base, location };
}

/** The key that set the service's memory limit, as the user wrote it. */
function memoryLimitPath(project: Project, svc: Service): string {
  const candidates = [`services.${svc.name}.mem_limit`, `services.${svc.name}.deploy.resources.limits.memory`];
  return candidates.find((p) => ownSourceOf(project, p)) ?? `services.${svc.name}`;
}

function mebibytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${bytes} bytes`;
}
