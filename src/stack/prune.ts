/**
 * After schema problems, the rest of a file is still checked: the invalid values are taken
 * out (and reported), so that the later stages, which expect the schema's shapes, can look
 * for their own problems in the same run instead of the next one. What is taken out is chosen
 * so that nothing valid changes meaning or line, and a name others refer to stays defined:
 *  - a list loses the whole list (removing one item would move the next items' indexes, and
 *    so the lines their problems point at);
 *  - a service, network, volume, secret, config or model that is invalid as a whole becomes
 *    empty rather than disappearing (a reference to it would turn into a second, false problem);
 *  - an invalid top-level section (`services: [...]`) or `include` cannot be pruned: then the
 *    loader stops after the schema problems, as it always did.
 * The pruned document is validated again, so later stages only ever see valid shapes.
 */
import { type Dict, isPlainObject } from '../util/dict.js';
import { formatPath, type Path } from './doc-path.js';
import type { SchemaCheck } from './validate.js';

const SECTIONS = new Set(['services', 'networks', 'volumes', 'configs', 'secrets', 'models']);
/** Enough rounds for a removal that leaves a required key missing (depends_on.db.condition). */
const MAX_ROUNDS = 4;

export interface Pruned {
  doc: Dict;
  /** What was taken out, as formatted paths: later problems at or under them are consequences. */
  cuts: string[];
}

/** Where to cut for a problem at `at`; undefined when the file cannot be checked further. */
function cutFor(at: Path): Path | undefined {
  const firstIndex = at.findIndex((s) => typeof s === 'number');
  const cut = firstIndex >= 0 ? at.slice(0, firstIndex) : at;
  if (cut.length === 0 || cut[0] === 'include') return undefined;
  if (cut.length === 1 && SECTIONS.has(String(cut[0]))) return undefined;
  return cut;
}

/** A copy of `doc` with the value at `cut` removed (emptied for a named resource), the rest shared. */
function without(doc: Dict, cut: Path): Dict {
  const [head, ...rest] = cut;
  const key = String(head);
  const out: Dict = { ...doc };
  if (rest.length === 0) {
    delete out[key];
    return out;
  }
  const child = out[key];
  if (!isPlainObject(child)) return out;
  if (rest.length === 1 && SECTIONS.has(key)) {
    out[key] = { ...child, [String(rest[0])]: {} };
    return out;
  }
  out[key] = without(child, rest);
  return out;
}

export function pruneInvalid(doc: Dict, first: SchemaCheck, check: (doc: Dict) => SchemaCheck): Pruned | undefined {
  let current = doc;
  let invalidAt = first.invalidAt;
  const cuts: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const at of invalidAt) {
      const cut = cutFor(at);
      if (!cut) return undefined;
      current = without(current, cut);
      cuts.push(formatPath(cut));
    }
    const again = check(current);
    if (again.problems.length === 0) return { doc: current, cuts };
    invalidAt = again.invalidAt;
  }
  return undefined;
}

/**
 * Whether a problem found later follows from something pruned: it is at or under it, or at the
 * service (or resource) that held it, as "has neither an image nor a build section" is for a
 * service whose invalid `build:` (or misspelt `imgae:`) was taken out, and already reported.
 */
export function underCut(problemPath: string | undefined, cuts: readonly string[]): boolean {
  if (problemPath === undefined) return false;
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  // `services.web` (two segments, or a quoted name) and deeper: never a whole section.
  const entry = /^[^.[]+(\.[^.[]+|\[)/.test(problemPath);
  return cuts.some((c) => within(problemPath, c) || (entry && within(c, problemPath)));
}
