/**
 * `.env` and `env_file` content, read the way Docker Compose reads it.
 *
 * Written here rather than taken from the `dotenv` package because Compose files need two
 * things it lacks: `${VAR}` interpolation that sees earlier lines of the same file, and the
 * line of every problem, so that all of a file's mistakes are reported at once with a place.
 */

import type { Diagnostic } from '../errors.js';
import { readUserFile, UserFileError } from '../util/read-user-file.js';
import { InterpolationError, substitute, type Lookup } from './interpolate.js';
import { MAX_FILE_BYTES } from './limits.js';

export interface DotenvError {
  /** 1-based line where the offending entry starts. */
  line: number;
  message: string;
}

export interface DotenvResult {
  values: Record<string, string>;
  errors: DotenvError[];
}

// Wider than a shell name on purpose: compose-go's parser accepts letters and digits of any
// script, `_`, `.`, `-`, `[` and `]` in a key.
const KEY = /^[\p{L}\p{N}_.[\]-]+$/u;

/**
 * Parses `content`; `lookup` supplies variables for interpolation and for bare `KEY` lines,
 * `prior` what earlier env files of the same list set (for interpolation only).
 * Interpolation asks `lookup` first and only then sees values defined earlier in the same
 * file, as compose-go's dotenv parser does (expandVariables: lookupFn, then envMap): a
 * variable set in the shell beats one set on an earlier line. `file` names the file in
 * messages, which may be shown without their line.
 */
export function parseDotenv(content: string, lookup: Lookup, file: string, prior?: Lookup): DotenvResult {
  const values = new Map<string, string>();
  const errors: DotenvError[] = [];
  // compose-go's envMap holds what earlier files set as well as earlier lines: `prior` is the
  // former, and an earlier line of this file, being written later, wins over it.
  const seen: Lookup = (name) => lookup(name) ?? values.get(name) ?? prior?.(name);
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);

  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let text = (lines[i] ?? '').trim();
    if (text === '' || text.startsWith('#')) continue;
    if (/^export\s/.test(text)) text = text.slice('export'.length).trimStart();

    // compose-go also takes the YAML-like `KEY: value`: the key ends at the first `=` or `:`.
    const eq = text.search(/[=:]/);
    const key = (eq < 0 ? text : text.slice(0, eq)).trim();
    if (!KEY.test(key)) {
      errors.push({ line, message: `invalid variable name ${JSON.stringify(key)} in ${file}` });
      continue;
    }
    if (eq < 0) {
      // A bare name passes the caller's variable through, and only when it is set.
      const inherited = lookup(key);
      if (inherited !== undefined) values.set(key, inherited);
      continue;
    }

    const afterEq = text.slice(eq + 1);
    const quote = afterEq.trimStart().charAt(0);
    let raw: string;
    let interpolate = true;

    if (quote === '"' || quote === "'") {
      // A quoted value may run over several lines: take lines until its quote closes. Each line
      // is searched once (a backslash ending a line only escapes the line break), so an
      // unterminated quote costs what the rest of the file does, not that for every line.
      const parts = [afterEq.trimStart()];
      let at = closingQuote(parts[0]!, quote, 1);
      let before = 0;
      while (at < 0 && i + 1 < lines.length) {
        before += parts[parts.length - 1]!.length + 1;
        parts.push(lines[++i] ?? '');
        at = closingQuote(parts[parts.length - 1]!, quote, 0);
      }
      const buffer = parts.join('\n');
      const close = at < 0 ? -1 : before + at;
      if (close < 0) {
        errors.push({ line, message: `unterminated quoted value for ${key} in ${file}` });
        continue;
      }
      const trailing = buffer.slice(close + 1).trim();
      if (trailing !== '' && !trailing.startsWith('#')) {
        errors.push({ line, message: `unexpected text after the quoted value of ${key} in ${file}` });
        continue;
      }
      raw = buffer.slice(1, close);
      if (quote === "'") {
        // Only an escaped quote loses its backslash between single quotes, as in compose-go.
        interpolate = false;
        raw = raw.replace(/\\'/g, "'");
      } else raw = unescape(raw);
    } else {
      // As compose-go: blanks after `=` go, then ` #` (a space, then #) starts a comment, so
      // `a#b`, `#fff` and a value starting with # stay values; trailing blanks go.
      const value = afterEq.trimStart();
      const comment = value.indexOf(' #');
      raw = (comment < 0 ? value : value.slice(0, comment)).trimEnd();
    }

    if (!interpolate) {
      values.set(key, raw);
      continue;
    }
    try {
      values.set(key, substitute(raw, seen));
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      const message =
        err.kind === 'required'
          ? `error while interpolating ${key} in ${file}: ${err.message}`
          : err.kind === 'too_deep'
            ? `cannot interpolate ${key} in ${file}: ${err.message}`
            : `invalid interpolation format for ${key} in ${file}: ${JSON.stringify(err.template)}; escape any $ with another $`;
      errors.push({ line, message });
    }
  }

  return { values: Object.fromEntries(values), errors };
}

/**
 * The text of an env file (`.env`, `--env-file`, a service's `env_file`), or undefined when it
 * cannot be read: missing, a directory, no permission. Whether that is an error is the
 * caller's to say. Something that is a file but no regular one (a device, a FIFO), or one over
 * MAX_FILE_BYTES, is never just "missing": that throws the reader's UserFileError.
 * Decoded as UTF-8 with a leading BOM dropped, and CRLF line ends are read as LF by the parser.
 * Bytes that are not UTF-8 become U+FFFD instead of failing: Compose takes an env file's bytes
 * as they are, and a Latin-1 comment must not break a stack.
 */
export function readEnvFileText(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readUserFile(file, MAX_FILE_BYTES);
  } catch (err) {
    if (err instanceof UserFileError && err.problem !== 'directory') throw err;
    return undefined;
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * `env_file` with `format: raw`: docker compose registers docker/cli's kvfile parser for it
 * (the parser of `docker run --env-file`). Each line loses its leading whitespace; blank lines
 * and lines starting with `#` are skipped; `KEY=VALUE` is taken as written, quotes, `#`, `$`
 * and trailing whitespace included; a bare `KEY` takes the caller's variable when it is set.
 */
export function parseRawEnv(content: string, lookup: Lookup, file: string): DotenvResult {
  const values = new Map<string, string>();
  const errors: DotenvError[] = [];
  const lines = content.replace(/^\uFEFF/, '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') {
      errors.push({ line: i + 1, message: `no variable name on line '${line}' in ${file}` });
      continue;
    }
    if (/[ \t]/.test(key)) {
      errors.push({ line: i + 1, message: `variable '${key}' contains whitespaces in ${file}` });
      continue;
    }
    if (eq >= 0) {
      values.set(key, line.slice(eq + 1));
      continue;
    }
    const inherited = lookup(key);
    if (inherited !== undefined) values.set(key, inherited);
  }
  return { values: Object.fromEntries(values), errors };
}

/** The `format:` values of an `env_file` entry that docker compose knows. */
export const ENV_FILE_FORMATS = ['', '.env', 'raw'] as const;

/**
 * Reads and parses one env file: `parseDotenv` (or, for `format: raw`, `parseRawEnv`) of
 * `readEnvFileText`; undefined when unreadable (it may throw as that does).
 */
export function readEnvFile(file: string, lookup: Lookup, opts: { format?: string; prior?: Lookup } = {}): DotenvResult | undefined {
  const text = readEnvFileText(file);
  if (text === undefined) return undefined;
  return opts.format === 'raw' ? parseRawEnv(text, lookup, file) : parseDotenv(text, lookup, file, opts.prior);
}

/**
 * Why an env file was refused, for a message about `subject` (e.g. `env_file ./x of service
 * "web"`): "... is not a regular file (a character device)".
 */
export function envFileRefusal(err: UserFileError, subject: string): { code: 'file_not_regular' | 'file_too_large'; message: string } {
  return { code: err.problem === 'too_large' ? 'file_too_large' : 'file_not_regular', message: `${subject} ${err.what}` };
}

/** A parsed env file's errors as problems, each at its line. */
export function envFileProblems(file: string, result: DotenvResult): Diagnostic[] {
  return result.errors.map((e) => ({ code: 'invalid_env_file', message: e.message, location: { file, line: e.line, col: 1 } }));
}

/** Index of the first unescaped `quote` in `text` from `from`, or -1: a backslash escapes what follows, in either quotes. */
function closingQuote(text: string, quote: '"' | "'", from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === quote) return i;
    // compose-go's parser lets a backslash escape the quote in both kinds of quotes.
    if (c === '\\') i++;
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };

/**
 * Double-quoted escapes. `\$` becomes `$$` so that interpolation, which runs next, yields a
 * literal `$`. Any other backslash is kept as written, so a path like `C:\Users` survives.
 */
function unescape(raw: string): string {
  return raw.replace(/\\(.)/gs, (match, c: string) => (c === '$' ? '$$' : (ESCAPES[c] ?? match)));
}
