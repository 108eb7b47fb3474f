/**
 * Schema validation of one file with the ajv validator generated at build time, and the
 * translation of ajv's raw errors into what a person can act on: one problem per place,
 * at file:line:col, with the YAML path, what was expected and a did-you-mean.
 *
 * ajv reports every failing branch of an `anyOf`; most of those are noise. The rules below
 * keep the error from the branch that matches the value's type and the deepest path.
 */
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../errors.js';
import schema from '../../schemas/compose.schema.json' with { type: 'json' };
import { type Dict, isPlainObject } from '../util/dict.js';
import { formatPath, type Path } from './doc-path.js';
import validateCompose from './generated/validate-compose.js';
import { didYouMean } from './suggest.js';
import type { Locator } from './locate.js';

interface Raw {
  path: (string | number)[];
  keyword: string;
  params: Dict;
  schemaPath: string;
  message: string;
}

export function validateDocument(doc: unknown, locate: Locator): Diagnostic[] {
  return schemaCheck(doc, locate).problems;
}

export interface SchemaCheck {
  problems: Diagnostic[];
  /** Where the document is invalid: each problem's value (an unknown key's own path). */
  invalidAt: Path[];
}

export function schemaCheck(doc: unknown, locate: Locator): SchemaCheck {
  if (validateCompose(doc)) return { problems: [], invalidAt: [] };
  const errors = (validateCompose.errors ?? []) as ErrorObject[];
  return explain(errors.map((e) => toRaw(e, doc)), doc, locate);
}

function toRaw(e: ErrorObject, doc: unknown): Raw {
  const segs = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path: (string | number)[] = [];
  let cur: unknown = doc;
  for (const s of segs) {
    const seg = Array.isArray(cur) ? Number(s) : s;
    path.push(seg);
    cur = cur === null || typeof cur !== 'object' ? undefined : (cur as Dict)[s];
  }
  return { path, keyword: e.keyword, params: e.params as Dict, schemaPath: e.schemaPath, message: e.message ?? 'is invalid' };
}

const key = (p: Path) => JSON.stringify(p);
const isPrefix = (a: Path, b: Path) => a.length < b.length && a.every((s, i) => s === b[i]);
const BRANCHY = new Set(['type', 'anyOf', 'oneOf', 'const', 'enum', 'if', 'not']);

function explain(raws: Raw[], doc: unknown, locate: Locator): SchemaCheck {
  // Where the value matched some branch's type, that branch's own complaint is the real one.
  const specificAt = new Set(raws.filter((r) => !BRANCHY.has(r.keyword)).map((r) => key(r.path)));
  const kept = raws.filter((r) => {
    if (r.keyword === 'anyOf' || r.keyword === 'oneOf') return false;
    if (BRANCHY.has(r.keyword) && specificAt.has(key(r.path)) && r.keyword !== 'enum') return false;
    if (r.keyword === 'type' && raws.some((o) => o !== r && isPrefix(r.path, o.path) && o.keyword !== 'type')) return false;
    if (r.keyword === 'type' && raws.some((o) => isPrefix(r.path, o.path))) return false;
    return true;
  });
  // Several `type` failures at one path are one problem: "expected a string or a list".
  const byPlace = new Map<string, Raw[]>();
  for (const r of kept) {
    const k = r.keyword === 'additionalProperties' ? key([...r.path, String(r.params.additionalProperty)]) : key(r.path) + r.keyword;
    const list = byPlace.get(k) ?? [];
    list.push(r);
    byPlace.set(k, list);
  }
  const out: Diagnostic[] = [];
  for (const group of byPlace.values()) out.push(describe(group, doc, locate));
  const seen = new Set<string>();
  const problems = out
    .filter((d) => {
      const k = `${d.path}\u0000${d.message}`;
      return !seen.has(k) && (seen.add(k), true);
    })
    .sort((a, b) => depth(b) - depth(a) || (a.location?.line ?? 0) - (b.location?.line ?? 0));
  const invalidAt = [...byPlace.values()].map(([r]) => (r!.keyword === 'additionalProperties' ? [...r!.path, String(r!.params.additionalProperty)] : r!.path));
  return { problems, invalidAt };
}

function depth(d: Diagnostic): number {
  return (d.path ?? '').split(/[.[]/).length;
}

function describe(group: Raw[], doc: unknown, locate: Locator): Diagnostic {
  const r = group[0]!;
  if (r.keyword === 'additionalProperties') {
    const name = String(r.params.additionalProperty);
    const path = [...r.path, name];
    const allowed = Object.keys((objectSchemaAt(r.path)?.properties as Dict | undefined) ?? {});
    const guess = didYouMean(name, allowed);
    return {
      code: 'unknown_key',
      message: `unknown key "${name}" in ${where(r.path)}${guess ? `: did you mean "${guess}"?` : ''}`,
      path: formatPath(path),
      location: locate(path),
      hint: guess ? `rename it to "${guess}"` : 'remove it, or prefix it with x- to keep it as an extension',
    };
  }
  const path = r.path;
  const base = { path: formatPath(path), location: locate(path) };
  const value = valueAt(doc, path);
  const shown = JSON.stringify(value);
  const def = group.map((g) => SPECIAL_PATTERNS.get(String(g.params.pattern))).find(Boolean);
  if (def) {
    const what = { duration: 'a duration like 30s or 1m30s', byte_size: 'a size like 512m or 1g', cpus: 'a number of CPUs like 0.5 or 2' }[def];
    return { code: `invalid_${def}`, message: `${label(path)}: invalid value ${shown}: expected ${what}`, ...base };
  }
  switch (r.keyword) {
    case 'type': {
      const types = [...new Set(group.flatMap((g) => String(g.params.type).split(',')))];
      const special = typeof value === 'number' && !Number.isFinite(value);
      return {
        code: 'invalid_type',
        message: `${label(path)} must be ${typeList(types)}, not ${typeName(value)}`,
        ...(special ? { hint: 'YAML reads .inf, -.inf and .nan as special floating-point numbers, which no setting accepts: write a finite number, or quote the value to mean the text' } : {}),
        ...base,
      };
    }
    case 'enum': {
      const allowed = (r.params.allowedValues as unknown[]).map(String);
      const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
      return {
        code: 'invalid_value',
        message: `${label(path)}: invalid value ${shown}${guess ? `: did you mean "${guess}"?` : ''}`,
        hint: `expected one of: ${allowed.join(', ')}`,
        ...base,
      };
    }
    case 'required':
      return { code: 'missing_key', message: `${where(path)} is missing the required key "${String(r.params.missingProperty)}"`, ...base };
    case 'uniqueItems':
      return { code: 'duplicate_item', message: `${label(path)} lists the same item twice (items ${String(r.params.j)} and ${String(r.params.i)})`, ...base };
    case 'pattern': {
      // A pattern that lists words (`^(always|never|missing|...)$`) is an enum with extras: suggest among its words.
      const guess = typeof value === 'string' ? didYouMean(value, literalAlternatives(String(r.params.pattern))) : undefined;
      return { code: 'invalid_value', message: `${label(path)}: invalid value ${shown}${guess ? `: did you mean "${guess}"?` : ''}`, ...base };
    }
    default:
      return { code: 'invalid_value', message: `${label(path)} ${r.message}`, ...base };
  }
}

/**
 * Durations, sizes and CPU counts are shared definitions recognised by their pattern: ajv's
 * schemaPath is relative to a definition's own function when refs are not inlined.
 */
const SPECIAL_PATTERNS = new Map(
  (['duration', 'byte_size', 'cpus'] as const).map((name) => [String(((schema as Dict).definitions as Record<string, Dict>)[name]!.pattern), name]),
);

/** The plain words of a `^(a|b|c)$` pattern; none for any other shape. */
function literalAlternatives(pattern: string): string[] {
  const m = /^\^\((.*)\)\$$/.exec(pattern);
  return m ? m[1]!.split('|').filter((a) => /^[A-Za-z0-9_-]+$/.test(a)) : [];
}

function label(path: Path): string {
  return path.length === 0 ? 'the stack file' : formatPath(path);
}

function where(path: Path): string {
  if (path.length === 0) return 'the top level';
  if (path.length === 2 && path[0] === 'services') return `service "${String(path[1])}"`;
  return formatPath(path);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' && Number.isNaN(v)) return `.nan (YAML's "not a number" float)`;
  if (typeof v === 'number' && !Number.isFinite(v)) return v > 0 ? `.inf (YAML's infinity float)` : `-.inf (YAML's negative infinity float)`;
  return `${typeof v} ${String(v)}`;
}

function typeList(types: string[]): string {
  const names = types.map((t) => ({ object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'a boolean', null: 'null' })[t] ?? t);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0] ?? 'valid';
}

function valueAt(doc: unknown, path: Path): unknown {
  let cur = doc;
  for (const s of path) cur = cur === null || typeof cur !== 'object' ? undefined : (cur as Dict)[String(s)];
  return cur;
}

/**
 * The object schema that applies at an instance path, found by walking the schema the way
 * the validator did. (ajv's schemaPath is relative to the referenced definition in standalone
 * code, so it cannot name the definition itself.)
 */
function objectSchemaAt(path: Path): Dict | undefined {
  let cur: Dict | undefined = pick(schema as Dict, 'object');
  for (const [i, seg] of path.entries()) {
    if (!cur) return undefined;
    let next: unknown;
    if (typeof seg === 'number') next = cur.items;
    else {
      const props = cur.properties as Dict | undefined;
      const patterns = (cur.patternProperties ?? {}) as Dict;
      next = props?.[seg] ?? Object.entries(patterns).find(([re]) => new RegExp(re).test(seg))?.[1] ?? cur.additionalProperties;
    }
    const wanted = typeof path[i + 1] === 'number' ? 'array' : 'object';
    cur = isPlainObject(next) ? pick(next, wanted) : undefined;
  }
  return cur;
}

/** Follows `$ref`s and picks the `anyOf` branch of the wanted JSON type. */
function pick(node: Dict, type: 'object' | 'array'): Dict | undefined {
  let cur: Dict | undefined = node;
  for (let guard = 0; cur && guard < 20; guard++) {
    if (typeof cur.$ref === 'string') {
      cur = refTarget(cur.$ref);
      continue;
    }
    if (Array.isArray(cur.anyOf)) {
      cur = (cur.anyOf as Dict[]).map((b) => (typeof b.$ref === 'string' ? refTarget(b.$ref) : b)).find((b) => b && hasType(b, type));
      continue;
    }
    return cur;
  }
  return cur;
}

function refTarget(ref: string): Dict | undefined {
  const name = /^#\/definitions\/(.+)$/.exec(ref)?.[1];
  return name ? ((schema as Dict).definitions as Dict)[name] as Dict : undefined;
}

function hasType(node: Dict, type: string): boolean {
  const t = node.type;
  if (t === undefined) return Array.isArray(node.anyOf) || typeof node.$ref === 'string' || (type === 'object' && 'properties' in node);
  return Array.isArray(t) ? t.includes(type) : t === type;
}
