/**
 * From a model path back to the line a user wrote. Later files win (they are the ones that
 * set the value after merging); a path with no position of its own — a value produced by a
 * default or an alias — falls back to its nearest written ancestor.
 */
import type { SourceLocation } from '../errors.js';
import { pathKey, type Path } from './doc-path.js';
import { positionAt, type ParsedFile } from './parsed-file.js';

export type Locator = (path: Path) => SourceLocation | undefined;

type Positioned = Pick<ParsedFile, 'file' | 'positions' | 'lineStarts'>;

export function fileLocator(file: Positioned): Locator {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const p = file.positions.get(pathKey(path.slice(0, n)));
      if (p !== undefined) return { file: file.file, ...positionAt(file.lineStarts, p) };
    }
    return { file: file.file, line: 0, col: 0 };
  };
}

/** Across several files: the latest file with an exact position, else the nearest ancestor in any. */
export function projectLocator(files: Positioned[]): Locator {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const k = pathKey(path.slice(0, n));
      for (let i = files.length - 1; i >= 0; i--) {
        const p = files[i]!.positions.get(k);
        if (p !== undefined) return { file: files[i]!.file, ...positionAt(files[i]!.lineStarts, p) };
      }
    }
    const last = files[files.length - 1];
    return last ? { file: last.file, line: 0, col: 0 } : undefined;
  };
}
