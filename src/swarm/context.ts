/** What every part of the swarm translation shares: options, labels, diagnostics, small parsers. */
import { type Diagnostic, type ErrorCode, ExitCode, TugError } from '../errors.js';
import { type Project, type Service } from '../stack/model.js';
import { apiAtLeast as engineApiAtLeast } from '../engine/api-version.js';
import { formatPath } from '../stack/doc-path.js';
import { parseDuration } from '../stack/units.js';
import { isEmpty, isPlainObject, prune } from '../util/dict.js';

export { isEmpty, isPlainObject, prune };

export { STACK_LABEL } from '../labels.js';

export interface SwarmSpecOptions {
  /**
   * The reference the nodes pull: rewrite `image` (e.g. onto a registry) or name the image the
   * caller built and pushed. Undefined keeps the service's `image`.
   */
  resolveImage?: (service: Service) => string | undefined;
  /** The caller builds and pushes the images of services with `build:`, so `build:` is not ignored. */
  buildsImages?: boolean;
  /** The manager's Engine API version; settings it would silently drop are refused. Absent: assume current. */
  apiVersion?: string;
  /** Reads a file named by the stack (secrets, configs, seccomp profiles): absolute path in, content out. */
  readFile?: (absolutePath: string) => string | Uint8Array;
  /** Values of the variables named by `environment:` secrets and configs. */
  env?: Record<string, string | undefined>;
}

/** Engine names of the secrets and configs a service may reference, by their key in the project. */
export interface ObjectNames {
  secrets: Record<string, string>;
  configs: Record<string, string>;
}

export interface Ctx {
  project: Project;
  service: Service;
  opts: SwarmSpecOptions;
  names: ObjectNames;
  warnings: Diagnostic[];
}

export function scoped(project: Project, name: string): string {
  return `${project.name}_${name}`;
}

/** `key` may go deeper than the service's own keys: `deploy.resources.limits.cpus`. */
export function servicePath(service: string, key: string): string {
  return formatPath(['services', service, ...key.split('.')]);
}

export function refuse(service: string, key: string, why: string, hint?: string): TugError {
  return new TugError('swarm_unsupported', `service "${service}": ${key} is not supported in swarm mode: ${why}`,
    { exitCode: ExitCode.invalidStack, path: servicePath(service, key), hint });
}

export function invalid(service: string, key: string, message: string, hint?: string): TugError {
  return new TugError('invalid_swarm_value', `service "${service}": ${key}: ${message}`,
    { exitCode: ExitCode.invalidStack, path: servicePath(service, key), hint });
}

export function warn(ctx: Ctx, key: string, message: string, code: ErrorCode = 'swarm_ignored'): void {
  ctx.warnings.push({ code, message: `service "${ctx.service.name}": ${message}`, path: servicePath(ctx.service.name, key) });
}

/** Absent means a current manager. */
export function apiAtLeast(apiVersion: string | undefined, min: string): boolean {
  return apiVersion === undefined || engineApiAtLeast(apiVersion, min);
}

/** Refuses a setting an older manager would accept and silently drop. */
export function needApi(ctx: Ctx, key: string, min: string, what: string): void {
  if (!apiAtLeast(ctx.opts.apiVersion, min)) {
    throw refuse(ctx.service.name, key, `${what} needs Engine API ${min}; the manager speaks ${ctx.opts.apiVersion}`, 'upgrade the swarm managers or remove the setting');
  }
}

/**
 * A duration in nanoseconds. Keys the normaliser leaves raw (update_config, ...) may still be a
 * bare number of seconds or a numeric string, as Compose reads them.
 */
export function nanos(service: string, key: string, v: unknown): number {
  const ns = typeof v === 'number' ? parseDuration(v) : typeof v === 'string' ? parseDuration(/^\d+(\.\d+)?$/.test(v) ? Number(v) : v) : undefined;
  if (ns === undefined) throw invalid(service, key, `invalid duration ${JSON.stringify(v)}`, 'expected a duration like 30s or 1m30s');
  return ns;
}

/** A whole number at least `min`; interpolated values arrive as strings. */
export function wholeNumber(service: string, key: string, v: unknown, min = 0): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[-+]?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw invalid(service, key, `invalid value ${JSON.stringify(v)}: expected a whole number of at least ${min}`);
  return n;
}

export function decimal(service: string, key: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\+?(\d+(\.\d*)?|\.\d+)$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) throw invalid(service, key, `invalid value ${JSON.stringify(v)}: expected a number`);
  return n;
}

/** `undefined` for an empty list or map, so optional members stay out of the spec. */
export function nonEmpty<T extends unknown[] | Record<string, unknown>>(v: T | undefined): T | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.length : Object.keys(v).length) > 0 ? v : undefined;
}
