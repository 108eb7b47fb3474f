/**
 * The variables a stack's files refer to, as `docker compose config --variables` lists them
 * (compose-go's template.ExtractVariables): every `$NAME` and `${NAME...}` in a string value
 * (keys are never interpolated), with the default (`:-`/`-`), the alternate value (`:+`/`+`)
 * and whether it is required (`:?`/`?`). Variables inside a default or alternate value count
 * too. `$$` is a literal dollar, not a reference.
 */
import { isPlainObject } from '../util/dict.js';

export interface Variable {
  name: string;
  defaultValue: string;
  presenceValue: string;
  required: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** By name; where a name is referred to more than once, the last reference read wins, as in compose-go. */
export function extractVariables(model: unknown): Map<string, Variable> {
  const out = new Map<string, Variable>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') for (const found of inString(v)) out.set(found.name, found);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isPlainObject(v)) Object.values(v).forEach(walk);
  };
  walk(model);
  return out;
}

function inString(s: string): Variable[] {
  const found: Variable[] = [];
  for (let i = s.indexOf('$'); i >= 0 && i < s.length; i = s.indexOf('$', i)) {
    const next = s[i + 1];
    if (next === '$') {
      i += 2;
      continue;
    }
    if (next !== '{') {
      const m = NAME.exec(s.slice(i + 1));
      if (m) found.push({ name: m[0], defaultValue: '', presenceValue: '', required: false });
      i += 1 + (m?.[0].length ?? 0);
      continue;
    }
    const close = closingBrace(s, i + 1);
    if (close < 0) break;
    found.push(...braced(s.slice(i + 2, close)));
    i = close + 1;
  }
  return found;
}

/** The `}` that closes the `{` at `open`, nested `${...}` skipped; -1 if none. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function braced(inner: string): Variable[] {
  const m = NAME.exec(inner);
  if (!m) return [];
  const rest = inner.slice(m[0].length);
  const v: Variable = { name: m[0], defaultValue: '', presenceValue: '', required: false };
  if (rest.startsWith(':?') || rest.startsWith('?')) v.required = true;
  else if (rest.startsWith(':-')) v.defaultValue = rest.slice(2);
  else if (rest.startsWith('-')) v.defaultValue = rest.slice(1);
  else if (rest.startsWith(':+')) v.presenceValue = rest.slice(2);
  else if (rest.startsWith('+')) v.presenceValue = rest.slice(1);
  return [v, ...inString(v.defaultValue), ...inString(v.presenceValue)];
}
