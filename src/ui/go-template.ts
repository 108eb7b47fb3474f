/**
 * The part of Go's text/template that `--format` strings written for `docker compose` use:
 * `{{.Field}}`, chains (`.A.B`), `{{json .}}`, pipelines (`{{.Name | upper}}`), `if`/`else`/
 * `range`/`with`/`end`, trim markers (`{{-`, `-}}`), comments, string/number/bool literals,
 * `$` for the row, and the functions docker's CLI adds (json, join, split, lower, upper, title,
 * pad, truncate) with Go's own (index, len, print, printf, println, eq, ne, lt, le, gt, ge,
 * not, and, or). No npm library implements Go templates with custom functions (the one that
 * does templates has no `json`), so this is a small hand-written subset. Whatever lies outside
 * it (variables, `define`, `template`, `block`, an unknown function or field) is a
 * TemplateError naming it, which the verbs turn into a usage error: a script must never get
 * a silently different answer.
 */

export class TemplateError extends Error {}

type Operand =
  | { kind: 'dot' }
  | { kind: 'root' }
  | { kind: 'field'; base: 'dot' | 'root' | Operand; path: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'func'; name: string }
  | { kind: 'pipe'; pipe: Pipeline };

type Command = Operand[];
type Pipeline = Command[];

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipeline; then: Node[]; else: Node[] };

/** A function of a row (Go's method with arguments, such as ContainerContext.Label). */
export type RowMethod = (...args: unknown[]) => unknown;

export type FuncMap = Record<string, (...args: unknown[]) => unknown>;

// ---------------------------------------------------------------- lexing

type Token =
  | { t: 'text'; v: string }
  | { t: 'action'; v: string };

/** Splits the source into text and actions, applying the `{{- ` and ` -}}` trim markers. */
function split(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) out.push({ t: 'text', v: text });
      break;
    }
    let start = open + 2;
    if (/^-\s/.test(src.slice(start, start + 2))) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) out.push({ t: 'text', v: text });
    const close = findClose(src, start);
    if (close < 0) throw new TemplateError(`unclosed action: "${src.slice(open, open + 20)}" has no "}}"`);
    let end = close;
    if (/\s-$/.test(src.slice(end - 2, end))) {
      end -= 1;
      trimNext = true;
    }
    out.push({ t: 'action', v: src.slice(start, end).trim() });
    i = close + 2;
  }
  return out;
}

/** The `}}` closing an action, skipping those inside string literals. */
function findClose(src: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    const ch = src[i];
    if (ch === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
    } else if (ch === '`') {
      i = src.indexOf('`', i + 1);
      if (i < 0) return -1;
    } else if (ch === '}' && src[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

type Word =
  | { w: 'dot' } | { w: 'field'; v: string[] } | { w: 'root'; v: string[] } | { w: 'ident'; v: string }
  | { w: 'string'; v: string } | { w: 'number'; v: number } | { w: 'pipe' } | { w: 'open' } | { w: 'close' }
  | { w: 'var'; v: string };

function words(action: string): Word[] {
  const assigned = /^(\$\w*)(\s*,\s*\$\w*)?\s*:?=/.exec(action);
  if (assigned) throw new TemplateError(`template variables (${assigned[1]}) are not supported in --format`);
  const out: Word[] = [];
  let i = 0;
  while (i < action.length) {
    const rest = action.slice(i);
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^\s+/))) {
      i += m[0].length;
    } else if (rest[0] === '|') {
      out.push({ w: 'pipe' }); i++;
    } else if (rest[0] === '(') {
      out.push({ w: 'open' }); i++;
    } else if (rest[0] === ')') {
      // `(.X).Y` chains a field onto a parenthesised value.
      out.push({ w: 'close' }); i++;
      if ((m = action.slice(i).match(/^(\.[A-Za-z_]\w*)+/))) {
        out.push({ w: 'field', v: m[0].slice(1).split('.') });
        i += m[0].length;
      }
    } else if ((m = rest.match(/^"((?:[^"\\]|\\.)*)"/))) {
      try {
        out.push({ w: 'string', v: JSON.parse(`"${m[1]!.replace(/\\'/g, '\'')}"`) as string });
      } catch {
        throw new TemplateError(`bad string literal ${m[0]}`);
      }
      i += m[0].length;
    } else if ((m = rest.match(/^`([^`]*)`/))) {
      out.push({ w: 'string', v: m[1]! }); i += m[0].length;
    } else if ((m = rest.match(/^-?\d+(\.\d+)?/))) {
      out.push({ w: 'number', v: Number(m[0]) }); i += m[0].length;
    } else if ((m = rest.match(/^\$(\.[A-Za-z_]\w*)*(?![\w.])/)) && m[0]) {
      out.push({ w: 'root', v: m[0] === '$' ? [] : m[0].slice(2).split('.') }); i += m[0].length;
    } else if ((m = rest.match(/^\$\w+/))) {
      out.push({ w: 'var', v: m[0] }); i += m[0].length;
    } else if ((m = rest.match(/^(\.[A-Za-z_]\w*)+/))) {
      out.push({ w: 'field', v: m[0].slice(1).split('.') }); i += m[0].length;
    } else if (rest[0] === '.' && !/^\.\w/.test(rest)) {
      out.push({ w: 'dot' }); i++;
    } else if ((m = rest.match(/^[A-Za-z_]\w*/))) {
      out.push({ w: 'ident', v: m[0] }); i += m[0].length;
    } else {
      throw new TemplateError(`unexpected "${rest.slice(0, 10)}" in {{${action}}}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- parsing

function parsePipeline(ws: Word[], action: string): Pipeline {
  let pos = 0;
  const pipeline = (): Pipeline => {
    const cmds: Pipeline = [];
    let cmd: Command = [];
    while (pos < ws.length) {
      const w = ws[pos]!;
      if (w.w === 'close') break;
      pos++;
      switch (w.w) {
        case 'pipe':
          if (!cmd.length) throw new TemplateError(`missing command before "|" in {{${action}}}`);
          cmds.push(cmd); cmd = []; break;
        case 'dot': cmd.push({ kind: 'dot' }); break;
        case 'field': cmd.push({ kind: 'field', base: 'dot', path: w.v }); break;
        case 'root': cmd.push(w.v.length ? { kind: 'field', base: 'root', path: w.v } : { kind: 'root' }); break;
        case 'string': cmd.push({ kind: 'literal', value: w.v }); break;
        case 'number': cmd.push({ kind: 'literal', value: w.v }); break;
        case 'var': throw new TemplateError(`template variables (${w.v}) are not supported in --format`);
        case 'ident':
          if (w.v === 'true' || w.v === 'false') cmd.push({ kind: 'literal', value: w.v === 'true' });
          else if (w.v === 'nil') cmd.push({ kind: 'literal', value: undefined });
          else cmd.push({ kind: 'func', name: w.v });
          break;
        case 'open': {
          const inner = pipeline();
          if (ws[pos]?.w !== 'close') throw new TemplateError(`unclosed "(" in {{${action}}}`);
          pos++;
          const chained = ws[pos];
          if (chained?.w === 'field' && ws[pos - 1]?.w === 'close') {
            pos++;
            cmd.push({ kind: 'field', base: { kind: 'pipe', pipe: inner }, path: chained.v });
          } else {
            cmd.push({ kind: 'pipe', pipe: inner });
          }
          break;
        }
      }
    }
    if (!cmd.length) throw new TemplateError(cmds.length ? `missing command after "|" in {{${action}}}` : `empty action {{${action}}}`);
    cmds.push(cmd);
    return cmds;
  };
  const p = pipeline();
  if (pos < ws.length) throw new TemplateError(`unexpected ")" in {{${action}}}`);
  return p;
}

const UNSUPPORTED_KEYWORDS = new Set(['define', 'template', 'block', 'break', 'continue']);

/** Parses a template; throws TemplateError for a syntax error or a construct outside the subset. */
export function parseTemplate(src: string): Node[] {
  const tokens = split(src);
  let pos = 0;
  // Returns the nodes up to an `else` or `end`, and which of them ended the list.
  const list = (): { nodes: Node[]; end?: 'else' | 'end'; elseAction?: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++]!;
      if (tok.t === 'text') {
        nodes.push({ kind: 'text', text: tok.v });
        continue;
      }
      const action = tok.v;
      if (/^\/\*[\s\S]*\*\/$/.test(action)) continue;
      const keyword = /^([a-z]+)\b/.exec(action)?.[1];
      if (keyword === 'end') return { nodes, end: 'end' };
      if (keyword === 'else') return { nodes, end: 'else', elseAction: action.slice(4).trim() };
      if (keyword && UNSUPPORTED_KEYWORDS.has(keyword)) throw new TemplateError(`{{${keyword}}} is not supported in --format`);
      if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
        nodes.push(block(keyword, action.slice(keyword.length).trim()));
        continue;
      }
      nodes.push({ kind: 'action', pipe: parsePipeline(words(action), action) });
    }
    return { nodes };
  };
  const block = (kind: 'if' | 'with' | 'range', head: string): Node => {
    if (!head) throw new TemplateError(`{{${kind}}} needs a value`);
    const pipe = parsePipeline(words(head), `${kind} ${head}`);
    const body = list();
    if (!body.end) throw new TemplateError(`{{${kind} ${head}}} has no {{end}}`);
    let otherwise: Node[] = [];
    if (body.end === 'else') {
      if (body.elseAction) {
        // `{{else if x}}` is `{{else}}{{if x}}...{{end}}` sharing the outer `end`.
        const m = /^(if|with)\s+(.*)$/s.exec(body.elseAction);
        if (!m) throw new TemplateError(`unexpected {{else ${body.elseAction}}}`);
        otherwise = [block(m[1] as 'if' | 'with', m[2]!)];
      } else {
        const rest = list();
        if (rest.end !== 'end') throw new TemplateError(`{{${kind} ${head}}} has no {{end}}`);
        otherwise = rest.nodes;
      }
    }
    return { kind, pipe, then: body.nodes, else: otherwise };
  };
  const top = list();
  if (top.end) throw new TemplateError(`unexpected {{${top.end}}}`);
  return top.nodes;
}

// ---------------------------------------------------------------- printing and functions

/** Go's `%v` of the values rows hold: slices as `[a b]`, structs as `{a b}`, nothing as `<no value>`. */
export function goString(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') return `{${Object.values(v).map(goString).join(' ')}}`;
  return String(v);
}

/** Go's truthiness: false, 0, "", empty slices and maps, nil. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return !!v;
}

/** As docker's `json` template function: encoding/json without HTML escaping. */
export function goJson(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v);
}

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string') throw new TemplateError(`${fn} wants a string, not ${goString(v)}`);
  return v;
}

function printf(format: unknown, ...args: unknown[]): string {
  let n = 0;
  return str(format, 'printf').replace(/%([-+ 0#]*\d*(?:\.\d+)?)([svdqt%])/g, (all, flags: string, verb: string) => {
    if (verb === '%') return '%';
    const a = args[n++];
    let s = verb === 'q' ? JSON.stringify(String(a)) : verb === 'd' ? String(Math.trunc(Number(a))) : goString(a);
    const width = Number(/\d+/.exec(flags.replace(/\.\d+/, ''))?.[0] ?? 0);
    if (width) s = flags.includes('-') ? s.padEnd(width) : s.padStart(width);
    return s;
  });
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError(`cannot compare ${goString(a)} with ${goString(b)}`);
}

/** The functions of docker's templates (cli/templates) and Go's built-ins that make sense here. */
export const FUNCS: FuncMap = {
  json: (v) => goJson(v),
  join: (v, sep) => (Array.isArray(v) ? v.map(goString).join(str(sep, 'join')) : str(v, 'join')),
  split: (v, sep) => str(v, 'split').split(str(sep, 'split')),
  lower: (v) => str(v, 'lower').toLowerCase(),
  upper: (v) => str(v, 'upper').toUpperCase(),
  title: (v) => str(v, 'title').replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase()),
  pad: (v, left, right) => (v === '' ? '' : `${' '.repeat(Number(left))}${goString(v)}${' '.repeat(Number(right))}`),
  truncate: (v, n) => [...str(v, 'truncate')].slice(0, Number(n)).join(''),
  index: (v, ...keys) => keys.reduce((cur: unknown, k) => {
    if (Array.isArray(cur) && typeof k === 'number') {
      if (k < 0 || k >= cur.length) throw new TemplateError(`index ${k} out of range`);
      return cur[k];
    }
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && typeof k === 'string') return (cur as Record<string, unknown>)[k] ?? '';
    throw new TemplateError(`cannot index ${goString(cur)} with ${goString(k)}`);
  }, v),
  len: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v && typeof v === 'object') return Object.keys(v).length;
    throw new TemplateError(`len of ${goString(v)}`);
  },
  print: (...a) => a.map((v, i) => (i > 0 && typeof v !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + goString(v)).join(''),
  println: (...a) => `${a.map(goString).join(' ')}\n`,
  printf,
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  not: (a) => !truthy(a),
  and: (...a) => a.find((v) => !truthy(v)) ?? a[a.length - 1],
  or: (...a) => a.find((v) => truthy(v)) ?? a[a.length - 1],
};

// ---------------------------------------------------------------- execution

interface Scope {
  dot: unknown;
  root: unknown;
  funcs: FuncMap;
}

function field(base: unknown, path: readonly string[], args: unknown[]): unknown {
  let cur = base;
  path.forEach((name, i) => {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, name)) {
      const fields = cur && typeof cur === 'object' && !Array.isArray(cur) ? Object.keys(cur) : [];
      throw new TemplateError(`can't evaluate field ${name}${fields.length ? ` (fields: ${fields.join(', ')})` : ` in ${goString(cur)}`}`);
    }
    cur = (cur as Record<string, unknown>)[name];
    const last = i === path.length - 1;
    if (typeof cur === 'function') cur = (cur as RowMethod)(...(last ? args : []));
    else if (last && args.length) throw new TemplateError(`${name} is not a method but has arguments`);
  });
  return cur;
}

function operand(o: Operand, s: Scope): unknown {
  switch (o.kind) {
    case 'dot': return s.dot;
    case 'root': return s.root;
    case 'literal': return o.value;
    case 'pipe': return pipeline(o.pipe, s);
    case 'field': return field(o.base === 'dot' ? s.dot : o.base === 'root' ? s.root : operand(o.base, s), o.path, []);
    case 'func': return call(o.name, [], s);
  }
}

function call(name: string, args: unknown[], s: Scope): unknown {
  const fn = s.funcs[name];
  if (!fn) throw new TemplateError(`function "${name}" is not supported in --format (supported: ${Object.keys(s.funcs).join(', ')})`);
  return fn(...args);
}

function command(cmd: Command, s: Scope, piped: unknown[]): unknown {
  const [head, ...rest] = cmd;
  const args = [...rest.map((o) => operand(o, s)), ...piped];
  if (head!.kind === 'func') return call(head!.name, args, s);
  if (head!.kind === 'field') {
    return field(head!.base === 'dot' ? s.dot : head!.base === 'root' ? s.root : operand(head!.base, s), head!.path, args);
  }
  if (args.length) throw new TemplateError(`can't give arguments to a non-function`);
  return operand(head!, s);
}

function pipeline(p: Pipeline, s: Scope): unknown {
  let value: unknown;
  p.forEach((cmd, i) => (value = command(cmd, s, i === 0 ? [] : [value])));
  return value;
}

function run(nodes: readonly Node[], s: Scope): string {
  let out = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': out += n.text; break;
      case 'action': out += goString(pipeline(n.pipe, s)); break;
      case 'if': out += run(truthy(pipeline(n.pipe, s)) ? n.then : n.else, s); break;
      case 'with': {
        const v = pipeline(n.pipe, s);
        out += truthy(v) ? run(n.then, { ...s, dot: v }) : run(n.else, s);
        break;
      }
      case 'range': {
        const v = pipeline(n.pipe, s);
        const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : undefined;
        if (items === undefined && v !== undefined && v !== null) throw new TemplateError(`range can't iterate over ${goString(v)}`);
        out += items?.length ? items.map((item) => run(n.then, { ...s, dot: item })).join('') : run(n.else, s);
        break;
      }
    }
  }
  return out;
}

export interface Template {
  /** Renders one row; throws TemplateError for a field the row lacks or a function misused. */
  render(row: unknown): string;
}

export function compileTemplate(src: string, funcs: FuncMap = FUNCS): Template {
  const nodes = parseTemplate(src);
  return { render: (row) => run(nodes, { dot: row, root: row, funcs }) };
}
