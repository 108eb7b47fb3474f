/**
 * Merging canonical-shaped documents by the Compose Specification's rules: mappings merge
 * deeply, scalars and unlisted sequences are replaced, some sequences are unions, and some
 * are keyed (a port by its binding, a volume by its target). `!reset` removes what earlier
 * files said, `!override` replaces instead of merging. `extends` uses the same rules.
 */
import { type Dict, isPlainObject } from '../util/dict.js';
import { pathKey, type Path } from './doc-path.js';
import { formOf, mergeAsSequence } from './written-form.js';

type Rule = 'replace' | 'union' | { key: (item: Dict) => string; scalarKey?: (item: unknown) => string; deep?: boolean } | 'logging';


const byTarget = { key: (v: Dict) => String(v.target) };
const portKey = {
  key: (p: Dict) => `${String(p.host_ip ?? '')}|${String(p.published ?? '')}|${String(p.target)}|${String(p.protocol ?? 'tcp')}`,
};

// Sequences not listed here append the new entries (the Specification's default rule).
const RULES: [string, Rule][] = [
  ['services.*.command', 'replace'],
  ['services.*.entrypoint', 'replace'],
  ['services.*.healthcheck.test', 'replace'],
  ['services.*.ports', portKey],
  ['services.*.volumes', byTarget],
  ['services.*.secrets', byTarget],
  ['services.*.configs', byTarget],
  ['services.*.build.secrets', byTarget],
  // Devices by target (compose-go's deviceMappingIndexer), tmpfs entries by their path.
  ['services.*.devices', byTarget],
  ['services.*.tmpfs', { key: (v: Dict) => JSON.stringify(v), scalarKey: (v) => String(v).split(':')[0]! }],
  ['services.*.env_file', { key: (e) => String(e.path) }],
  ['services.*.ulimits.*', 'replace'],
  ['services.*.build.ulimits.*', 'replace'],
  ['services.*.logging', 'logging'],
  ['networks.*.ipam.config', { key: (c) => String(c.subnet ?? JSON.stringify(c)), deep: true }],
  ['models.*.runtime_flags', 'replace'],
];
const RULE_PATTERNS = RULES.map(([p, r]) => [p.split('.'), r] as const);

const matches = (pattern: string[], path: Path) => pattern.length === path.length && pattern.every((seg, i) => seg === '*' || seg === String(path[i]));

function ruleFor(path: Path): Rule {
  for (const [pattern, rule] of RULE_PATTERNS) if (matches(pattern, path)) return rule;
  return 'union';
}

/**
 * Where compose-go's merge turns two key-value attributes into one list (mergeToSequence). Only
 * the model `config --no-interpolate` prints tells (its mappings carry their written form).
 */
const SEQUENCES = [
  'networks.*.labels', 'volumes.*.labels', 'services.*.annotations', 'services.*.build.args', 'services.*.build.additional_contexts',
  'services.*.build.labels', 'services.*.deploy.labels', 'services.*.environment', 'services.*.labels', 'services.*.sysctls',
].map((p) => p.split('.'));

export interface MergeTags {
  resets: Set<string>;
  overrides: Set<string>;
}

const NO_TAGS: MergeTags = { resets: new Set(), overrides: new Set() };

/** `over` applied on top of `base`; neither is modified. Paths are relative to the document root. */
export function mergeDocs(base: Dict, over: Dict, tags: MergeTags = NO_TAGS, root: Path = []): Dict {
  const merged = mergeValue(base, over, [...root], tags) as Dict;
  for (const reset of tags.resets) {
    const segs = reset.split('\u001f').slice(root.length);
    if (segs.length > 0) deletePath(merged, segs);
  }
  return merged;
}

function mergeValue(base: unknown, over: unknown, path: (string | number)[], tags: MergeTags): unknown {
  if (over === undefined) return base;
  if (tags.overrides.has(pathKey(path))) return over;
  if (over === null) return isPlainObject(base) ? base : over;
  const rule = ruleFor(path);
  if (rule === 'replace') return over;
  if (rule === 'logging' && isPlainObject(base) && isPlainObject(over)) {
    if (over.driver !== undefined && base.driver !== undefined && over.driver !== base.driver) return over;
  }
  if (formOf(base) && formOf(over) && SEQUENCES.some((p) => matches(p, path))) return mergeAsSequence(base as Dict, over as Dict);
  if (Array.isArray(base) && Array.isArray(over)) {
    if (rule === 'union') {
      const seen = new Set(base.map((x) => JSON.stringify(x)));
      return [...base, ...over.filter((x) => !seen.has(JSON.stringify(x)) && seen.add(JSON.stringify(x)))];
    }
    if (typeof rule === 'object') return mergeKeyed(base, over, rule, path, tags);
    return over;
  }
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Dict = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeValue(base[k], v, [...path, k], tags);
    return out;
  }
  return over;
}

function mergeKeyed(
  base: unknown[],
  over: unknown[],
  rule: { key: (item: Dict) => string; scalarKey?: (item: unknown) => string; deep?: boolean },
  path: (string | number)[],
  tags: MergeTags,
): unknown[] {
  const keyOf = (x: unknown) => (isPlainObject(x) ? rule.key(x) : rule.scalarKey ? rule.scalarKey(x) : JSON.stringify(x));
  const out = [...base];
  const index = new Map(out.map((x, i) => [keyOf(x), i]));
  for (const item of over) {
    const k = keyOf(item);
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, out.length);
      out.push(item);
    } else {
      out[at] = rule.deep ? mergeValue(out[at], item, [...path, at], tags) : item;
    }
  }
  return out;
}

function deletePath(doc: Dict, segs: string[]): void {
  let cur: unknown = doc;
  for (const seg of segs.slice(0, -1)) {
    if (isPlainObject(cur)) cur = cur[seg];
    else if (Array.isArray(cur)) cur = cur[Number(seg)];
    else return;
  }
  const last = segs[segs.length - 1]!;
  if (isPlainObject(cur)) delete cur[last];
}
