/**
 * Reading one stack file: bytes → YAML document → plain values, keeping the source position
 * of every key and item so that errors found much later (schema, semantics) still point at
 * a line. Aliases and `<<` merge keys are expanded here, under a budget, because the yaml
 * library's own limit only applies to its toJS() and we walk the AST ourselves.
 */
import { readFile, stat } from 'node:fs/promises';
import { StackFileError } from '../errors.js';
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
    const st = await stat(file);
    if (st.isDirectory()) {
      throw new StackFileError('file_is_directory', `${file} is a directory, not a stack file`, at,
        'pass the compose file itself, e.g. -f ' + file.replace(/\/$/, '') + '/compose.yaml');
    }
    if (st.size > MAX_FILE_BYTES) {
      throw new StackFileError('file_too_large', `${file} is ${st.size} bytes; stack files are limited to ${MAX_FILE_BYTES}`, at);
    }
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof StackFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StackFileError('file_not_found', `stack file not found: ${file}`, at);
    if (code === 'EACCES' || code === 'EPERM') throw new StackFileError('file_unreadable', `cannot read ${file}: permission denied`, at);
    throw new StackFileError('file_unreadable', `cannot read ${file}: ${(err as Error).message}`, at);
  }
  return decodeText(file, bytes);
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
