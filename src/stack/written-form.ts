/**
 * How compose-go's model (`config --no-interpolate`) holds a `KEY=VALUE` attribute. Its
 * Canonical transform leaves `environment`, `labels`, `annotations`, `sysctls`, `build.args`...
 * as written: a list stays a list (`- A=1`, `- B`), a mapping a mapping; and once two files,
 * an include or `extends` both set one, its merge (override/merge.go mergeToSequence) makes it
 * a list: each side's entries (a mapping's sorted), the later value of a key in the earlier
 * key's place (EnforceUnicity). tug merges these as mappings, so without interpolation each
 * mapping carries, under a symbol no file can write, the form Compose would print it in.
 */
import { type Dict, isPlainObject } from '../util/dict.js';

/** The form a key-value mapping is printed in by `config --no-interpolate`. */
export const WRITTEN_AS: unique symbol = Symbol('writtenAs');

type Form = 'list' | 'map';

/** `canonical` (the mapping tug merges), marked with the form `written` had in the file. */
export function markForm<T>(canonical: T, written: unknown): T {
  if (isPlainObject(canonical)) (canonical as Dict & { [WRITTEN_AS]?: Form })[WRITTEN_AS] = Array.isArray(written) ? 'list' : 'map';
  return canonical;
}

export function formOf(v: unknown): Form | undefined {
  return isPlainObject(v) ? (v as { [WRITTEN_AS]?: Form })[WRITTEN_AS] : undefined;
}

/** Copies the mark of `from` onto `to` (a mapping rebuilt from it). */
export function keepForm<T>(to: T, from: unknown): T {
  const form = formOf(from);
  if (form && isPlainObject(to)) (to as { [WRITTEN_AS]?: Form })[WRITTEN_AS] = form;
  return to;
}

/** The entry as compose-go's convertIntoSequence writes it: `K=V`, or `K` without a value. */
function entry(key: string, value: unknown): string {
  return value === null || value === undefined ? key : `${key}=${String(value)}`;
}

function sequenceKeys(d: Dict): string[] {
  const keys = Object.keys(d);
  // A mapping becomes a list sorted by its entries' text (Go's cmp.Compare on "K=V").
  if (formOf(d) === 'map') keys.sort((a, b) => (entry(a, d[a]) < entry(b, d[b]) ? -1 : entry(a, d[a]) > entry(b, d[b]) ? 1 : 0));
  return keys;
}

/**
 * compose-go's mergeToSequence then EnforceUnicity, on two marked mappings: the base's entries,
 * then the override's new ones; a key both set keeps the base's place and the override's value.
 */
export function mergeAsSequence(base: Dict, over: Dict): Dict {
  const out: Dict = {};
  for (const k of sequenceKeys(base)) out[k] = base[k];
  for (const k of sequenceKeys(over)) out[k] = over[k];
  return markForm(out, []);
}

/** The model with every mapping marked as a list written as that list, for printing. */
export function writtenForms(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(writtenForms);
  if (!isPlainObject(v)) return v;
  if (formOf(v) === 'list') return Object.entries(v).map(([k, val]) => entry(k, val));
  const out: Dict = {};
  for (const [k, val] of Object.entries(v)) out[k] = writtenForms(val);
  return out;
}
