/**
 * What reading one stack file yields: plain values plus the source position of every key and
 * item, so that errors found much later (schema, semantics) still point at a line. Produced by
 * the YAML walk, stored and restored by the parse cache, read by the locators.
 */

export interface Position {
  line: number;
  col: number;
}

export interface ParsedFile {
  file: string;
  value: Record<string, unknown>;
  /**
   * Source offset of every path (by pathKey): a mapping entry's key, or a sequence item.
   * Offsets, not line/col: only the few paths an error names are ever turned into lines.
   */
  positions: Map<string, number>;
  /** Offsets at which each line starts, for turning an offset into line:col. */
  lineStarts: readonly number[];
  /** Paths tagged `!reset`: removed from what earlier files said. */
  resets: Set<string>;
  /** Paths tagged `!override`: replace what earlier files said instead of merging. */
  overrides: Set<string>;
  warnings: { message: string; position: Position }[];
  /** The text holds no YAML document (nothing, or only comments): it adds nothing to the project. */
  noDocument?: boolean;
  /** Some value is reached through more than one alias: later walks should look into each value once. */
  shared?: boolean;
  /** The file's later YAML documents (after `---`), each merged over the ones before it. */
  more?: ParsedFile[];
}

/** 1-based line and column of a source offset. */
export function positionAt(lineStarts: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - (lineStarts[lo] ?? 0) + 1 };
}
