/**
 * YAML text → plain values plus the source offset of every key and item. Aliases and `<<`
 * merge keys are expanded here, under a budget, because the yaml library's own limit only
 * applies to its toJS() and this walks the AST itself.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { StackFileError } from '../errors.js';
import { childKey } from './doc-path.js';
import { MAX_DEPTH, MAX_EXPANDED_NODES, MAX_FILE_BYTES } from './limits.js';
import type { ParsedFile, Position } from './parsed-file.js';

export function parseStackText(file: string, text: string): ParsedFile {
  if (text.length > MAX_FILE_BYTES) {
    throw new StackFileError('file_too_large', `${file} is larger than ${MAX_FILE_BYTES} bytes`, { file, line: 0, col: 0 });
  }
  const lineCounter = new LineCounter();
  // Duplicate keys are detected while walking: the library's own check is quadratic in map size.
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: false, prettyErrors: false, strict: true });
  const pos = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  const firstError = doc.errors[0];
  if (firstError) {
    const p = pos(firstError.pos[0]);
    const message = firstError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new StackFileError('yaml_syntax', `invalid YAML: ${message}`, { file, ...p },
      'check the indentation and quoting on this line and the one before it');
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new StackFileError('file_empty', `${file} is empty`, { file, line: 0, col: 0 },
      'a stack file needs at least a `services:` mapping');
  }
  if (!isMap(doc.contents)) {
    throw new StackFileError('top_level_not_mapping', 'the top level of a stack file must be a mapping (services:, networks:, ...)',
      { file, ...pos(doc.contents.range?.[0]) });
  }
  const walker = new Walker(file, doc, pos);
  const value = walker.walk(doc.contents, '', 0) as Record<string, unknown>;
  for (const w of doc.warnings) {
    if (/Unresolved tag: !(reset|override)\b/.test(w.message)) continue;
    walker.warnings.push({ message: w.message.split('\n')[0]!, position: pos(w.pos[0]) });
  }
  return {
    file, value, positions: walker.positions, lineStarts: lineCounter.lineStarts,
    resets: walker.resets, overrides: walker.overrides, warnings: walker.warnings,
  };
}

class Walker {
  readonly positions = new Map<string, number>();
  readonly resets = new Set<string>();
  readonly overrides = new Set<string>();
  readonly warnings: { message: string; position: Position }[] = [];
  private produced = 0;

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly pos: (offset: number | undefined) => Position,
  ) {}

  /** `path` is the pathKey of the node: built by appending, since it is made for every node. */
  walk(node: unknown, path: string, depth: number): unknown {
    if (++this.produced > MAX_EXPANDED_NODES) {
      throw new StackFileError('yaml_alias_bomb',
        `YAML aliases expand to more than ${MAX_EXPANDED_NODES} nodes: refusing what looks like an alias bomb`,
        { file: this.file, line: 0, col: 0 }, 'reduce the nesting of anchors and aliases');
    }
    if (depth > MAX_DEPTH) {
      throw new StackFileError('yaml_too_deep', `YAML nesting is deeper than ${MAX_DEPTH} levels`,
        { file: this.file, ...this.pos((node as YamlNode).range?.[0]) });
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) {
        throw new StackFileError('yaml_syntax', `invalid YAML: unknown alias *${node.source}`, { file: this.file, ...this.pos(node.range?.[0]) });
      }
      return this.walk(target, path, depth + 1);
    }
    if (isScalar(node)) return scalarValue(node);
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const p = childKey(path, i);
        this.note(p, item as YamlNode | null);
        // A list such as `depends_on: [db]` or `networks: [front]` becomes a mapping keyed by
        // the item; its position under that key lets later errors point at the item's line.
        if (isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number')) {
          const byValue = childKey(path, String(item.value));
          if (!this.positions.has(byValue)) this.note(byValue, item);
        }
        out.push(this.walk(item, p, depth + 1));
      });
      return out;
    }
    if (isMap(node)) return this.walkMap(node, path, depth);
    if (node === null || node === undefined) return null;
    return null;
  }

  private walkMap(node: import('yaml').YAMLMap, path: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const merged: unknown[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      // An alias key stands for its (scalar) target; a mapping or list as a key has no meaning
      // in a stack file, and turning one into a string would expand its aliases unbudgeted.
      const keyNode = isAlias(pair.key) ? pair.key.resolve(this.doc) : pair.key;
      if (keyNode !== null && keyNode !== undefined ? !isScalar(keyNode) : isAlias(pair.key)) {
        throw new StackFileError('invalid_key', 'invalid YAML: a key must be a plain value, not a mapping or a list',
          { file: this.file, ...this.pos((pair.key as YamlNode | null)?.range?.[0]) });
      }
      const rawKey = isScalar(keyNode) ? keyNode.value : keyNode;
      if (typeof rawKey === 'symbol' || rawKey === '<<') {
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
 */
function scalarValue(node: import('yaml').Scalar): unknown {
  const { value, source } = node;
  if (node.type === 'PLAIN' && typeof value === 'number' && typeof source === 'string' && /^[-+]?0[0-7]+$/.test(source)) {
    return parseInt(source, 8);
  }
  return value;
}

function keyString(key: unknown): string {
  if (key === null || key === undefined) return '';
  if (typeof key === 'object') return JSON.stringify(key);
  return String(key);
}
