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
import { MAX_FILE_BYTES, MAX_INTERPOLATION_DEPTH } from '../../src/stack/limits.js';
import { loadProject, type LoadOptions } from '../../src/stack/load.js';
import { parseDotenv } from '../../src/stack/dotenv.js';
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
