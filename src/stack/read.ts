/**
 * Reading one stack file: bytes → YAML document → plain values, keeping the source position
 * of every key and item so that errors found much later (schema, semantics) still point at
 * a line. Aliases and `<<` merge keys are expanded here, under a budget, because the yaml
 * library's own limit only applies to its toJS() and we walk the AST ourselves.
 */
import { StackFileError } from '../errors.js';
import { readUserFile, UserFileError } from '../util/read-user-file.js';
import { MAX_FILE_BYTES } from './limits.js';
import { readParseCache, writeParseCache } from './parse-cache.js';
import type { ParsedFile } from './parsed-file.js';

/**
 * Reads and parses a stack file. Parsing YAML is most of what loading costs, so the result for
 * a real file is kept in a content-addressed cache; a hit skips even importing the parser.
 */
export async function readStackFile(file: string, content?: string): Promise<ParsedFile> {
  const text = content ?? (await readText(file));
  const cached = content === undefined ? readParseCache(file, text) : undefined;
  if (cached) return cached;
  const { parseStackText } = await import('./yaml-walk.js');
  const parsed = parseStackText(file, text);
  if (content === undefined) writeParseCache(text, parsed);
  return parsed;
}

async function readText(file: string): Promise<string> {
  const at = { file, line: 0, col: 0 };
  let bytes: Buffer;
  try {
    bytes = readUserFile(file, MAX_FILE_BYTES);
  } catch (err) {
    throw readError(file, err, at);
  }
  return decodeText(file, bytes);
}

/** A failure to read a stack file as a StackFileError; the message starts with the path. */
function readError(file: string, err: unknown, at: { file: string; line: number; col: number }): StackFileError {
  if (err instanceof UserFileError) {
    switch (err.problem) {
      case 'directory':
        return new StackFileError('file_is_directory', `${file} is a directory, not a stack file`, at,
          'pass the compose file itself, e.g. -f ' + file.replace(/\/$/, '') + '/compose.yaml');
      case 'too_large':
        return new StackFileError('file_too_large', err.size === undefined
          ? `${file} is larger than ${MAX_FILE_BYTES} bytes; stack files are limited to ${MAX_FILE_BYTES}`
          : `${file} is ${err.size} bytes; stack files are limited to ${MAX_FILE_BYTES}`, at);
      case 'not_regular':
        return new StackFileError('file_not_regular', `${file} ${err.what}`, at,
          'a stack file must be a regular file; to read one from a pipe, use -f - and pipe it to standard input');
    }
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new StackFileError('file_not_found', `stack file not found: ${file}`, at);
  if (code === 'EACCES' || code === 'EPERM') return new StackFileError('file_unreadable', `cannot read ${file}: permission denied`, at);
  return new StackFileError('file_unreadable', `cannot read ${file}: ${(err as Error).message}`, at);
}

export function decodeText(file: string, bytes: Uint8Array): string {
  const at = { file, line: 0, col: 0 };
  if (bytes.includes(0)) {
    throw new StackFileError('file_binary', `${file} is not a text file (it contains NUL bytes)`, at, 'stack files are YAML text');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new StackFileError('file_binary', `${file} is not valid UTF-8 text`, at, 'stack files are YAML text encoded as UTF-8');
  }
}
