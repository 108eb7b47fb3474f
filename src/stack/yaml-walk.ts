/**
 * YAML text → plain values plus the source offset of every key and item. Aliases and `<<`
 * merge keys are expanded here, under a budget, because the yaml library's own limit only
 * applies to its toJS() and this walks the AST itself.
 *
 * Hostile text is refused before it costs more than its size: nesting and the number of nodes
 * are checked while the text is parsed (the library's composer recurses once per level, and
 * parsing 8 MB of `[1,1,...]` would take a minute), and what aliases expand to is added up per
 * anchor before anything is expanded, so an alias bomb is refused in time linear in the file.
 */
import {
  Composer,
  CST,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,

  type Alias,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { StackFileError } from '../errors.js';
import { childKey } from './doc-path.js';
import { MAX_DEPTH, MAX_DOUBLE_QUOTED_CHARS, MAX_EXPANDED_NODES, MAX_FILE_BYTES, MAX_LINES, MAX_TEXT_NODES } from './limits.js';
import type { ParsedFile, Position } from './parsed-file.js';

const OPTIONS = { merge: true, uniqueKeys: false, prettyErrors: false, strict: true } as const;

export function parseStackText(file: string, text: string): ParsedFile {
  try {
    return parseChecked(file, text);
  } catch (err) {
    // The limits below keep every recursion far from the stack's end; should one still reach
    // it, that is the nesting limit speaking, not a crash.
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new StackFileError('yaml_too_deep', `YAML nesting is deeper than ${MAX_DEPTH} levels`, { file, line: 0, col: 0 });
    }
    throw err;
  }
}

function parseChecked(file: string, text: string): ParsedFile {
  if (text.length > MAX_FILE_BYTES) {
    throw new StackFileError('file_too_large', `${file} is larger than ${MAX_FILE_BYTES} bytes`, { file, line: 0, col: 0 });
  }
  const lineCounter = new LineCounter();
  const pos = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  // Duplicate keys are detected while walking: the library's own check is quadratic in map size.
  const docs = parseDocuments(file, text, lineCounter, pos);
  if (docs.length === 0) {
    // No YAML document at all (nothing, or only comments): compose-go's decoder meets the end
    // of the stream at once and the file adds nothing; `---` alone is a document, of null.
    return {
      file, value: {}, positions: new Map(), lineStarts: lineCounter.lineStarts,
      resets: new Set(), overrides: new Set(), warnings: [], noDocument: true,
    };
  }
  for (const doc of docs) {
    const firstError = doc.errors[0];
    if (firstError) {
      const p = pos(firstError.pos[0]);
      const message = firstError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new StackFileError('yaml_syntax', `invalid YAML: ${message}`, { file, ...p },
        'check the indentation and quoting on this line and the one before it');
    }
  }
  // Several documents (`---`) are read one after the other and merged in order, as compose-go
  // decodes them; what their aliases expand to is budgeted across the whole file.
  let budget = MAX_EXPANDED_NODES;
  const parsed = docs.map((doc, i) => {
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
      if (docs.length === 1) {
        throw new StackFileError('file_empty', `${file} is empty`, { file, line: 0, col: 0 },
          'a stack file needs at least a `services:` mapping');
      }
      throw new StackFileError('top_level_not_mapping', `document ${i + 1} of ${file} is empty: the top level of a stack file must be a mapping (services:, networks:, ...)`,
        { file, ...pos(doc.range?.[0]) }, 'remove the `---` that starts it, or give it content');
    }
    if (!isMap(doc.contents)) {
      throw new StackFileError('top_level_not_mapping', 'the top level of a stack file must be a mapping (services:, networks:, ...)',
        { file, ...pos(doc.contents.range?.[0]) });
    }
    const { targets, size } = aliasTargets(file, doc, pos, budget);
    budget -= size;
    const walker = new Walker(file, targets, pos, targets.size > 0);
    const value = walker.walk(doc.contents, '', 0) as Record<string, unknown>;
    for (const w of doc.warnings) {
      if (/Unresolved tag: !(reset|override)\b/.test(w.message)) continue;
      walker.warnings.push({ message: w.message.split('\n')[0]!, position: pos(w.pos[0]) });
    }
    const one: ParsedFile = {
      file, value, positions: walker.positions, lineStarts: lineCounter.lineStarts,
      resets: walker.resets, overrides: walker.overrides, warnings: walker.warnings,
      ...(walker.shared ? { shared: true } : {}),
    };
    return one;
  });
  const [first, ...more] = parsed;
  if (more.length > 0) first!.more = more;
  return first!;
}

/**
 * The library's parseDocument, with the nesting depth and the number of nodes checked while the
 * text is parsed, lexeme by lexeme, before the composer (which recurses) sees any of it.
 */
function parseDocuments(file: string, text: string, lineCounter: LineCounter, pos: (offset: number) => Position): Document[] {
  let lines = 0;
  const parser = new Parser((offset) => {
    if (++lines > MAX_LINES) {
      throw new StackFileError('file_too_large', `${file} has more than ${MAX_LINES} lines; stack files are limited to ${MAX_LINES}`,
        { file, ...pos(offset) }, 'long text belongs in a file of its own (env_file, configs: file:)');
    }
    lineCounter.addNewLine(offset);
  });
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  // A lower bound of the nodes the walk will produce: every scalar, alias and flow collection,
  // less one per `:` (the key before it is not walked). Block collections are not counted.
  let nodes = 0;
  let doubleQuoted = 0;
  let scalarText = false;
  for (const lexeme of new Lexer().lex(text)) {
    const at = parser.offset;
    if (scalarText) {
      // The text of a scalar whose start was just announced: whatever it looks like, it is text.
      scalarText = false;
    } else {
      switch (CST.tokenType(lexeme)) {
        case 'scalar':
          scalarText = true;
          nodes++;
          break;
        case 'double-quoted-scalar':
          doubleQuoted += lexeme.length;
          if (doubleQuoted > MAX_DOUBLE_QUOTED_CHARS) {
            throw new StackFileError('file_too_large',
              `double-quoted strings in ${file} add up to more than ${MAX_DOUBLE_QUOTED_CHARS} characters`,
              { file, ...pos(at) }, 'write long text as a block scalar (| or >), or read it from a file (env_file, configs: file:)');
          }
          nodes++;
          break;
        case 'single-quoted-scalar':
        case 'alias':
        case 'flow-map-start':
        case 'flow-seq-start':
          nodes++;
          break;
        case 'map-value-ind':
          nodes--;
          break;
      }
    }
    if (nodes > MAX_TEXT_NODES) {
      throw new StackFileError('yaml_too_many_nodes',
        `YAML has more than ${MAX_TEXT_NODES} nodes; stack files are limited to ${MAX_TEXT_NODES}`,
        { file, ...pos(at) }, 'a stack file this large is not one tug can run: split it, or generate less');
    }
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The parser's stack is the document, the collections open around this point, and maybe the
    // scalar being read: past a few more than MAX_DEPTH, the walk would refuse it anyway.
    if (parser.stack.length > MAX_DEPTH + 4) throw tooDeep(file, pos(at));
  }
  for (const token of parser.end()) tokens.push(token);
  const docs: Document[] = [];
  // The composer makes an Error for every problem, and a broken line early in a long list is a
  // problem on every line after it: capturing 40,000 stacks costs more than the parse, and only
  // the first problem is reported, without a stack.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const d of new Composer(OPTIONS).compose(tokens, false, text.length)) {
      docs.push(d);
      // Past an error, later documents only repeat it.
      if (d.errors.length > 0) break;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return docs;
}

function tooDeep(file: string, at: Position): StackFileError {
  return new StackFileError('yaml_too_deep', `YAML nesting is deeper than ${MAX_DEPTH} levels`, { file, ...at });
}

/** Whether a mapping key (an alias resolved) is YAML's `<<` merge key. */
function isMergeKey(keyNode: unknown): boolean {
  const raw = isScalar(keyNode) ? keyNode.value : undefined;
  return typeof raw === 'symbol' || raw === '<<';
}

/**
 * The node each alias stands for, as the library resolves it (the last node with that anchor
 * before the alias), found in one pass; and in the same pass, how many nodes walking each node
 * would produce, from the sizes of the anchors its aliases name, so an expansion over the
 * budget is refused before anything is expanded. The count mirrors Walker.walk exactly.
 */
function aliasTargets(
  file: string, doc: Document, pos: (offset: number | undefined) => Position, budget: number,
): { targets: Map<Alias, YamlNode>; size: number } {
  const LIMIT = budget + 1;
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<Alias, YamlNode>();
  /** Walk size of each node visited and closed. */
  const sizes = new Map<YamlNode, number>();
  /** Nodes being visited: an alias to one of them is inside its own anchor. */
  const open = new Set<YamlNode>();
  const add = (a: number, b: number): number => Math.min(LIMIT, a + b);

  const visit = (node: unknown): number => {
    if (node === null || node === undefined) return 1;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      // An unknown alias is the walk's to report, at its line.
      if (target === undefined) return 1;
      targets.set(node, target);
      if (open.has(target)) {
        throw new StackFileError('yaml_syntax', `invalid YAML: the alias *${node.source} is inside the node anchored &${node.source} that it names`,
          { file, ...pos(node.range?.[0]) }, 'an anchor cannot contain an alias to itself');
      }
      return add(1, sizes.get(target)!);
    }
    const n = node as YamlNode;
    // Only an anchored node can be named by an alias: only those are remembered. Set before the
    // children are visited, as the library resolves an alias inside its anchor to the anchor.
    const anchored = Boolean(n.anchor);
    if (anchored) {
      anchors.set(n.anchor!, n);
      open.add(n);
    }
    let total = 1;
    if (isSeq(n)) {
      for (const item of n.items) total = add(total, visit(item));
    } else if (isMap(n)) {
      for (const pair of n.items) {
        // Keys are not walked, but their anchors and aliases count for what follows.
        visit(pair.key);
        const keyNode = isAlias(pair.key) ? targets.get(pair.key) : pair.key;
        const value = pair.value as YamlNode | null;
        if (isMergeKey(keyNode)) {
          // `<<: [*a, *b]` walks each source but not the list itself.
          const v = visit(value);
          total = add(total, isSeq(value) ? v - 1 : v);
          continue;
        }
        const v = visit(value);
        if (value && 'tag' in value && value.tag === '!reset') continue;
        total = add(total, v);
      }
    }
    if (anchored) {
      open.delete(n);
      sizes.set(n, total);
    }
    return total;
  };

  const size = visit(doc.contents);
  if (size > budget) throw aliasBomb(file);
  return { targets, size };
}

function aliasBomb(file: string): StackFileError {
  return new StackFileError('yaml_alias_bomb',
    `YAML aliases expand to more than ${MAX_EXPANDED_NODES} nodes: refusing what looks like an alias bomb`,
    { file, line: 0, col: 0 }, 'reduce the nesting of anchors and aliases');
}

class Walker {
  readonly positions = new Map<string, number>();
  readonly resets = new Set<string>();
  readonly overrides = new Set<string>();
  readonly warnings: { message: string; position: Position }[] = [];
  private produced = 0;
  /** Whether an alias was given a value already made (see walk). */
  shared = false;
  /** The value of each anchored mapping or list, walked once and shared by its aliases. */
  private readonly anchored = new Map<YamlNode, object>();
  /** Levels of nesting of each mapping and list made, so a shared one still counts toward MAX_DEPTH. */
  private readonly heights = new WeakMap<object, number>();

  constructor(
    private readonly file: string,
    /** What each alias stands for (see aliasTargets): resolving one is a lookup, not a search. */
    private readonly targets: Map<Alias, YamlNode>,
    private readonly pos: (offset: number | undefined) => Position,
    /** The document has aliases: keep what sharing needs (anchored values and their heights). */
    private readonly aliased = true,
  ) {}

  /** `path` is the pathKey of the node: built by appending, since it is made for every node. */
  walk(node: unknown, path: string, depth: number): unknown {
    // aliasTargets refused anything over the budget already; this only guards its accounting.
    if (++this.produced > MAX_EXPANDED_NODES) throw aliasBomb(this.file);
    if (depth > MAX_DEPTH) throw tooDeep(this.file, this.pos((node as YamlNode).range?.[0]));
    if (isAlias(node)) {
      const target = this.targets.get(node);
      if (target === undefined) {
        throw new StackFileError('yaml_syntax', `invalid YAML: unknown alias *${node.source}`, { file: this.file, ...this.pos(node.range?.[0]) });
      }
      // The anchored mapping or list was walked where it is written (an anchor comes before its
      // aliases): every alias shares that value, so an alias costs one lookup, not a copy of
      // its anchor, and loading stays linear in the file whatever the aliases. Later stages
      // copy what they change; errors inside point at the alias.
      const shared = this.anchored.get(target);
      if (shared !== undefined) {
        if (depth + 1 + (this.heights.get(shared) ?? 0) > MAX_DEPTH) throw tooDeep(this.file, this.pos(node.range?.[0]));
        this.shared = true;
        return shared;
      }
      return this.walk(target, path, depth + 1);
    }
    if (isScalar(node)) return scalarValue(node);
    const value = this.walkCollection(node, path, depth);
    if (this.aliased && value !== null && typeof value === 'object' && (node as YamlNode | null)?.anchor) this.anchored.set(node as YamlNode, value);
    return value;
  }

  private tallest(values: unknown[]): number {
    let h = 0;
    for (const v of values) if (v !== null && typeof v === 'object') h = Math.max(h, this.heights.get(v) ?? 0);
    return h;
  }

  private walkCollection(node: unknown, path: string, depth: number): unknown {
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const p = childKey(path, i);
        this.note(p, item as YamlNode | null);
        // A list such as `depends_on: [db]` or `networks: [front]` becomes a mapping keyed by
        // the item; its position under that key lets later errors point at the item's line.
        if (isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number')) {
          const byValue = childKey(path, String(scalarValue(item)));
          if (!this.positions.has(byValue)) this.note(byValue, item);
        }
        out.push(this.walk(item, p, depth + 1));
      });
      if (this.aliased) this.heights.set(out, 1 + this.tallest(out));
      return out;
    }
    if (isMap(node)) {
      const out = this.walkMap(node, path, depth);
      if (this.aliased) this.heights.set(out, 1 + this.tallest(Object.values(out)));
      return out;
    }
    return null;
  }

  private walkMap(node: import('yaml').YAMLMap, path: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const merged: unknown[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      // An alias key stands for its (scalar) target; a mapping or list as a key has no meaning
      // in a stack file, and turning one into a string would expand its aliases unbudgeted.
      const keyNode = isAlias(pair.key) ? this.targets.get(pair.key) : pair.key;
      if (keyNode !== null && keyNode !== undefined ? !isScalar(keyNode) : isAlias(pair.key)) {
        throw new StackFileError('invalid_key', 'invalid YAML: a key must be a plain value, not a mapping or a list',
          { file: this.file, ...this.pos((pair.key as YamlNode | null)?.range?.[0]) });
      }
      const rawKey = isScalar(keyNode) ? scalarValue(keyNode) : keyNode;
      if (isMergeKey(keyNode)) {
        merged.push(pair.value);
        continue;
      }
      const key = keyString(rawKey);
      if (key === '__proto__') {
        // Assigning it would replace the object's prototype and silently drop the entry.
        throw new StackFileError('unsupported_key', 'the key "__proto__" is not supported in a stack file',
          { file: this.file, ...this.pos((pair.key as YamlNode | null)?.range?.[0]) }, 'rename it');
      }
      const p = childKey(path, key);
      if (seen.has(key)) {
        throw new StackFileError('yaml_syntax', `invalid YAML: the key "${key}" appears twice in the same mapping`,
          { file: this.file, ...this.pos((pair.key as YamlNode | null)?.range?.[0]) }, 'remove or rename one of them');
      }
      seen.add(key);
      this.note(p, pair.key as YamlNode | null);
      const valueNode = pair.value as YamlNode | null;
      const tag = valueNode && 'tag' in valueNode ? valueNode.tag : undefined;
      if (tag === '!reset') {
        this.resets.add(p);
        continue;
      }
      if (tag === '!override') this.overrides.add(p);
      out[key] = this.walk(valueNode, p, depth + 1);
    }
    // Explicit keys win over merged ones, and earlier merge sources over later ones (YAML merge spec).
    for (const source of merged) {
      const sources = isSeq(source) ? source.items : [source];
      for (const s of sources) {
        const resolved = this.walk(s, path, depth + 1);
        if (resolved === null || typeof resolved !== 'object' || Array.isArray(resolved)) {
          throw new StackFileError('yaml_syntax', 'invalid YAML: a `<<` merge key must refer to a mapping',
            { file: this.file, ...this.pos((s as YamlNode).range?.[0]) });
        }
        for (const [k, v] of Object.entries(resolved)) if (!(k in out)) out[k] = v;
      }
    }
    return out;
  }

  private note(path: string, node: YamlNode | null | undefined): void {
    const offset = node?.range?.[0];
    if (offset !== undefined) this.positions.set(path, offset);
  }
}

/**
 * Compose reads YAML with go-yaml v3, which keeps YAML 1.1's leading-zero octals: `mode: 0440`
 * means 0o440 (288) there, not the decimal 440 of the YAML 1.2 core schema.
 *
 * go-yaml also keeps integers up to 64 bits exact, where a JavaScript number keeps 53: an
 * integer beyond Number.MAX_SAFE_INTEGER becomes the decimal string of its exact value, so that
 * `environment`, `labels`, `sysctls`... (which Compose turns into strings) keep every digit
 * (`9223372036854775807`, not `9223372036854776000`), and keys likewise.
 */
function scalarValue(node: import('yaml').Scalar): unknown {
  const { value, source } = node;
  if (node.type !== 'PLAIN' || typeof value !== 'number' || typeof source !== 'string') return value;
  if (/^[-+]?0[0-7]+$/.test(source)) {
    const n = parseInt(source, 8);
    return Number.isSafeInteger(n) ? n : exactInteger(source.replace(/^([-+]?)0/, '$10o'));
  }
  if (!Number.isSafeInteger(value) && Number.isInteger(value)) return exactInteger(source) ?? value;
  return value;
}

/** The decimal digits of an integer written `123`, `-0x1F` or `0o17`; undefined for anything else (a float). */
function exactInteger(source: string): string | undefined {
  const m = /^([-+]?)(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)$/.exec(source);
  if (!m) return undefined;
  const n = BigInt(m[2]!);
  return (m[1] === '-' ? -n : n).toString();
}

function keyString(key: unknown): string {
  if (key === null || key === undefined) return '';
  if (typeof key === 'object') return JSON.stringify(key);
  return String(key);
}
