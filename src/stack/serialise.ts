/**
 * The canonical form `tug config` prints. It must be deterministic (diffable, cacheable, usable
 * in golden tests) and compact, so: keys sorted, services and other sections sorted by name,
 * empty collections left out, and internal bookkeeping (working_dir, profiles...) not printed.
 */

import { type Dict, isPlainObject } from '../util/dict.js';
import { emitYaml } from './emit-yaml.js';
import type { Project } from './model.js';

// An explicitly empty entrypoint or command clears the image's, so it is not "nothing".
const KEEP_EMPTY = new Set(['command', 'entrypoint']);

// Maps keyed by user-chosen names whose `{}` values mean "attached with defaults": printed as
// null, like `networks: {default: null}`, rather than dropped.
const NAMED_ATTACHMENTS = new Set(['networks', 'models']);

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

function isEmpty(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : isPlainObject(v) && Object.keys(v).length === 0;
}

/**
 * Sorts object keys at every depth and drops undefined and empty collections. Array order is
 * meaningful and kept, elements included, even empty ones.
 */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isPlainObject(v)) return v;
  const out: Dict = {};
  for (const [k, val] of Object.entries(v).sort(byKey)) {
    if (val === undefined || (isEmpty(val) && !KEEP_EMPTY.has(k))) continue;
    out[k] = NAMED_ATTACHMENTS.has(k) && isPlainObject(val) ? attachments(val) : canonical(val);
  }
  return out;
}

function attachments(map: Dict): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(map).sort(byKey)) out[k] = v == null || isEmpty(v) ? null : canonical(v);
  return out;
}

// Extensions are the user's own data: printed back as `x-` keys, as written inside.
function withExtensions(fields: Dict, extensions: Dict | undefined): Dict {
  const out = canonical(fields) as Dict;
  for (const [k, v] of Object.entries(extensions ?? {})) out[k.startsWith('x-') ? k : `x-${k}`] = v;
  return Object.fromEntries(Object.entries(out).sort(byKey));
}

/** One top-level section (services, networks...), sorted by key; undefined when empty. */
function section(entries: Record<string, object> | undefined, isServices: boolean): Dict | undefined {
  const sorted = Object.entries(entries ?? {}).sort(byKey);
  if (sorted.length === 0) return undefined;
  const out: Dict = {};
  for (const [key, entity] of sorted) {
    const { extensions, ...fields } = entity as Dict & { extensions?: Dict };
    // A service's name is its key; a network's or volume's `name` is the engine-side name.
    if (isServices) delete fields.name;
    // The model fills in scale 1 when the file says nothing; printing it would only add noise.
    if (isServices && fields.scale === 1) delete fields.scale;
    // compose-go's Normalize names the Dockerfile a build without one uses, and Compose prints it.
    if (isServices && isPlainObject(fields.build) && fields.build.dockerfile === undefined && fields.build.dockerfile_inline === undefined) {
      fields.build = { ...fields.build, dockerfile: 'Dockerfile' };
    }
    out[key] = withExtensions(fields, extensions);
  }
  return out;
}

export function toCanonical(project: Project): object {
  const out: Dict = { name: project.name };
  const sections: [string, Record<string, object> | undefined, boolean][] = [
    ['services', project.services, true],
    ['networks', project.networks, false],
    ['volumes', project.volumes, false],
    ['secrets', project.secrets, false],
    ['configs', project.configs, false],
    ['models', project.models, false],
  ];
  for (const [key, entries, isServices] of sections) {
    const value = section(entries, isServices);
    if (value) out[key] = value;
  }
  for (const [k, v] of Object.entries(project.extensions ?? {}).sort(byKey)) out[k.startsWith('x-') ? k : `x-${k}`] = v;
  return out;
}

export function toYaml(project: Project): string {
  return emitYaml(toCanonical(project));
}

export function toJson(project: Project): string {
  return `${JSON.stringify(toCanonical(project), null, 2)}\n`;
}
