/**
 * What the corpus fuzz (fuzz-corpus.test.ts) found, each fixed and pinned here: files under the
 * size limit that the YAML library takes seconds and hundreds of MB to read are refused while
 * they are lexed, at the line where they pass the limit, with what to do instead.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackFileError } from '../../src/errors.js';
import { MAX_DOUBLE_QUOTED_CHARS, MAX_FILE_BYTES, MAX_LINES, MAX_TEXT_NODES } from '../../src/stack/limits.js';
import { loadProject } from '../../src/stack/load.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();

async function load(text: string): Promise<{ dir: string; result: unknown }> {
  const dir = makeDir({ 'compose.yaml': text });
  try {
    return { dir, result: await loadProject({ cwd: dir, env: {} }) };
  } catch (e) {
    return { dir, result: e };
  }
}

describe('double-quoted strings (seed 1, case 228: one 8 MB string took 3.4 s and 300 MB)', () => {
  it('more than the limit in one file is refused at the string that passes it, with a hint', async () => {
    const big = 'a'.repeat(MAX_FILE_BYTES - 1024 * 1024);
    const { dir, result } = await load(`services:\n  web:\n    image: busybox\n    environment:\n      A: "x"\n      B: "${big}"\n`);
    expect(result).toBeInstanceOf(StackFileError);
    const err = result as StackFileError;
    expect(err.code).toBe('file_too_large');
    expect(err.message).toBe(`double-quoted strings in ${path.join(dir, 'compose.yaml')} add up to more than ${MAX_DOUBLE_QUOTED_CHARS} characters`);
    expect(err.location).toMatchObject({ file: path.join(dir, 'compose.yaml'), line: 6, col: 10 });
    expect(err.hint).toMatch(/block scalar/);
  });

  it('many strings adding up past it are refused too, at the one that passes it', async () => {
    const each = 'b'.repeat(300_000);
    const lines = Array.from({ length: 5 }, (_, i) => `      K${i}: "${each}"`);
    const { result } = await load(`services:\n  web:\n    image: busybox\n    environment:\n${lines.join('\n')}\n`);
    expect((result as StackFileError).code).toBe('file_too_large');
    expect((result as StackFileError).location?.line).toBe(8);
  });

  it('up to the limit loads, the value intact, and the same text as a block scalar has no such limit', async () => {
    const value = 'c'.repeat(MAX_DOUBLE_QUOTED_CHARS - 10);
    const quoted = await load(`services:\n  web:\n    image: busybox\n    environment:\n      A: "${value}"\n`);
    expect((quoted.result as { services: Record<string, { environment: Record<string, string> }> }).services.web!.environment.A).toBe(value);
    const long = 'd'.repeat(3 * MAX_DOUBLE_QUOTED_CHARS);
    const block = await load(`services:\n  web:\n    image: busybox\n    environment:\n      A: |-\n        ${long}\n`);
    expect((block.result as { services: Record<string, { environment: Record<string, string> }> }).services.web!.environment.A).toBe(long);
  });
});

describe('nodes written in the file (a 440,000-item list under the size limit took 6 s and 600 MB)', () => {
  it('a block list past the limit is refused at the item that passes it', async () => {
    const { result } = await load(`services:\n  web:\n    image: busybox\nx-many:\n${'  - item\n'.repeat(MAX_TEXT_NODES + 10)}`);
    const err = result as StackFileError;
    expect(err).toBeInstanceOf(StackFileError);
    expect(err.code).toBe('yaml_too_many_nodes');
    expect(err.message).toBe(`YAML has more than ${MAX_TEXT_NODES} nodes; stack files are limited to ${MAX_TEXT_NODES}`);
    // Five lines before the list, and the services' three scalars ("web:" counts as a key) are nodes too.
    expect(err.location?.line).toBeGreaterThan(MAX_TEXT_NODES - 10);
    expect(err.location?.line).toBeLessThan(MAX_TEXT_NODES + 10);
  });

  it('a large file under it loads', async () => {
    const n = MAX_TEXT_NODES / 5;
    const { result } = await load(`services:\n  web:\n    image: busybox\nx-many:\n${Array.from({ length: n }, (_, i) => `  k${i}: v\n`).join('')}`);
    expect(result).not.toBeInstanceOf(Error);
    expect(Object.keys((result as { extensions: Record<string, object> }).extensions['x-many']!)).toHaveLength(n);
  });
});

describe('lines (seed 20261206, case 498: 8 million newlines, under the size limit, took over a minute)', () => {
  it('a file of more lines than the limit is refused at the line that passes it', async () => {
    const { dir, result } = await load(`services:\n  web:\n    image: busybox\n${'\n'.repeat(MAX_LINES + 5)}`);
    const err = result as StackFileError;
    expect(err).toBeInstanceOf(StackFileError);
    expect(err.code).toBe('file_too_large');
    expect(err.message).toBe(`${path.join(dir, 'compose.yaml')} has more than ${MAX_LINES} lines; stack files are limited to ${MAX_LINES}`);
    expect(err.location?.line).toBe(MAX_LINES + 1);
  });

  it('comments and blank lines up to it load', async () => {
    const { result } = await load(`services:\n  web:\n    image: busybox\n${'# note\n\n'.repeat(MAX_LINES / 2 - 10)}`);
    expect(result).not.toBeInstanceOf(Error);
  });
});
