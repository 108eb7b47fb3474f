/**
 * Content-addressed caches for loading. Every tug command loads the stack, and YAML parsing
 * and schema validation dominate that:
 * - a parsed file that did not change is read back from JSON instead of parsed again; the key
 *   is the file's bytes plus the build's id, so a hit is exactly what parsing would give;
 * - a document the schema accepted is remembered by a hash of its value (after interpolation)
 *   plus the build's id; the validator is a pure function of that value, so a hit spares even
 *   loading the validator's code.
 * The caches are an optimisation only: any failure to read or write them is ignored.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readUserFile } from '../util/read-user-file.js';
import { MAX_FILE_BYTES } from './limits.js';
import type { ParsedFile } from './parsed-file.js';

const MAX_ENTRIES = 200;
/** An entry holds positions and expanded aliases besides the value: allow it more than its file. */
const MAX_ENTRY_BYTES = 16 * MAX_FILE_BYTES;
const FORMAT = 1;

// Set per build by esbuild: a cache entry is only ever read by the build that wrote it, so a
// change to the parser can never be answered from an old entry. Unbundled runs never share.
declare const __TUG_BUILD__: string | undefined;
const build = typeof __TUG_BUILD__ === 'string' ? __TUG_BUILD__ : `unbundled-${process.pid}`;

function cacheDir(): string | undefined {
  if (process.env.TUG_NO_CACHE === '1') return undefined;
  if (process.env.TUG_CACHE_DIR) return process.env.TUG_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tug', 'parsed');
}

function entryPath(dir: string, text: string): string {
  const key = createHash('sha256').update(`${FORMAT}\0${build}\0`).update(text).digest('hex');
  return path.join(dir, `${key}.json`);
}

/** JSON cannot tell .nan from null: such a document is never remembered. */
function validKey(dir: string, doc: unknown): string | undefined {
  if (!jsonSafe(doc)) return undefined;
  const key = createHash('sha256').update(`${FORMAT}\0${build}\0valid\0`).update(JSON.stringify(doc)).digest('hex');
  return path.join(dir, `${key}.valid`);
}

/**
 * Whether this build's schema accepted exactly this document before, and how to record that it
 * did; the document is hashed once for both.
 */
export function validity(doc: unknown): { known: boolean; remember(): void } {
  const dir = cacheDir();
  const file = dir && validKey(dir, doc);
  if (!dir || !file) return { known: false, remember: () => {} };
  return {
    known: existsSync(file),
    remember: () => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(file, '', { mode: 0o600 });
        prune(dir, '.valid');
      } catch {
        // As for parsed files: only speed is lost.
      }
    },
  };
}

interface Entry {
  value: ParsedFile['value'];
  positions: [string, number][];
  lineStarts: number[];
  resets: string[];
  overrides: string[];
  warnings: ParsedFile['warnings'];
  noDocument?: boolean;
  shared?: boolean;
  more?: Entry[];
}

export function readParseCache(file: string, text: string): ParsedFile | undefined {
  const dir = cacheDir();
  // Even a small file is worth it: a hit spares loading the YAML library (~15 ms cold).
  if (!dir) return undefined;
  try {
    // The cache directory comes from the environment: its entries are read as carefully as any user file.
    return fromEntry(file, JSON.parse(readUserFile(entryPath(dir, text), MAX_ENTRY_BYTES).toString('utf8')) as Entry);
  } catch {
    return undefined;
  }
}

function fromEntry(file: string, e: Entry): ParsedFile {
  return {
    file,
    value: e.value,
    positions: new Map(e.positions),
    lineStarts: e.lineStarts,
    resets: new Set(e.resets),
    overrides: new Set(e.overrides),
    warnings: e.warnings,
    ...(e.noDocument ? { noDocument: true } : {}),
    ...(e.shared ? { shared: true } : {}),
    ...(e.more ? { more: e.more.map((m) => fromEntry(file, m)) } : {}),
  };
}

function toEntry(parsed: ParsedFile): Entry {
  return {
    value: parsed.value,
    positions: [...parsed.positions],
    lineStarts: [...parsed.lineStarts],
    resets: [...parsed.resets],
    overrides: [...parsed.overrides],
    warnings: parsed.warnings,
    ...(parsed.noDocument ? { noDocument: true } : {}),
    ...(parsed.shared ? { shared: true } : {}),
    ...(parsed.more ? { more: parsed.more.map(toEntry) } : {}),
  };
}

export function writeParseCache(text: string, parsed: ParsedFile): void {
  const dir = cacheDir();
  if (!dir || !jsonSafe(parsed.value) || !(parsed.more ?? []).every((m) => jsonSafe(m.value))) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const entry = toEntry(parsed);
    const target = entryPath(dir, text);
    // Written aside and renamed, so a concurrent reader never sees half a file.
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, target);
    prune(dir, '.json');
  } catch {
    // A read-only home or a full disk only costs speed.
  }
}

/** Values JSON cannot carry (YAML's .inf and .nan) make an entry not worth keeping. */
function jsonSafe(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every(jsonSafe);
  if (v !== null && typeof v === 'object') return Object.values(v).every(jsonSafe);
  return true;
}

/** Oldest entries go once there are half as many again as kept, so most writes stat nothing. */
function prune(dir: string, suffix: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith(suffix));
  if (names.length <= MAX_ENTRIES * 1.5) return;
  const byAge = names.map((n) => ({ n, t: statSync(path.join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { n } of byAge.slice(0, names.length - MAX_ENTRIES)) rmSync(path.join(dir, n), { force: true });
}
