/**
 * What loadProject does beyond merging, end to end on real files: discovery, project names,
 * .env and interpolation, YAML features, profiles, extends, include, extensions, and the
 * normalisation of every short syntax.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackFileError, StackInvalidError, TugError, UsageError, type Diagnostic } from '../../src/errors.js';
import { DEFAULT_FILES } from '../../src/stack/discover.js';
import { loadProject, type LoadOptions } from '../../src/stack/load.js';
import type { Project, Service } from '../../src/stack/model.js';
import { tempDirs, writeFiles } from '../support.js';

const makeDir = tempDirs();
const write = writeFiles;

interface Run {
  project: Project;
  warnings: Diagnostic[];
  dir: string;
}

/** Loads the stack in a fresh dir by discovery (compose.yaml) unless `files` is given. */
async function load(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<Run> {
  const dir = makeDir(files);
  const warnings: Diagnostic[] = [];
  const project = await loadProject({ cwd: dir, env: {}, onWarning: (d) => warnings.push(d), ...opts });
  return { project, warnings, dir };
}

/** The error a load must fail with; fails the test when the load succeeds. */
async function failure(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<{ err: TugError; dir: string }> {
  const dir = makeDir(files);
  let err: unknown;
  try {
    await loadProject({ cwd: dir, env: {}, ...opts });
  } catch (e) {
    err = e;
  }
  expect(err, 'the load should fail').toBeInstanceOf(TugError);
  return { err: err as TugError, dir };
}

async function problems(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<{ list: Diagnostic[]; dir: string }> {
  const { err, dir } = await failure(files, opts);
  expect(err).toBeInstanceOf(StackInvalidError);
  return { list: (err as StackInvalidError).problems, dir };
}

function svc(p: Project, name: string): Service {
  const s = p.services[name];
  expect(s, `service ${name}`).toBeDefined();
  return s!;
}

const WEB = 'services:\n  web:\n    image: nginx\n';

// ---------------------------------------------------------------------------------------------

function parentHasStack(dir: string): boolean {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (DEFAULT_FILES.some((f) => fs.existsSync(path.join(d, f)))) return true;
    if (path.dirname(d) === d) return false;
  }
}

describe('discovery', () => {
  it('finds compose.yaml from a subdirectory, and the project lives where the file is', async () => {
    const dir = makeDir({ 'compose.yaml': WEB, 'a/b/c/.keep': '' });
    const project = await loadProject({ cwd: path.join(dir, 'a/b/c'), env: {} });
    expect(project.config_files).toEqual([path.join(dir, 'compose.yaml')]);
    expect(project.working_dir).toBe(dir);
    expect(Object.keys(project.services)).toEqual(['web']);
  });

  it('the nearest file wins over one further up', async () => {
    const dir = makeDir({ 'compose.yaml': WEB, 'sub/compose.yaml': 'services:\n  inner:\n    image: busybox\n' });
    const project = await loadProject({ cwd: path.join(dir, 'sub'), env: {} });
    expect(Object.keys(project.services)).toEqual(['inner']);
    expect(project.working_dir).toBe(path.join(dir, 'sub'));
  });

  it('picks up compose.override.yaml automatically, after the main file', async () => {
    const { project, dir } = await load({
      'compose.yaml': WEB,
      'compose.override.yaml': 'services:\n  web:\n    image: nginx:override\n',
    });
    expect(svc(project, 'web').image).toBe('nginx:override');
    expect(project.config_files).toEqual([path.join(dir, 'compose.yaml'), path.join(dir, 'compose.override.yaml')]);
  });

  it('an explicit -f does not pick up the override file', async () => {
    const { project } = await load(
      { 'compose.yaml': WEB, 'compose.override.yaml': 'services:\n  web:\n    image: nginx:override\n' },
      { files: ['compose.yaml'] },
    );
    expect(svc(project, 'web').image).toBe('nginx');
  });

  it('falls back to docker-compose.yml, with its docker-compose.override.yml', async () => {
    const { project, dir } = await load({
      'docker-compose.yml': WEB,
      'docker-compose.override.yml': 'services:\n  web:\n    environment: [A=1]\n',
    });
    expect(project.config_files).toEqual([path.join(dir, 'docker-compose.yml'), path.join(dir, 'docker-compose.override.yml')]);
    expect(svc(project, 'web').environment).toEqual({ A: '1' });
  });

  it('prefers compose.yaml over docker-compose.yml in the same directory', async () => {
    const { project, dir } = await load({
      'docker-compose.yml': 'services:\n  old:\n    image: old\n',
      'compose.yaml': WEB,
    });
    expect(project.config_files).toEqual([path.join(dir, 'compose.yaml')]);
  });

  it.skipIf(parentHasStack(os.tmpdir() + '/x'))('no stack file anywhere: StackFileError no_stack_file', async () => {
    const dir = makeDir({ 'README.md': 'nothing here' });
    const err = await loadProject({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackFileError);
    expect((err as StackFileError).code).toBe('no_stack_file');
    expect((err as StackFileError).message).toContain(dir);
    expect((err as StackFileError).message).toContain('compose.yaml');
  });

  it('--project-directory moves the project dir (relative paths and .env) away from the file', async () => {
    const dir = makeDir({
      'stack/compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n    volumes: [./data:/data]\n',
      'proj/.env': 'TAG=from-proj\n',
    });
    const project = await loadProject({ cwd: dir, files: ['stack/compose.yaml'], projectDirectory: 'proj', env: {} });
    expect(project.working_dir).toBe(path.join(dir, 'proj'));
    expect(svc(project, 'web').image).toBe('nginx:from-proj');
    expect(svc(project, 'web').volumes[0]?.source).toBe(path.join(dir, 'proj/data'));
  });
});

describe('project name', () => {
  const files = { 'compose.yaml': 'name: fromfile\n' + WEB };

  it('-p beats COMPOSE_PROJECT_NAME, name: and the directory', async () => {
    const { project } = await load(files, { projectName: 'flag', env: { COMPOSE_PROJECT_NAME: 'fromenv' } });
    expect(project.name).toBe('flag');
  });

  it('COMPOSE_PROJECT_NAME beats name:', async () => {
    const { project } = await load(files, { env: { COMPOSE_PROJECT_NAME: 'fromenv' } });
    expect(project.name).toBe('fromenv');
  });

  it('COMPOSE_PROJECT_NAME may come from .env', async () => {
    const { project } = await load({ ...files, '.env': 'COMPOSE_PROJECT_NAME=fromdotenv\n' });
    expect(project.name).toBe('fromdotenv');
  });

  it('name: beats the directory', async () => {
    const { project } = await load(files);
    expect(project.name).toBe('fromfile');
  });

  it('name: may be interpolated', async () => {
    const { project } = await load({ 'compose.yaml': 'name: "app-${STAGE}"\n' + WEB }, { env: { STAGE: 'prod' } });
    expect(project.name).toBe('app-prod');
  });

  it('the directory name is normalised: "My App.v2" → myappv2', async () => {
    const parent = makeDir({});
    const dir = path.join(parent, 'My App.v2');
    write(dir, { 'compose.yaml': WEB });
    const project = await loadProject({ cwd: dir, env: {} });
    expect(project.name).toBe('myappv2');
    expect(project.networks.default?.name).toBe('myappv2_default');
  });

  it('resource names are prefixed with the project name', async () => {
    const { project } = await load(
      { 'compose.yaml': WEB + 'volumes:\n  data: {}\n  ext:\n    external: true\n  named:\n    name: exact\n' },
      { projectName: 'proj' },
    );
    expect(project.volumes).toMatchObject({ data: { name: 'proj_data' }, ext: { name: 'ext', external: true }, named: { name: 'exact' } });
  });

  it('an invalid -p is a UsageError suggesting a valid name', async () => {
    const { err } = await failure(files, { projectName: 'My App' });
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain('invalid project name "My App"');
    expect(err.message).toContain('-p');
    expect(err.hint).toContain('"myapp"');
  });

  it('an invalid name: is rejected by the schema, at its line', async () => {
    const { list, dir } = await problems({ 'compose.yaml': WEB + 'name: Bad_Name\n' });
    expect(list).toHaveLength(1);
    expect(list[0]!.message).toBe('name: invalid value "Bad_Name"');
    expect(list[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 4, col: 1 });
  });

  it('an invalid COMPOSE_PROJECT_NAME is a UsageError naming its source', async () => {
    const { err } = await failure(files, { env: { COMPOSE_PROJECT_NAME: 'Bad Name' } });
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('invalid project name "Bad Name" (from COMPOSE_PROJECT_NAME)');
  });
});

describe('.env and interpolation', () => {
  it('.env in the project directory feeds interpolation', async () => {
    const { project } = await load({ 'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n', '.env': 'TAG=1.27\n' });
    expect(svc(project, 'web').image).toBe('nginx:1.27');
  });

  it('the process environment (env option) wins over .env', async () => {
    const { project } = await load(
      { 'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n    environment: ["OTHER=${OTHER}"]\n', '.env': 'TAG=1.27\nOTHER=dotenv\n' },
      { env: { TAG: 'from-env' } },
    );
    expect(svc(project, 'web').image).toBe('nginx:from-env');
    expect(svc(project, 'web').environment).toEqual({ OTHER: 'dotenv' });
  });

  it('--env-file replaces .env', async () => {
    const { project, warnings } = await load(
      {
        'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n    environment: ["ONLY=${ONLY_IN_DOTENV}"]\n',
        '.env': 'TAG=dotenv\nONLY_IN_DOTENV=yes\n',
        'prod.env': 'TAG=prod\n',
      },
      { envFiles: ['prod.env'] },
    );
    expect(svc(project, 'web').image).toBe('nginx:prod');
    expect(svc(project, 'web').environment).toEqual({ ONLY: '' });
    expect(warnings.map((w) => w.code)).toEqual(['unset_variable']);
  });

  it('several --env-file apply in order, later ones winning', async () => {
    const { project } = await load(
      { 'compose.yaml': 'services:\n  web:\n    image: "${A}:${B}"\n', 'a.env': 'A=a1\nB=b1\n', 'b.env': 'B=b2\n' },
      { envFiles: ['a.env', 'b.env'] },
    );
    expect(svc(project, 'web').image).toBe('a1:b2');
  });

  it('a missing --env-file is an error naming the file', async () => {
    const { err, dir } = await failure({ 'compose.yaml': WEB }, { envFiles: ['nope.env'] });
    expect(err).toBeInstanceOf(StackFileError);
    expect(err.code).toBe('env_file_not_found');
    expect(err.message).toContain(path.join(dir, 'nope.env'));
  });

  it('a bad line in .env is reported with its line', async () => {
    const { list, dir } = await problems({ 'compose.yaml': WEB, '.env': 'A=1\n# comment\nnot a name=2\n' });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('invalid_env_file');
    expect(list[0]!.message).toContain('invalid variable name "not a name"');
    expect(list[0]!.location).toEqual({ file: path.join(dir, '.env'), line: 3, col: 1 });
  });

  it('an unset variable warns once, at its first use, even when used twice', async () => {
    const { project, warnings, dir } = await load({
      'compose.yaml': 'services:\n  web:\n    image: "nginx:${NOPE}"\n    environment:\n      A: "$NOPE"\n      B: ${ALSO_NOPE}\n',
    });
    expect(svc(project, 'web').image).toBe('nginx:');
    expect(svc(project, 'web').environment).toEqual({ A: '', B: '' });
    const unset = warnings.filter((w) => w.code === 'unset_variable');
    expect(unset).toHaveLength(2);
    expect(unset[0]!.message).toBe('the "NOPE" variable is not set: using an empty string');
    expect(unset[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 3, col: 5 });
    expect(unset[1]!.message).toContain('"ALSO_NOPE"');
    expect(unset[1]!.location?.line).toBe(6);
  });

  it('a default (${X:-d}) does not warn', async () => {
    const { project, warnings } = await load({ 'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG:-latest}"\n' });
    expect(svc(project, 'web').image).toBe('nginx:latest');
    expect(warnings).toEqual([]);
  });

  it('${X:?message} fails with the message and the line', async () => {
    const { list, dir } = await problems({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    environment:\n      DB_PASSWORD: "${DB_PASSWORD:?set DB_PASSWORD in .env}"\n',
    });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('required_variable');
    expect(list[0]!.message).toContain('required variable DB_PASSWORD is missing a value: set DB_PASSWORD in .env');
    expect(list[0]!.message).toContain('services.web.environment.DB_PASSWORD');
    expect(list[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 5, col: 7 });
  });

  it('an invalid template fails with its line', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    command: echo ${BROKEN\n' });
    expect(list[0]!.code).toBe('invalid_interpolation');
    expect(list[0]!.message).toContain('invalid interpolation format for services.web.command');
    expect(list[0]!.location?.line).toBe(4);
  });

  it('$$ is a literal $', async () => {
    const { project, warnings } = await load({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    command: echo $$HOME $${X}\n' });
    expect(svc(project, 'web').command).toEqual(['echo', '$HOME', '${X}']);
    expect(warnings).toEqual([]);
  });

  it('values are interpolated, keys are not', async () => {
    const { project } = await load(
      { 'compose.yaml': 'services:\n  web:\n    image: nginx\n    environment:\n      ${KEY}: ${VALUE}\n    labels:\n      $KEY: x\n' },
      { env: { KEY: 'k', VALUE: 'v' } },
    );
    expect(svc(project, 'web').environment).toEqual({ '${KEY}': 'v' });
    expect(svc(project, 'web').labels).toEqual({ $KEY: 'x' });
  });

  it('an interpolated value is validated after interpolation, at the original line', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    restart: ${POLICY}\n' }, { env: { POLICY: 'sometimes' } });
    expect(list[0]!.message).toContain('invalid value "sometimes"');
    expect(list[0]!.location?.line).toBe(4);
  });

  it('`- NAME` without a value takes NAME from the environment, when set', async () => {
    const { project } = await load(
      { 'compose.yaml': 'services:\n  web:\n    image: nginx\n    environment:\n      - FROM_ENV\n      - NOT_SET\n' },
      { env: { FROM_ENV: 'hello' } },
    );
    expect(svc(project, 'web').environment).toEqual({ FROM_ENV: 'hello', NOT_SET: null });
  });
});

describe('YAML features', () => {
  it('anchors, aliases and << merge keys', async () => {
    const { project } = await load({
      'compose.yaml': `
x-common: &common
  image: app:1
  restart: always
  environment: &env
    LOG: debug
services:
  a:
    <<: *common
  b:
    <<: *common
    restart: "no"
    environment:
      <<: *env
      EXTRA: "1"
  c:
    image: other
    environment: *env
`,
    });
    expect(svc(project, 'a')).toMatchObject({ image: 'app:1', restart: 'always', environment: { LOG: 'debug' } });
    expect(svc(project, 'b')).toMatchObject({ image: 'app:1', restart: 'no', environment: { LOG: 'debug', EXTRA: '1' } });
    expect(svc(project, 'c').environment).toEqual({ LOG: 'debug' });
    expect(project.extensions).toMatchObject({ 'x-common': { image: 'app:1' } });
  });

  it('<< with a list of mappings: earlier sources win', async () => {
    const { project } = await load({
      'compose.yaml': `
x-a: &a {image: from-a, restart: always}
x-b: &b {image: from-b, hostname: hb}
services:
  s:
    <<: [*a, *b]
`,
    });
    expect(svc(project, 's')).toMatchObject({ image: 'from-a', restart: 'always', hostname: 'hb' });
  });

  it('a leading-zero integer is octal, as in go-yaml v3 (mode: 0440)', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    secrets:\n      - source: s\n        mode: 0440\n      - source: t\n        mode: "0440"\n      - source: u\n        mode: 440\nsecrets:\n  s: {file: ./s}\n  t: {file: ./t}\n  u: {file: ./u}\n',
    });
    expect(svc(project, 'web').secrets?.map((s) => s.mode)).toEqual([0o440, 0o440, 440]);
  });
});

describe('profiles', () => {
  const stack = {
    'compose.yaml': `
services:
  web:
    image: nginx
  debug:
    image: busybox
    profiles: [dev]
  tools:
    image: alpine
    profiles: [dev, ops]
`,
  };

  it('a service with profiles is disabled by default, and kept aside', async () => {
    const { project } = await load(stack);
    expect(Object.keys(project.services)).toEqual(['web']);
    expect(Object.keys(project.disabled_services)).toEqual(['debug', 'tools']);
    expect(project.profiles).toEqual([]);
  });

  it('--profile enables it', async () => {
    const { project } = await load(stack, { profiles: ['ops'] });
    expect(Object.keys(project.services)).toEqual(['web', 'tools']);
    expect(Object.keys(project.disabled_services)).toEqual(['debug']);
    expect(project.profiles).toEqual(['ops']);
  });

  it('COMPOSE_PROFILES (comma-separated) enables it too; --profile replaces it (compose-go WithDefaultProfiles)', async () => {
    const fromEnv = await load(stack, { env: { COMPOSE_PROFILES: 'dev, ops' } });
    expect(Object.keys(fromEnv.project.services)).toEqual(['web', 'debug', 'tools']);
    expect(fromEnv.project.profiles).toEqual(['dev', 'ops']);
    const { project } = await load(stack, { env: { COMPOSE_PROFILES: 'dev' }, profiles: ['ops'] });
    expect(project.profiles).toEqual(['ops']);
  });

  it('"*" enables every profile', async () => {
    const { project } = await load(stack, { profiles: ['*'] });
    expect(Object.keys(project.disabled_services)).toEqual([]);
  });

  it('depending on a disabled service is an error naming its profiles, at the depends_on line', async () => {
    const { list, dir } = await problems({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    depends_on:\n      - debug\n  debug:\n    image: busybox\n    profiles: [dev]\n',
    });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('dependency_disabled');
    expect(list[0]!.message).toBe('service "web" depends on "debug", which is not enabled by the active profiles');
    expect(list[0]!.hint).toContain('--profile dev');
    expect(list[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 5, col: 9 });
  });

  it('an optional dependency on a disabled service only warns', async () => {
    const { project, warnings } = await load({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    depends_on:\n      debug:\n        condition: service_started\n        required: false\n  debug:\n    image: busybox\n    profiles: [dev]\n',
    });
    expect(Object.keys(project.services)).toEqual(['web']);
    expect(warnings.map((w) => [w.code, w.location?.line])).toEqual([['optional_dependency_missing', 5]]);
  });
});

describe('extends', () => {
  it('within the same file: local keys win, mappings merge', async () => {
    const { project } = await load({
      'compose.yaml': `
services:
  base:
    image: app
    environment: {A: "1", B: "2"}
    ports: ["80"]
  web:
    extends: base
    environment: {B: "20"}
    ports: ["9090:81"]
`,
    });
    const web = svc(project, 'web');
    expect(web.image).toBe('app');
    expect(web.environment).toEqual({ A: '1', B: '20' });
    expect(web.ports.map((p) => [p.published, p.target])).toEqual([[undefined, 80], ['9090', 81]]);
    expect((web as unknown as Record<string, unknown>).extends).toBeUndefined();
  });

  it('a chain of three', async () => {
    const { project } = await load({
      'compose.yaml': `
services:
  c:
    extends: {service: b}
    labels: {level: c}
  b:
    extends: a
    hostname: from-b
  a:
    image: from-a
    labels: {level: a, origin: a}
`,
    });
    expect(svc(project, 'c')).toMatchObject({ image: 'from-a', hostname: 'from-b', labels: { level: 'c', origin: 'a' } });
    expect(svc(project, 'b')).toMatchObject({ image: 'from-a', hostname: 'from-b' });
  });

  it('from a file in another directory: its relative paths resolve against that file', async () => {
    const { project, dir } = await load({
      'app/compose.yaml': `
services:
  web:
    extends:
      file: ../common/base.yaml
      service: app
    environment: {LOCAL: "1"}
    volumes: [./local:/local]
`,
      'common/base.yaml': `
services:
  app:
    build: ./src
    environment: {SHARED: "1"}
    volumes:
      - ./conf:/conf:ro
    env_file: ./app.env
`,
      'common/app.env': 'FROM_FILE=yes\n',
    }, { files: ['app/compose.yaml'] });
    expect(project.working_dir).toBe(path.join(dir, 'app'));
    const web = svc(project, 'web');
    expect(web.build?.context).toBe(path.join(dir, 'common/src'));
    expect(web.volumes).toEqual([
      { type: 'bind', source: path.join(dir, 'common/conf'), target: '/conf', read_only: true, bind: { create_host_path: true } },
      { type: 'bind', source: path.join(dir, 'app/local'), target: '/local', bind: { create_host_path: true } },
    ]);
    expect(web.environment).toEqual({ FROM_FILE: 'yes', SHARED: '1', LOCAL: '1' });
  });

  it('extends of an unknown service is an error at the extends line', async () => {
    const { list, dir } = await problems({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n  api:\n    extends:\n      service: wbe\n',
    });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('extends_unknown');
    expect(list[0]!.message).toBe('service "api" extends "wbe", which is not defined');
    expect(list[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 5, col: 5 });
  });

  it('an extends cycle is an error, not a hang: reported once, with the chain, at the first extends', async () => {
    const { list } = await problems({
      'compose.yaml': 'services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n',
    });
    expect(list.map((p) => [p.code, p.message, p.location?.line])).toEqual([
      ['extends_cycle', 'extends cycle: compose.yaml:a → compose.yaml:b → compose.yaml:a', 4],
    ]);
  });

  it('extends of a service missing in another file names that file', async () => {
    const { list, dir } = await problems({
      'compose.yaml': 'services:\n  web:\n    extends:\n      file: other.yaml\n      service: nope\n',
      'other.yaml': 'services:\n  app:\n    image: x\n',
    });
    expect(list[0]!.code).toBe('extends_unknown');
    expect(list[0]!.message).toContain(path.join(dir, 'other.yaml'));
    expect(list[0]!.location?.line).toBe(3);
  });

  it('extends of a missing file is an error at the extends line', async () => {
    const { list, dir } = await problems({ 'compose.yaml': 'services:\n  web:\n    extends:\n      file: missing.yaml\n      service: app\n' });
    expect(list[0]!.code).toBe('file_not_found');
    expect(list[0]!.message).toContain(path.join(dir, 'missing.yaml'));
    expect(list[0]!.location).toMatchObject({ file: path.join(dir, 'compose.yaml'), line: 3 });
  });
});

describe('include', () => {
  it('included services join, with paths relative to the included file', async () => {
    const { project, dir } = await load({
      'compose.yaml': 'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: nginx\n    depends_on: [db]\n',
      'db/compose.yaml': `
services:
  db:
    build: .
    volumes:
      - ./data:/var/lib/postgresql/data
    env_file: [db.env]
volumes:
  unused: {}
`,
      'db/db.env': 'POSTGRES_DB=app\n',
    });
    expect(Object.keys(project.services).sort()).toEqual(['db', 'web']);
    const db = svc(project, 'db');
    expect(db.build?.context).toBe(path.join(dir, 'db'));
    expect(db.volumes[0]).toMatchObject({ type: 'bind', source: path.join(dir, 'db/data') });
    expect(db.environment).toEqual({ POSTGRES_DB: 'app' });
    expect(Object.keys(project.volumes)).toEqual(['unused']);
  });

  it('long syntax with several paths', async () => {
    const { project } = await load({
      'compose.yaml': 'include:\n  - path: [a/a.yaml, b/b.yaml]\nservices:\n  web:\n    image: nginx\n',
      'a/a.yaml': 'services:\n  a:\n    image: a\n',
      'b/b.yaml': 'services:\n  b:\n    image: b\n',
    });
    expect(Object.keys(project.services).sort()).toEqual(['a', 'b', 'web']);
  });

  it('a service defined both here and in the included file: this file\'s definition merged over it (compose-go >= 2.10)', async () => {
    const { project } = await load({
      'compose.yaml': 'include:\n  - other.yaml\nservices:\n  web:\n    image: nginx\n    environment:\n      B: !reset null\n      C: "3"\n',
      'other.yaml': 'services:\n  web:\n    image: httpd\n    environment: {A: "1", B: "2"}\n    labels: {l: v}\n',
    });
    expect(svc(project, 'web').image).toBe('nginx');
    expect(svc(project, 'web').environment).toEqual({ A: '1', C: '3' });
    expect(svc(project, 'web').labels).toEqual({ l: 'v' });
  });

  it('a missing included file is an error at the include entry', async () => {
    const { list, dir } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\ninclude:\n  - nope.yaml\n' });
    expect(list[0]!.code).toBe('file_not_found');
    expect(list[0]!.message).toContain(`included file: stack file not found: ${path.join(dir, 'nope.yaml')}`);
    expect(list[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 5, col: 5 });
  });

  it('an include cycle is an error, not a hang', async () => {
    const { list } = await problems({
      'compose.yaml': 'include: [a.yaml]\nservices:\n  web:\n    image: nginx\n',
      'a.yaml': 'include: [b.yaml]\nservices:\n  a:\n    image: a\n',
      'b.yaml': 'include: [a.yaml]\nservices:\n  b:\n    image: b\n',
    });
    expect(list.map((p) => p.code)).toContain('include_cycle');
  });
});

describe('x- extensions', () => {
  it('are kept on the project, services and resources, and never validated', async () => {
    const { project } = await load({
      'compose.yaml': `
x-top: {anything: [1, 2, {deep: true}]}
services:
  web:
    image: nginx
    x-custom:
      whatever: goes
      notAComposeKey: 1
  x-not-a-service:
    bogus: key
networks:
  front:
    x-net: 1
`,
    });
    expect(project.extensions).toEqual({ 'x-top': { anything: [1, 2, { deep: true }] } });
    expect(svc(project, 'web').extensions).toEqual({ 'x-custom': { whatever: 'goes', notAComposeKey: 1 } });
    expect((svc(project, 'web') as unknown as Record<string, unknown>)['x-custom']).toBeUndefined();
    expect(Object.keys(project.services)).toEqual(['web']);
    expect(project.networks.front?.extensions).toEqual({ 'x-net': 1 });
  });

  it('a key without x- is still an unknown key, with a did-you-mean and line', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    enviroment: {A: "1"}\n' });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('unknown_key');
    expect(list[0]!.message).toBe('unknown key "enviroment" in service "web": did you mean "environment"?');
    expect(list[0]!.location?.line).toBe(4);
  });
});

describe('short and long syntaxes', () => {
  it('ports: host ip, protocol, ranges, long syntax', async () => {
    const { project } = await load({
      'compose.yaml': `
services:
  web:
    image: nginx
    ports:
      - "127.0.0.1:8080:80/udp"
      - "8000-8002:80-82"
      - "3000"
      - 9000
      - target: 443
        published: "8443"
        host_ip: "::1"
        mode: host
`,
    });
    expect(svc(project, 'web').ports).toEqual([
      { host_ip: '127.0.0.1', published: '8080', target: 80, protocol: 'udp', mode: 'ingress' },
      { published: '8000', target: 80, protocol: 'tcp', mode: 'ingress' },
      { published: '8001', target: 81, protocol: 'tcp', mode: 'ingress' },
      { published: '8002', target: 82, protocol: 'tcp', mode: 'ingress' },
      { target: 3000, protocol: 'tcp', mode: 'ingress' },
      { target: 9000, protocol: 'tcp', mode: 'ingress' },
      { host_ip: '::1', published: '8443', target: 443, protocol: 'tcp', mode: 'host' },
    ]);
  });

  it('an invalid port is reported at its line', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"\n      - "8000-8001:80-82"\n' });
    expect(list[0]!.code).toBe('invalid_port');
    expect(list).toHaveLength(1);
    expect(list[0]!.message).toBe('services.web.ports: invalid port "8000-8001:80-82"');
    // At the item's own line, though indexes shift once ranges are expanded.
    expect(list[0]!.location?.line).toBe(6);
  });

  it('volumes: bind with absolute source and read_only, named, anonymous, long syntax', async () => {
    const { project, dir } = await load({
      'compose.yaml': `
services:
  web:
    image: nginx
    volumes:
      - ./data:/data:ro
      - db:/var/lib/db
      - /cache
      - /abs/path:/abs:rw
      - type: tmpfs
        target: /tmp
        tmpfs:
          size: 64m
volumes:
  db: {}
`,
    });
    expect(svc(project, 'web').volumes).toEqual([
      { type: 'bind', source: path.join(dir, 'data'), target: '/data', read_only: true, bind: { create_host_path: true } },
      { type: 'volume', source: 'db', target: '/var/lib/db' },
      { type: 'volume', target: '/cache' },
      { type: 'bind', source: '/abs/path', target: '/abs', read_only: false, bind: { create_host_path: true } },
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 64 * 1024 * 1024 } },
    ]);
  });

  it('depends_on list → service_started, required; environment list → map', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    depends_on: [db]\n    environment:\n      - A=1\n      - B=x=y\n      - C=\n  db:\n    image: postgres\n',
    });
    expect(svc(project, 'web').depends_on).toEqual({ db: { condition: 'service_started', required: true, restart: false } });
    expect(svc(project, 'web').environment).toEqual({ A: '1', B: 'x=y', C: '' });
  });

  it('env_file is read into environment; environment wins; required: false may be missing', async () => {
    const { project } = await load({
      'compose.yaml': `
services:
  web:
    image: nginx
    env_file:
      - common.env
      - path: ./missing.env
        required: false
    environment:
      B: from-environment
`,
      'common.env': 'A=from-file\nB=from-file\n# comment\nC="quoted value"\n',
    });
    expect(svc(project, 'web').environment).toEqual({ A: 'from-file', B: 'from-environment', C: 'quoted value' });
    expect((svc(project, 'web') as unknown as Record<string, unknown>).env_file).toBeUndefined();
  });

  it('a missing required env_file is an error at its line', async () => {
    const { list, dir } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    env_file:\n      - ok.env\n      - missing.env\n', 'ok.env': 'A=1\n' });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('env_file_not_found');
    expect(list[0]!.message).toBe(`env file ${path.join(dir, 'missing.env')} not found`);
    expect(list[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 6, col: 9 });
  });

  it('healthcheck: a test string becomes CMD-SHELL; NONE disables', async () => {
    const { project } = await load({
      'compose.yaml': `
services:
  web:
    image: nginx
    healthcheck:
      test: curl -f http://localhost || exit 1
      interval: 90s
      timeout: 1.5s
      start_period: 2m
      retries: 3
  db:
    image: postgres
    healthcheck:
      test: ["NONE"]
`,
    });
    expect(svc(project, 'web').healthcheck).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost || exit 1'],
      interval: '1m30s',
      timeout: '1.5s',
      start_period: '2m0s',
      retries: 3,
    });
    expect(svc(project, 'db').healthcheck).toEqual({ disable: true });
  });

  it('durations, sizes and cpus are parsed', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    stop_grace_period: 90s\n    mem_limit: 512m\n    shm_size: 1g\n    memswap_limit: -1\n    cpus: "0.5"\n',
    });
    const web = svc(project, 'web');
    expect(web.stop_grace_period).toBe('1m30s');
    expect(web.mem_limit).toBe(536870912);
    expect(web.shm_size).toBe(1073741824);
    expect(web.memswap_limit).toBe(-1);
    expect(web.cpus).toBe(0.5);
  });

  it('an invalid duration is reported at its line with the value', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 10 seconds\n' });
    expect(list[0]!.code).toBe('invalid_duration');
    expect(list[0]!.message).toContain('"10 seconds"');
    expect(list[0]!.location?.line).toBe(6);
  });

  it('command as a string is split like a shell would', async () => {
    const { project } = await load({ 'compose.yaml': `services:\n  web:\n    image: nginx\n    command: sh -c 'echo "a b"; sleep 1'\n` });
    expect(svc(project, 'web').command).toEqual(['sh', '-c', 'echo "a b"; sleep 1']);
  });

  it('networks: default when none; list → map; declared ones', async () => {
    const { project } = await load({
      'compose.yaml': 'name: p\nservices:\n  a:\n    image: x\n  b:\n    image: x\n    networks: [front]\nnetworks:\n  front: {}\n',
    });
    expect(svc(project, 'a').networks).toEqual({ default: null });
    expect(svc(project, 'b').networks).toEqual({ front: null });
    expect(project.networks).toEqual({ front: { name: 'p_front' }, default: { name: 'p_default' } });
  });
});

describe('resources and scale', () => {
  it('deploy.resources.limits vs cpus / mem_limit: disagreeing is conflicting_limits at the line', async () => {
    const { list, dir } = await problems({
      'compose.yaml': `services:
  web:
    image: nginx
    cpus: 1
    mem_limit: 1g
    deploy:
      resources:
        limits:
          cpus: "0.5"
          memory: 1024m
`,
    });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('conflicting_limits');
    expect(list[0]!.message).toBe('service "web": cpus (1) and deploy.resources.limits.cpus (0.5) disagree');
    expect(list[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 4, col: 5 });
  });

  it('agreeing values are fine, whatever the spelling', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    cpus: 0.5\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits:\n          cpus: "0.50"\n          memory: 1024m\n        reservations:\n          memory: 256m\n',
    });
    const web = svc(project, 'web');
    expect(web.cpus).toBe(0.5);
    expect(web.mem_limit).toBe(1024 ** 3);
    expect(web.mem_reservation).toBe(256 * 1024 ** 2);
    expect(web.deploy?.resources?.limits).toEqual({ cpus: 0.5, memory: 1024 ** 3 });
  });

  it('deploy.replicas sets scale; scale alone too; default 1', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  a:\n    image: x\n    deploy:\n      replicas: 3\n  b:\n    image: x\n    scale: 2\n  c:\n    image: x\n  d:\n    image: x\n    scale: 2\n    deploy: {replicas: 2}\n',
    });
    expect(Object.values(project.services).map((s) => s.scale)).toEqual([3, 2, 1, 2]);
  });

  it('scale and deploy.replicas that disagree are conflicting_scale at the scale line', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 2\n    scale: 3\n' });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('conflicting_scale');
    expect(list[0]!.message).toBe('service "web": scale (3) and deploy.replicas (2) disagree');
    expect(list[0]!.location?.line).toBe(6);
  });
});

describe('lifecycle hooks and build.ssh', () => {
  it('hooks: a string command is split like a service\'s, environment lists become maps, flags are parsed', async () => {
    const { project } = await load({
      'compose.yaml': `services:
  web:
    image: nginx
    post_start:
      - command: echo "hello there"
        privileged: "true"
        environment: [A=1, FROM_TUG]
    pre_stop:
      - command: [sh, -c, "sleep 1"]
        user: root
        working_dir: /srv
    pre_start:
      - image: busybox
      - command: ./migrate up
        per_replica: "false"
        environment: {B: 2}
`,
    }, { env: { FROM_TUG: 'yes' } });
    const web = svc(project, 'web');
    // As compose-go loads hooks, and docker/compose runs them: a variable without a value is not taken from the environment.
    expect(web.post_start).toEqual([{ command: ['echo', 'hello there'], privileged: true, environment: { A: '1', FROM_TUG: null } }]);
    expect(web.pre_stop).toEqual([{ command: ['sh', '-c', 'sleep 1'], user: 'root', working_dir: '/srv' }]);
    expect(web.pre_start).toEqual([{ image: 'busybox' }, { command: ['./migrate', 'up'], per_replica: false, environment: { B: '2' } }]);
  });

  it('pre_start is accepted by the schema; a post_start without a command is not', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    post_start:\n      - user: root\n' });
    expect(list.map((d) => d.path)).toContain('services.web.post_start[0]');
  });

  it('build.ssh in its mapping form reads as the list form', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  web:\n    build:\n      context: .\n      ssh:\n        default:\n        key: /run/agent.sock\n',
    });
    expect(svc(project, 'web').build?.ssh).toEqual(['default', 'key=/run/agent.sock']);
  });
});
