/**
 * One reader for every env file: `.env` / `--env-file` (variables for interpolation) and a
 * service's `env_file` (its environment) decode the same way, and keep their own rules for a
 * missing file and for what interpolation sees.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackFileError, StackInvalidError } from '../../src/errors.js';
import { envFileProblems, readEnvFile, readEnvFileText } from '../../src/stack/dotenv.js';
import { loadProject } from '../../src/stack/load.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();

// A BOM, CRLF line ends, and a Latin-1 byte (not UTF-8) in a comment and in a value.
const MESSY = Buffer.concat([
  Buffer.from('\uFEFFA=1\r\n# caf', 'utf8'), Buffer.from([0xe9]), Buffer.from('\r\nB="two words"\r\nC=caf', 'utf8'), Buffer.from([0xe9]),
  Buffer.from('\r\nD=\u00e9t\u00e9\r\n', 'utf8'),
]);
const MESSY_VALUES = { A: '1', B: 'two words', C: 'caf\uFFFD', D: '\u00e9t\u00e9' };

describe('readEnvFileText / readEnvFile', () => {
  it('is undefined for a file that cannot be read', () => {
    const dir = makeDir({ 'sub/x': '' });
    expect(readEnvFileText(path.join(dir, 'nope.env'))).toBeUndefined();
    expect(readEnvFileText(path.join(dir, 'sub'))).toBeUndefined();
    expect(readEnvFile(path.join(dir, 'nope.env'), () => undefined)).toBeUndefined();
  });

  it('decodes UTF-8 without the BOM; what is not UTF-8 becomes U+FFFD', () => {
    const dir = makeDir({ 'messy.env': MESSY as unknown as string });
    const text = readEnvFileText(path.join(dir, 'messy.env'))!;
    expect(text.startsWith('A=1\r\n')).toBe(true);
    expect(readEnvFile(path.join(dir, 'messy.env'), () => undefined)).toEqual({ values: MESSY_VALUES, errors: [] });
  });

  it('turns parse errors into invalid_env_file problems at their line', () => {
    const dir = makeDir({ 'bad.env': 'A=1\nnot a name=2\n' });
    const file = path.join(dir, 'bad.env');
    expect(envFileProblems(file, readEnvFile(file, () => undefined)!)).toEqual([
      { code: 'invalid_env_file', message: `invalid variable name "not a name" in ${file}`, location: { file, line: 2, col: 1 } },
    ]);
  });
});

describe('.env and env_file read the same bytes the same way', () => {
  it('as interpolation variables and as a service environment', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: [messy.env]\n    labels:\n      a: ${A}\n      b: ${B}\n      c: ${C}\n      d: ${D}\n',
      '.env': MESSY as unknown as string,
      'messy.env': MESSY as unknown as string,
    });
    const project = await loadProject({ cwd: dir, env: {} });
    expect(project.services.web!.environment).toEqual(MESSY_VALUES);
    expect(project.services.web!.labels).toEqual({ a: '1', b: 'two words', c: 'caf\uFFFD', d: '\u00e9t\u00e9' });
  });

  it('a NUL byte is no longer a reason to refuse .env (Compose reads any bytes)', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: ${IMG}\n', '.env': 'IMG=busybox\n#\u0000\n' });
    expect((await loadProject({ cwd: dir, env: {} })).services.web!.image).toBe('busybox');
  });
});

describe('each caller keeps its rules', () => {
  it('.env may be missing; a missing --env-file is an error', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: x\n' });
    await expect(loadProject({ cwd: dir, env: {} })).resolves.toBeDefined();
    const err = await loadProject({ cwd: dir, env: {}, envFiles: ['nope.env'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackFileError);
    expect((err as StackFileError).code).toBe('env_file_not_found');
  });

  it('env_file: a missing required file is a problem, an optional one is skipped', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file:\n      - path: gone.env\n        required: false\n      - gone-too.env\n',
    });
    const err = await loadProject({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackInvalidError);
    expect((err as StackInvalidError).problems.map((p) => [p.code, p.message])).toEqual([
      ['env_file_not_found', `env file ${path.join(dir, 'gone-too.env')} not found`],
    ]);
  });

  it('--env-file lookups see the process environment before earlier files; env_file sees the project variables', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: [svc.env]\n    labels:\n      x: ${X}\n',
      'a.env': 'BASE=from-a\n',
      'b.env': 'X=${BASE}-x\n',
      'svc.env': 'Y=${BASE}-y\n',
    });
    const project = await loadProject({ cwd: dir, env: { BASE: 'from-process' }, envFiles: ['a.env', 'b.env'] });
    expect(project.services.web!.labels).toEqual({ x: 'from-process-x' });
    expect(project.services.web!.environment).toEqual({ Y: 'from-process-y' });
  });
});
