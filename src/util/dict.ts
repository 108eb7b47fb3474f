/**
 * The one shape of a mapping read from YAML or JSON, and the one test for it.
 */

/** A mapping: what a YAML mapping or a JSON object becomes. */
export type Dict = Record<string, unknown>;

/**
 * Whether `v` is a plain object: made by a literal, JSON.parse, the YAML reader or
 * Object.create(null). Arrays, null, and instances of classes (Date, Map, Buffer...) are not.
 */
export function isPlainObject(v: unknown): v is Dict {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** True when a value says nothing: absent, null, false, an empty list or mapping. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

/**
 * Drops undefined members deeply, so a request body carries only what was set. Empty
 * mappings stay: the Engine API wants `{}` for some values (`ExposedPorts`).
 */
export function prune<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x: unknown) => prune(x)) as T;
  if (!isPlainObject(v)) return v;
  const out: Dict = {};
  for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = prune(val);
  return out as T;
}
