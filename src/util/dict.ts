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
