/**
 * Compose variable interpolation (`$VAR`, `${VAR:-default}`, `${VAR:?message}`, …).
 *
 * A template is parsed into a small tree before anything is looked up. That way a malformed
 * template is reported whatever the environment holds, while evaluation stays lazy: only the
 * branch an operator actually takes is expanded, so a variable named in an unused default,
 * alternative or error message is never looked up and never warned about.
 *
 * Error wording follows compose-go so that messages match what `docker compose` users know.
 */
import { isPlainObject } from '../util/dict.js';
import { MAX_INTERPOLATION_DEPTH } from './limits.js';

/** `undefined` means unset; `''` means set but empty (the `:` operators tell them apart). */
export type Lookup = (name: string) => string | undefined;

export type InterpolationErrorKind = 'syntax' | 'required' | 'too_deep';

export class InterpolationError extends Error {
  readonly kind: InterpolationErrorKind;
  readonly variable?: string;
  /** The whole template given to `substitute`, not the nested part that failed. */
  readonly template: string;

  constructor(kind: InterpolationErrorKind, message: string, template: string, variable?: string) {
    super(message);
    this.name = 'InterpolationError';
    this.kind = kind;
    this.template = template;
    if (variable !== undefined) this.variable = variable;
  }
}

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';

type Node =
  | { type: 'text'; text: string }
  | { type: 'var'; name: string; op?: Operator; arg: Node[] };

const NAME_START = /[A-Za-z_]/;
const NAME_REST = /[A-Za-z0-9_]/;

class Parser {
  /**
   * For each `{`, the index of the `}` that closes it (-1: none). Found in one pass, so that
   * nested `${...}` cost no more than flat ones: scanning for each brace would be quadratic.
   */
  private closing: Int32Array | undefined;

  constructor(private readonly template: string) {}

  private pairBraces(): Int32Array {
    const s = this.template;
    const closing = new Int32Array(s.length).fill(-1);
    const open: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x7b) open.push(i);
      else if (c === 0x7d && open.length > 0) closing[open.pop()!] = i;
    }
    return closing;
  }

  private fail(): never {
    throw new InterpolationError('syntax', `Invalid template: ${JSON.stringify(this.template)}`, this.template);
  }

  private readName(at: number, end: number): number {
    const s = this.template;
    if (at >= end || !NAME_START.test(s.charAt(at))) return at;
    let i = at + 1;
    while (i < end && NAME_REST.test(s.charAt(i))) i++;
    return i;
  }

  /**
   * Index of the `}` closing a `${` whose `{` is at `open`; every brace counts, so JSON defaults
   * work. The first `}` at which the count of braces from `open` returns to zero is the one a
   * stack of all the template's braces pairs with it.
   */
  private matchBrace(open: number, end: number): number {
    this.closing ??= this.pairBraces();
    const close = this.closing[open]!;
    return close >= 0 && close < end ? close : this.fail();
  }

  parse(start: number, end: number, depth = 0): Node[] {
    const s = this.template;
    const nodes: Node[] = [];
    let text = '';
    let i = start;
    while (i < end) {
      // Plain text up to the next `$` in one piece: a character at a time, a long value makes
      // millions of tiny strings for the garbage collector.
      const dollar = s.indexOf('$', i);
      const stop = dollar < 0 || dollar >= end ? end : dollar;
      if (stop > i) {
        text += s.slice(i, stop);
        i = stop;
        continue;
      }
      if (i + 1 >= end) {
        text += '$';
        i++;
        continue;
      }
      const next = s.charAt(i + 1);
      if (next === '$') {
        text += '$';
        i += 2;
        continue;
      }
      if (next === '{') {
        const close = this.matchBrace(i + 1, end);
        if (text) nodes.push({ type: 'text', text });
        text = '';
        nodes.push(this.braced(i + 2, close, depth + 1));
        i = close + 1;
        continue;
      }
      const nameEnd = this.readName(i + 1, end);
      if (nameEnd === i + 1) {
        // Compose leaves a `$` that starts nothing (`a $ string`, `^REGEX$`) as it is.
        text += '$';
        i++;
        continue;
      }
      if (text) nodes.push({ type: 'text', text });
      text = '';
      nodes.push({ type: 'var', name: s.slice(i + 1, nameEnd), arg: [] });
      i = nameEnd;
    }
    if (text) nodes.push({ type: 'text', text });
    return nodes;
  }

  /** The inside of `${…}`, between `start` and the closing brace at `end`. */
  private braced(start: number, end: number, depth: number): Node {
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw new InterpolationError('too_deep', `\${...} nested more than ${MAX_INTERPOLATION_DEPTH} levels deep`, this.template);
    }
    const s = this.template;
    const nameEnd = this.readName(start, end);
    if (nameEnd === start) this.fail();
    const name = s.slice(start, nameEnd);
    if (nameEnd === end) return { type: 'var', name, arg: [] };
    let opLength = 1;
    if (s.charAt(nameEnd) === ':') opLength = 2;
    const op = s.slice(nameEnd, nameEnd + opLength);
    if (!isOperator(op)) this.fail();
    return { type: 'var', name, op, arg: this.parse(nameEnd + opLength, end, depth) };
  }
}

function isOperator(op: string): op is Operator {
  return op === ':-' || op === '-' || op === ':?' || op === '?' || op === ':+' || op === '+';
}

function evaluate(
  nodes: Node[],
  lookup: Lookup,
  template: string,
  onUnset: ((name: string) => void) | undefined,
): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') {
      out += node.text;
      continue;
    }
    const value = lookup(node.name);
    // The `:` forms treat an empty value like an unset one.
    const present = node.op?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
    const branch = (): string => evaluate(node.arg, lookup, template, onUnset);
    switch (node.op) {
      case undefined:
        if (value === undefined) onUnset?.(node.name);
        out += value ?? '';
        break;
      case ':-':
      case '-':
        out += present ? (value ?? '') : branch();
        break;
      case ':+':
      case '+':
        out += present ? branch() : '';
        break;
      case ':?':
      case '?': {
        if (present) {
          out += value ?? '';
          break;
        }
        const detail = branch();
        const message = `required variable ${node.name} is missing a value${detail ? `: ${detail}` : ''}`;
        throw new InterpolationError('required', message, template, node.name);
      }
    }
  }
  return out;
}

/**
 * Expands every variable reference in `template`. Throws InterpolationError for a malformed
 * template or a missing required variable. `onUnset` hears of each unset variable that is used
 * without a default, once per use: deduplicating is the caller's business.
 */
export function substitute(template: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  if (!template.includes('$')) return template;
  const nodes = new Parser(template).parse(0, template.length);
  return evaluate(nodes, lookup, template, onUnset);
}

export type TreePath = (string | number)[];

export interface InterpolateTreeOptions {
  onUnset?: (name: string, path: TreePath) => void;
  /** Called for each string that cannot be interpolated; the walk goes on so all are reported. */
  onError: (err: InterpolationError, path: TreePath) => void;
  /** The value holds mappings or lists met more than once (YAML aliases): copy each once. */
  shared?: boolean;
}

/**
 * Returns a copy of `value` in which every string value (never a mapping key) is substituted.
 * A string that fails is reported through `onError` and kept as written.
 */
export function interpolateTree(value: unknown, lookup: Lookup, opts: InterpolateTreeOptions): unknown {
  // A mapping or list that several aliases share is interpolated once, and its copy shared in
  // turn (its problems are reported once, where it is first met): the work stays in
  // proportion to the file, not to what its aliases expand to.
  const done = opts.shared ? new Map<object, unknown>() : undefined;
  const walk = (node: unknown, path: TreePath): unknown => {
    if (typeof node === 'string') {
      try {
        return substitute(node, lookup, opts.onUnset && ((name) => opts.onUnset?.(name, [...path])));
      } catch (err) {
        if (!(err instanceof InterpolationError)) throw err;
        opts.onError(err, [...path]);
        return node;
      }
    }
    if (node === null || typeof node !== 'object') return node;
    const seen = done?.get(node);
    if (seen !== undefined) return seen;
    let out: unknown = node;
    if (Array.isArray(node)) out = node.map((item, index) => walk(item, [...path, index]));
    // fromEntries defines own properties, so a `__proto__` key stays a key.
    else if (isPlainObject(node)) out = Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    done?.set(node, out);
    return out;
  };
  return walk(value, []);
}

/** compose-go's wording for an error at `path` (e.g. `services.web.image`). */
export function interpolationMessage(err: InterpolationError, path: TreePath): string {
  const where = path.join('.');
  if (err.kind === 'required') return `error while interpolating ${where}: ${err.message}`;
  // The template itself may be kilobytes of braces: the limit says enough.
  if (err.kind === 'too_deep') return `cannot interpolate ${where}: ${err.message}`;
  return `invalid interpolation format for ${where}.\nYou may need to escape any $ with another $.\n${err.template}`;
}
