/**
 * Block-style YAML for the canonical model, which holds only mappings, lists, strings,
 * finite numbers, booleans and null. The yaml library's stringify handles every YAML
 * feature and costs 40–70 ms for a 100-service stack, half of `tug config`'s budget; this
 * covers the narrow case. A string is left unquoted only when every YAML 1.1 and 1.2 reader
 * (docker-compose v1 reads 1.1) reads it back as the same string; anything else is written as
 * a JSON string, which is a valid YAML double-quoted scalar. A property test round-trips
 * random values through the yaml parser.
 */
import { type Dict, isPlainObject } from '../util/dict.js';

const SAFE = /^[A-Za-z0-9_./][A-Za-z0-9_./@+=-]*(?: [A-Za-z0-9_./@+=-]+)*$/;
// Plain scalars a YAML reader would turn into something other than a string.
const SPECIAL = /^(?:~|null|true|false|yes|no|on|off|y|n|[-+]?(?:\.inf|\.nan)|[-+]?(?:0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:e[-+]?[0-9]+)?|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?))$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') {
    // An extension (`x-odd: .nan`) may hold one: printed as YAML spells it, as go-yaml does.
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = String(v);
  return SAFE.test(s) && !SPECIAL.test(s) ? s : JSON.stringify(s);
}

function block(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if ((isPlainObject(item) && Object.keys(item).length) || (Array.isArray(item) && item.length)) {
        // The first line of a nested block shares the dash's line.
        const inner: string[] = [];
        block(item, `${indent}  `, inner);
        out.push(`${indent}- ${inner[0]!.trimStart()}`, ...inner.slice(1));
      } else out.push(`${indent}- ${inline(item)}`);
    }
    return;
  }
  for (const [k, item] of Object.entries(v as Dict)) {
    if ((isPlainObject(item) && Object.keys(item).length) || (Array.isArray(item) && item.length)) {
      out.push(`${indent}${scalar(k)}:`);
      block(item, `${indent}  `, out);
    } else out.push(`${indent}${scalar(k)}: ${inline(item)}`);
  }
}

function inline(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (isPlainObject(v)) return '{}';
  return scalar(v);
}

export function emitYaml(v: unknown): string {
  if (!isPlainObject(v) && !Array.isArray(v)) return `${scalar(v)}\n`;
  if ((isPlainObject(v) && !Object.keys(v).length) || (Array.isArray(v) && !v.length)) return `${inline(v)}\n`;
  const out: string[] = [];
  block(v, '', out);
  return `${out.join('\n')}\n`;
}
