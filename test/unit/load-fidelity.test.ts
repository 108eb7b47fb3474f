/**
 * Compose fidelity: files that tug used to read differently from Docker Compose v2
 * (compose-go). Each test names the compose-go (or docker/compose) rule it checks.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackInvalidError, TugError, type Diagnostic } from '../../src/errors.js';
import { parseDotenv, parseRawEnv } from '../../src/stack/dotenv.js';
import { loadProject, type LoadOptions } from '../../src/stack/load.js';
import { toJson, toYaml } from '../../src/stack/serialise.js';
import type { Project, Service } from '../../src/stack/model.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();

interface Run {
  project: Project;
  warnings: Diagnostic[];
  dir: string;
}

async function load(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<Run> {
  const dir = makeDir(files);
  const warnings: Diagnostic[] = [];
  const project = await loadProject({ cwd: dir, env: {}, onWarning: (d) => warnings.push(d), ...opts });
  return { project, warnings, dir };
}

async function problems(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<{ list: Diagnostic[]; dir: string }> {
  const dir = makeDir(files);
  let err: unknown;
  try {
    await loadProject({ cwd: dir, env: {}, ...opts });
  } catch (e) {
    err = e;
  }
  expect(err, 'the load should fail').toBeInstanceOf(StackInvalidError);
  return { list: (err as StackInvalidError).problems, dir };
}

function svc(p: Project, name: string): Service {
  const s = p.services[name];
  expect(s, `service ${name}`).toBeDefined();
  return s!;
}

describe('.env interpolation order (compose-go dotenv expandVariables: lookupFn, then envMap)', () => {
  it('a variable set in the shell beats one set earlier in the same .env', async () => {
    const { project } = await load({
      '.env': 'TAG=fromfile\nIMAGE=app:${TAG}\n',
      'compose.yaml': 'services:\n  web:\n    image: ${IMAGE}\n',
    }, { env: { TAG: 'fromshell' } });
    expect(svc(project, 'web').image).toBe('app:fromshell');
  });

  it('parseDotenv asks its lookup before earlier lines', () => {
    const r = parseDotenv('A=file\nB=${A}\n', (n) => (n === 'A' ? 'shell' : undefined), '.env');
    expect(r.values).toEqual({ A: 'file', B: 'shell' });
  });

  it('in env_file, the project environment wins over an earlier line, and the service environment is seen', async () => {
    const { project } = await load({
      '.env': 'A=project\n',
      'app.env': 'A=file\nB=${A}\nC=${OWN}\n',
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: app.env\n    environment:\n      OWN: mine\n',
    });
    expect(svc(project, 'web').environment).toEqual({ A: 'file', B: 'project', C: 'mine', OWN: 'mine' });
  });

  it('a later env_file line sees an earlier file and, over it, an earlier line of its own', async () => {
    const { project } = await load({
      'one.env': 'A=1\n',
      'two.env': 'A=2\nB=${A}\n',
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: [one.env, two.env]\n',
    });
    expect(svc(project, 'web').environment).toEqual({ A: '2', B: '2' });
  });
});

describe('env_file format: raw (docker compose registers docker/cli kvfile for it)', () => {
  it('takes values literally: quotes, $, # and trailing blanks stay', async () => {
    const { project } = await load({
      'raw.env': '  # comment\nQ="quoted"\nS=\'single\'\nD=$HOME ${X}\nH=a # not a comment\nT=trailing  \nEMPTY=\nINHERIT\n',
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file:\n      - path: raw.env\n        format: raw\n',
    }, { env: { INHERIT: 'yes', HOME: '/root' } });
    expect(svc(project, 'web').environment).toEqual({
      Q: '"quoted"', S: "'single'", D: '$HOME ${X}', H: 'a # not a comment', T: 'trailing  ', EMPTY: '', INHERIT: 'yes',
    });
  });

  it('refuses a key with blanks, and an unknown format', async () => {
    expect(parseRawEnv('A B=1\n', () => undefined, 'f').errors).toEqual([{ line: 1, message: "variable 'A B' contains whitespaces in f" }]);
    const { list } = await problems({
      'a.env': 'A=1\n',
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file:\n      - path: a.env\n        format: yaml\n',
    });
    expect(list.map((p) => p.message)).toEqual(['unsupported env_file format "yaml"']);
    expect(list[0]!.location?.line).toBe(6);
  });
});

describe('integers beyond 2^53 keep their digits (go-yaml decodes 64-bit integers exactly)', () => {
  const BIG = '9223372036854775807';
  it('in environment, labels, sysctls, extra_hosts, build args, driver_opts and keys', async () => {
    const { project } = await load({
      'compose.yaml': [
        'services:',
        '  web:',
        '    image: x',
        `    environment: {BIG: ${BIG}, NEG: -9223372036854775808, HEX: 0xFFFFFFFFFFFFFFFF, OCT: 0777777777777777777777, SMALL: 42, FLOAT: 1.5}`,
        `    labels: {big: ${BIG}, ${BIG}: key}`,
        `    sysctls: {net.core.somaxconn: ${BIG}}`,
        `    build: {context: ., args: {A: ${BIG}}}`,
        `    logging: {options: {max-size: ${BIG}}}`,
        'volumes:',
        `  v: {driver_opts: {size: ${BIG}}}`,
      ].join('\n'),
    });
    const web = svc(project, 'web');
    expect(web.environment).toEqual({
      BIG, NEG: '-9223372036854775808', HEX: '18446744073709551615', OCT: '9223372036854775807', SMALL: '42', FLOAT: '1.5',
    });
    expect(web.labels).toEqual({ big: BIG, [BIG]: 'key' });
    expect(web.sysctls).toEqual({ 'net.core.somaxconn': BIG });
    expect(web.build?.args).toEqual({ A: BIG });
    expect(web.logging?.options).toEqual({ 'max-size': BIG });
    expect(project.volumes.v?.driver_opts).toEqual({ size: BIG });
    // `tug config` prints the digits as a string, in YAML and JSON alike.
    expect(toYaml(project)).toContain(`BIG: "${BIG}"`);
    expect(toJson(project)).toContain(`"BIG": "${BIG}"`);
  });
});

describe('.inf and .nan (YAML floats)', () => {
  it('are refused with words a person knows, at their line', async () => {
    const { list, dir } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: x\n    cpus: .inf\n    environment:\n      N: .nan\n' });
    expect(list.map((p) => [p.message, p.location?.line]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['services.web.cpus must be a number or a string, not .inf (YAML\'s infinity float)', 4],
      ['services.web.environment.N must be a string, a number, a boolean or null, not .nan (YAML\'s "not a number" float)', 6],
    ]);
    expect(list.every((p) => /quote the value/.test(p.hint ?? ''))).toBe(true);
    expect(list[0]!.location?.file).toBe(path.join(dir, 'compose.yaml'));
  });

  it('in an extension, print as YAML spells them', async () => {
    const { project } = await load({ 'compose.yaml': 'services:\n  web:\n    image: x\nx-odd: [.nan, .inf, -.inf]\n' });
    expect(toYaml(project)).toContain('x-odd:\n  - .nan\n  - .inf\n  - -.inf\n');
  });
});
