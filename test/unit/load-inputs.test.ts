/**
 * Hostile inputs: paths that are not files (devices, FIFOs, files larger than stat says),
 * extends cycles through `file:`, alias bombs, and nesting deep enough to exhaust the stack.
 * Each must be refused with a TugError at its line, quickly: the time limits are generous (a
 * loaded machine is slow), their point is that nothing hangs or grows without bound.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackFileError, StackInvalidError, TugError, type Diagnostic } from '../../src/errors.js';
import { translate } from '../../src/run/swarm/config.js';
import { specCompiler } from '../../src/run/compile.js';
import { substitute, InterpolationError } from '../../src/stack/interpolate.js';
import { MAX_DEPTH, MAX_EXPANDED_NODES, MAX_FILE_BYTES, MAX_INTERPOLATION_DEPTH, MAX_TEXT_NODES } from '../../src/stack/limits.js';
import { loadProject, type LoadOptions } from '../../src/stack/load.js';
import { parseDotenv } from '../../src/stack/dotenv.js';
import { protoListItems } from '../../src/stack/shapes.js';
import { readUserFile, UserFileError } from '../../src/util/read-user-file.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();
const unix = process.platform !== 'win32';
/** Generous: a hang is what these catch, not a slow machine. */
const QUICK_MS = 2_000;

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo ${p}: ${String(r.stderr)}`);
}

/** The TugError a load fails with, and how long it took. */
async function failure(files: Record<string, string>, opts: Partial<LoadOptions> = {}, setup?: (dir: string) => void): Promise<{ err: TugError; dir: string; ms: number }> {
  const dir = makeDir(files);
  setup?.(dir);
  const start = performance.now();
  let err: unknown;
  try {
    await loadProject({ cwd: dir, env: {}, ...opts });
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - start;
  expect(err, 'the load should fail with a TugError').toBeInstanceOf(TugError);
  return { err: err as TugError, dir, ms };
}

/** The only problem of a load that fails validation. */
async function problem(files: Record<string, string>, opts: Partial<LoadOptions> = {}, setup?: (dir: string) => void): Promise<{ d: Diagnostic; dir: string; ms: number }> {
  const { err, dir, ms } = await failure(files, opts, setup);
  expect(err).toBeInstanceOf(StackInvalidError);
  const list = (err as StackInvalidError).problems;
  expect(list, JSON.stringify(list, null, 1)).toHaveLength(1);
  return { d: list[0]!, dir, ms };
}

/** A load that fails on one file as a whole. */
async function fileError(files: Record<string, string>, code: string, opts: Partial<LoadOptions> = {}, setup?: (dir: string) => void): Promise<{ err: StackFileError; dir: string; ms: number }> {
  const { err, dir, ms } = await failure(files, opts, setup);
  expect(err).toBeInstanceOf(StackFileError);
  expect(err.code, err.message).toBe(code);
  return { err: err as StackFileError, dir, ms };
}

// ---------------------------------------------------------------------------------------------

describe.runIf(unix)('inputs that are not regular files, or never end', () => {
  it('the reader stops at its budget whatever stat says (a /proc file says 0 bytes)', () => {
    const status = '/proc/self/status';
    if (!fs.existsSync(status)) return;
    expect(fs.statSync(status).size).toBe(0);
    expect(() => readUserFile(status, 16)).toThrow(UserFileError);
    try {
      readUserFile(status, 16);
    } catch (e) {
      expect((e as UserFileError).problem).toBe('too_large');
      expect((e as UserFileError).message).toBe('larger than 16 bytes');
    }
    expect(readUserFile(status, MAX_FILE_BYTES).toString()).toMatch(/^Name:/);
  });

  it('the reader takes a file of exactly the budget, and refuses one byte more', () => {
    const dir = makeDir({ 'ten': '0123456789', 'eleven': '0123456789a' });
    expect(readUserFile(path.join(dir, 'ten'), 10).toString()).toBe('0123456789');
    expect(() => readUserFile(path.join(dir, 'eleven'), 10)).toThrow('11 bytes, more than 10');
  });

  it('the reader refuses a device and a FIFO without blocking, and takes /dev/null as empty', () => {
    const dir = makeDir();
    const fifo = path.join(dir, 'fifo');
    mkfifo(fifo);
    expect(() => readUserFile('/dev/zero', 100)).toThrow('not a regular file (a character device)');
    expect(() => readUserFile(fifo, 100)).toThrow('not a regular file (a FIFO)');
    expect(() => readUserFile(dir, 100)).toThrow(expect.objectContaining({ problem: 'directory' }));
    expect(readUserFile('/dev/null', 100).length).toBe(0);
    expect(() => readUserFile(path.join(dir, 'missing'), 100)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it("a service's env_file on /dev/zero is refused at its line, naming the key and the service", async () => {
    const { d, dir, ms } = await problem({ 'compose.yaml': 'services:\n  web:\n    image: x\n    env_file:\n      - /dev/zero\n' });
    expect(d.code).toBe('file_not_regular');
    expect(d.message).toBe('env_file /dev/zero of service "web" is not a regular file (a character device)');
    expect(d.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 5, col: 9 });
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('an env_file that is a FIFO is refused, not waited on, even when not required', async () => {
    const { d } = await problem({ 'compose.yaml': 'services:\n  web:\n    image: x\n    env_file:\n      - path: ./pipe\n        required: false\n' }, {},
      (dir) => mkfifo(path.join(dir, 'pipe')));
    expect(d.code).toBe('file_not_regular');
    expect(d.message).toMatch(/^env_file .*pipe of service "web" is not a regular file \(a FIFO\)$/);
    expect(d.location?.line).toBe(5);
  });

  it('--env-file /dev/zero and a FIFO are refused; /dev/null is an empty env file', async () => {
    const zero = await fileError({ 'compose.yaml': 'services:\n  web:\n    image: x\n' }, 'file_not_regular', { envFiles: ['/dev/zero'] });
    expect(zero.err.message).toBe('--env-file /dev/zero is not a regular file (a character device)');
    expect(zero.ms).toBeLessThan(QUICK_MS);
    const fifo = await fileError({ 'compose.yaml': 'services:\n  web:\n    image: x\n' }, 'file_not_regular', { envFiles: ['pipe'] },
      (dir) => mkfifo(path.join(dir, 'pipe')));
    expect(fifo.err.message).toBe(`--env-file ${path.join(fifo.dir, 'pipe')} is not a regular file (a FIFO)`);
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: ${IMG:-ok}\n' });
    const project = await loadProject({ cwd: dir, env: {}, envFiles: ['/dev/null'] });
    expect(project.services.web?.image).toBe('ok');
  });

  it('an env file larger than the limit is refused, naming the limit', async () => {
    const { err } = await fileError({ 'compose.yaml': 'services:\n  web:\n    image: x\n', 'big.env': `A=${'x'.repeat(MAX_FILE_BYTES)}\n` }, 'file_too_large', { envFiles: ['big.env'] });
    expect(err.message).toMatch(new RegExp(`^--env-file .*big\\.env is ${MAX_FILE_BYTES + 3} bytes, more than ${MAX_FILE_BYTES}$`));
  });

  it('-f naming a device or a FIFO is refused with a hint to use -f -', async () => {
    const dev = await fileError({}, 'file_not_regular', { files: ['/dev/zero'] });
    expect(dev.err.message).toBe('/dev/zero is not a regular file (a character device)');
    expect(dev.err.hint).toContain('-f -');
    const fifo = await fileError({}, 'file_not_regular', { files: ['pipe'] }, (dir) => mkfifo(path.join(dir, 'pipe')));
    expect(fifo.err.location).toEqual({ file: path.join(fifo.dir, 'pipe'), line: 0, col: 0 });
    expect(fifo.ms).toBeLessThan(QUICK_MS);
  });

  it('an include or an extends.file naming a FIFO is refused at the include / extends line', async () => {
    const inc = await problem({ 'compose.yaml': 'services:\n  web:\n    image: x\ninclude:\n  - ./pipe\n' }, {}, (dir) => mkfifo(path.join(dir, 'pipe')));
    expect(inc.d.code).toBe('file_not_regular');
    expect(inc.d.message).toBe(`included file: ${path.join(inc.dir, 'pipe')} is not a regular file (a FIFO)`);
    expect(inc.d.location?.line).toBe(5);
    const ext = await problem({ 'compose.yaml': 'services:\n  web:\n    extends:\n      file: /dev/zero\n      service: app\n' });
    expect(ext.d.code).toBe('file_not_regular');
    expect(ext.d.message).toBe('extended file: /dev/zero is not a regular file (a character device)');
    expect(ext.d.location?.line).toBe(3);
  });

  it('a swarm secret file or a seccomp profile on a device or FIFO is refused, not read forever', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  web:\n    image: x\n    secrets: [s]\n    security_opt: ["seccomp=./pipe"]\nsecrets:\n  s:\n    file: /dev/zero\n',
    });
    mkfifo(path.join(dir, 'pipe'));
    const project = await loadProject({ cwd: dir, env: {} });
    expect(() => translate(project)).toThrow(/secret "s": cannot read \/dev\/zero: not a regular file \(a character device\)/);
    const compile = specCompiler(project, { apiVersion: '1.41' });
    expect(() => compile.spec('web', 1)).toThrow(expect.objectContaining({ code: 'invalid_seccomp_profile' }));
  });
});

// ---------------------------------------------------------------------------------------------

describe('extends cycles through file:', () => {
  it('a service extending itself through its own file', async () => {
    const { d, dir, ms } = await problem({ 'compose.yaml': 'services:\n  web:\n    image: x\n    extends:\n      file: compose.yaml\n      service: web\n' });
    expect(d.code).toBe('extends_cycle');
    expect(d.message).toBe('extends cycle: compose.yaml:web → compose.yaml:web');
    expect(d.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 4, col: 5 });
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('two files extending each other: one problem, the chain across both', async () => {
    const { d, dir, ms } = await problem({
      'a.yaml': 'services:\n  web:\n    extends:\n      file: b.yaml\n      service: api\n',
      'b.yaml': 'services:\n  api:\n    image: x\n    extends:\n      file: a.yaml\n      service: web\n',
    }, { files: ['a.yaml'] });
    expect(d.message).toBe('extends cycle: a.yaml:web → b.yaml:api → a.yaml:web');
    expect(d.location).toEqual({ file: path.join(dir, 'a.yaml'), line: 3, col: 5 });
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('a cycle further down the chain, mixing file: and same-file extends', async () => {
    const { d } = await problem({
      'compose.yaml': 'services:\n  web:\n    extends:\n      file: lib/b.yaml\n      service: api\n',
      'lib/b.yaml': 'services:\n  api:\n    extends: base\n  base:\n    extends:\n      file: c.yaml\n      service: db\n',
      'lib/c.yaml': 'services:\n  db:\n    image: x\n    extends:\n      file: b.yaml\n      service: api\n',
    });
    expect(d.message).toBe('extends cycle: lib/b.yaml:api → lib/b.yaml:base → lib/c.yaml:db → lib/b.yaml:api');
  });

  it('a file extended from an included file that includes it back is a cycle, not a hang', async () => {
    const { err } = await failure({
      'compose.yaml': 'services:\n  web:\n    extends:\n      file: b.yaml\n      service: api\n',
      'b.yaml': 'include:\n  - i.yaml\nservices:\n  api:\n    image: x\n',
      'i.yaml': 'services:\n  worker:\n    extends:\n      file: b.yaml\n      service: api\n',
    });
    expect(err.code).toBe('extends_cycle');
    expect(err.message).toBe('extends cycle: compose.yaml:web → i.yaml:worker → b.yaml (which includes the file)');
  });

  it('two services extending the same service of another file is no cycle', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  web:\n    extends: {file: base.yaml, service: app}\n  worker:\n    extends: {file: base.yaml, service: app}\n    command: work\n',
      'base.yaml': 'services:\n  app:\n    extends: core\n  core:\n    image: app:1\n',
    });
    const project = await loadProject({ cwd: dir, env: {} });
    expect(project.services.web?.image).toBe('app:1');
    expect(project.services.worker?.image).toBe('app:1');
  });
});

// ---------------------------------------------------------------------------------------------

/** `levels` anchors, each a list of `width` aliases of the one before: width^levels nodes. */
function laughs(levels: number, width: number): string {
  const lines = [`a: &a [${Array(width).fill('x').join(',')}]`];
  for (let i = 1; i < levels; i++) {
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(width).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
  }
  return lines.join('\n') + '\n';
}

describe('alias expansion, in time linear in the file', () => {
  it('a billion laughs (nine levels of nine) is refused at once', async () => {
    const text = laughs(9, 9);
    expect(text.length).toBeLessThan(700);
    const { err, dir, ms } = await fileError({ 'compose.yaml': text }, 'yaml_alias_bomb');
    expect(err.message).toBe(`YAML aliases expand to more than ${MAX_EXPANDED_NODES} nodes: refusing what looks like an alias bomb`);
    expect(err.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 0, col: 0 });
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('a bomb among 2,000 other keys: the old walk searched the whole file for each alias (52 s)', async () => {
    const others = Array.from({ length: 2000 }, (_, i) => `x-k${i}: v${i}\n`).join('');
    const { ms } = await fileError({ 'compose.yaml': `${others}${laughs(9, 9)}services:\n  web:\n    image: x\n    labels: *i\n` }, 'yaml_alias_bomb');
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('a bomb through << merge keys, and one far past any count, are refused at once', async () => {
    const merges = ['x-a: &a {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1, k8: 1}'];
    for (let i = 1; i < 9; i++) merges.push(`x-${i}: &m${i} {${Array.from({ length: 9 }, (_, j) => `m${j}: ${i === 1 ? '*a' : `*m${i - 1}`}`).join(', ')}}`);
    merges.push('services:\n  web:\n    <<: *m8\n    image: x');
    expect((await fileError({ 'compose.yaml': merges.join('\n') + '\n' }, 'yaml_alias_bomb')).ms).toBeLessThan(QUICK_MS);
    // 30 levels of 10: 10^30 nodes, which no walk could ever finish.
    expect((await fileError({ 'compose.yaml': laughs(26, 10) }, 'yaml_alias_bomb')).ms).toBeLessThan(QUICK_MS);
  });

  it('a 35 KB file with 142 aliases of a large anchor loads, quickly', async () => {
    const anchor = 'x-big: &big\n' + Array.from({ length: 1500 }, (_, i) => `  key${i}: v\n`).join('');
    const uses = 'x-uses:\n' + Array.from({ length: 142 }, (_, i) => `  u${i}: *big\n`).join('');
    const text = `services:\n  web:\n    image: x\n${anchor}${uses}`;
    expect(text.length).toBeGreaterThan(20_000);
    expect(text.length).toBeLessThan(40_000);
    const dir = makeDir({ 'compose.yaml': text });
    const start = performance.now();
    const project = await loadProject({ cwd: dir, env: {} });
    // 213,000 nodes once expanded, each walked, interpolated and copied: about 1.5 s here, and
    // it must stay in proportion (resolving an alias used to search the whole document).
    expect(performance.now() - start).toBeLessThan(QUICK_MS * 5);
    const extensions = project.extensions as Record<string, Record<string, Record<string, string>>>;
    expect(Object.keys(extensions['x-uses']!)).toHaveLength(142);
    expect(extensions['x-uses']!.u141!.key1499).toBe('v');
  });

  it('an alias inside the node it names is refused at the alias', async () => {
    const { err, dir } = await fileError({ 'compose.yaml': 'services:\n  web:\n    image: x\nx-loop: &l\n  - a\n  - *l\n' }, 'yaml_syntax');
    expect(err.message).toBe('invalid YAML: the alias *l is inside the node anchored &l that it names');
    expect(err.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 6, col: 5 });
  });

  it('a file of more nodes than the limit is refused while it is parsed, where it passes the limit', async () => {
    const n = MAX_TEXT_NODES + 1000;
    const { err } = await fileError({ 'compose.yaml': `services:\n  web:\n    image: x\nx-many: [${'1,'.repeat(n)}1]\n` }, 'yaml_too_many_nodes');
    expect(err.message).toBe(`YAML has more than ${MAX_TEXT_NODES} nodes; stack files are limited to ${MAX_TEXT_NODES}`);
    expect(err.location?.line).toBe(4);
    // The item that passes the limit: the count is a lower bound of what the walk would produce.
    expect(err.location?.col).toBeGreaterThan(2 * (MAX_TEXT_NODES - 10));
    expect(err.location?.col).toBeLessThan(2 * (MAX_TEXT_NODES + 10));
    // No time limit here: the parse up to the limit is the library's (about 2 s of it), and this
    // machine may be running other tests. The 8 MB version took 40 s before it was stopped early.
  });
});

// ---------------------------------------------------------------------------------------------

describe('YAML nesting deeper than the limit', () => {
  it.each([
    ['flow lists, 10,000 deep', `x-deep: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, 4],
    ['flow lists, 1,000,000 deep', `x-deep: ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n`, 4],
    ['flow mappings, 10,000 deep', `x-deep: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`, 4],
    ['compact block lists, 100,000 deep', `x-deep:\n  ${'- '.repeat(100_000)}x\n`, 5],
    ['explicit keys, 100,000 deep', `x-deep:\n${'? '.repeat(100_000)}x\n`, 5],
  ])('%s: refused at the line, naming the limit, never a RangeError', async (_name, tail, line) => {
    const { err, ms } = await fileError({ 'compose.yaml': `services:\n  web:\n    image: x\n${tail}` }, 'yaml_too_deep');
    expect(err.message).toBe(`YAML nesting is deeper than ${MAX_DEPTH} levels`);
    expect(err.location?.line).toBe(line);
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('block mappings 2,000 deep: refused near the line where the limit is passed', async () => {
    const text = 'x-deep:\n' + Array.from({ length: 2000 }, (_, i) => ' '.repeat(i + 1) + 'k:\n').join('');
    const { err } = await fileError({ 'compose.yaml': text }, 'yaml_too_deep');
    expect(err.location?.line).toBeGreaterThan(MAX_DEPTH - 5);
    expect(err.location?.line).toBeLessThan(MAX_DEPTH + 10);
  });
});

// ---------------------------------------------------------------------------------------------

describe('${...} nesting deeper than the limit', () => {
  const nest = (n: number, inner = 'x'): string => '${A:-'.repeat(n) + inner + '}'.repeat(n);

  it(`\${...} nested ${MAX_INTERPOLATION_DEPTH} deep works, one more is refused`, () => {
    expect(substitute(nest(MAX_INTERPOLATION_DEPTH), () => undefined)).toBe('x');
    expect(() => substitute(nest(MAX_INTERPOLATION_DEPTH + 1), () => undefined)).toThrow(InterpolationError);
    expect(() => substitute(nest(MAX_INTERPOLATION_DEPTH + 1), () => undefined)).toThrow(`\${...} nested more than ${MAX_INTERPOLATION_DEPTH} levels deep`);
  });

  it('${A:-${A:-...}} 5,000 deep in a stack file: refused at its line, not a stack overflow', async () => {
    const { d, dir, ms } = await problem({ 'compose.yaml': `services:\n  web:\n    image: x\n    environment:\n      DEEP: "${nest(5000)}"\n` });
    expect(d.code).toBe('interpolation_too_deep');
    expect(d.message).toBe(`cannot interpolate services.web.environment.DEEP: \${...} nested more than ${MAX_INTERPOLATION_DEPTH} levels deep`);
    expect(d.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 5, col: 7 });
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('and in an env file, at its line', () => {
    const r = parseDotenv(`A=1\nB=${nest(5000)}\n`, () => undefined, '.env');
    expect(r.errors).toEqual([{ line: 2, message: `cannot interpolate B in .env: \${...} nested more than ${MAX_INTERPOLATION_DEPTH} levels deep` }]);
  });

  it('nesting costs time linear in the text: 100 levels around 2 MB', () => {
    const start = performance.now();
    expect(substitute(nest(MAX_INTERPOLATION_DEPTH, 'y'.repeat(2_000_000)), () => undefined)).toHaveLength(2_000_000);
    expect(performance.now() - start).toBeLessThan(QUICK_MS);
  });
});

// ---------------------------------------------------------------------------------------------

describe('long inputs: linear time, and no stack overflow on long lists of problems', () => {
  it('an env file with an unterminated quote over 100,000 lines is read in linear time', () => {
    const start = performance.now();
    const r = parseDotenv(`A="\n${'0123456789\n'.repeat(100_000)}`, () => undefined, '.env');
    expect(r.errors).toEqual([{ line: 1, message: 'unterminated quoted value for A in .env' }]);
    expect(performance.now() - start).toBeLessThan(QUICK_MS);
  });

  it('200,000 `__proto__` items of an environment list', () => {
    const found = protoListItems({ services: { web: { environment: Array(200_000).fill('__proto__') } } });
    expect(found).toHaveLength(200_000);
    expect(found[199_999]).toEqual(['services', 'web', 'environment', 199_999]);
  });

  it('an env file with 200,000 bad lines', async () => {
    const { err } = await failure({ 'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: bad.env\n', 'bad.env': '!\n'.repeat(200_000) });
    expect(err).toBeInstanceOf(StackInvalidError);
    expect((err as StackInvalidError).problems).toHaveLength(200_000);
  });
});
