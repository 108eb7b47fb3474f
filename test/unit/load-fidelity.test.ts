/**
 * Compose fidelity: files that tug used to read differently from Docker Compose v2
 * (compose-go). Each test names the compose-go (or docker/compose) rule it checks.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackInvalidError, type Diagnostic } from '../../src/errors.js';
import { specCompiler } from '../../src/run/compile.js';
import { translate } from '../../src/run/swarm/config.js';
import { parseDotenv, parseRawEnv } from '../../src/stack/dotenv.js';
import { loadProject, type LoadOptions } from '../../src/stack/load.js';
import { objectEnvironment } from '../../src/stack/object-env.js';
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

describe('COMPOSE_* variables and the two .env files (docker compose toProjectOptions)', () => {
  const A = 'services:\n  a:\n    image: a\n';
  const B = 'services:\n  b:\n    image: b\n';

  it('COMPOSE_FILE and COMPOSE_PATH_SEPARATOR set in .env choose the files', async () => {
    const { project, dir } = await load({ '.env': 'COMPOSE_PATH_SEPARATOR=;\nCOMPOSE_FILE=one.yaml;two.yaml\n', 'one.yaml': A, 'two.yaml': B });
    expect(project.config_files).toEqual([path.join(dir, 'one.yaml'), path.join(dir, 'two.yaml')]);
  });

  it('COMPOSE_FILE set in --env-file; -f still beats it', async () => {
    const { project, dir } = await load({ 'vars.env': 'COMPOSE_FILE=two.yaml\n', 'one.yaml': A, 'two.yaml': B }, { envFiles: ['vars.env'] });
    expect(project.config_files).toEqual([path.join(dir, 'two.yaml')]);
    const withFlag = await load({ 'vars.env': 'COMPOSE_FILE=two.yaml\n', 'one.yaml': A, 'two.yaml': B }, { envFiles: ['vars.env'], files: ['one.yaml'] });
    expect(Object.keys(withFlag.project.services)).toEqual(['a']);
  });

  it('COMPOSE_PROFILES and COMPOSE_PROJECT_NAME from .env; --profile and -p replace them', async () => {
    const files = { '.env': 'COMPOSE_PROFILES=dev\nCOMPOSE_PROJECT_NAME=fromenv\n', 'compose.yaml': 'services:\n  a:\n    image: a\n    profiles: [dev]\n  b:\n    image: b\n    profiles: [ops]\n' };
    const plain = await load(files);
    expect(plain.project.name).toBe('fromenv');
    expect(Object.keys(plain.project.services)).toEqual(['a']);
    const flagged = await load(files, { profiles: ['ops'], projectName: 'flag' });
    expect(flagged.project.name).toBe('flag');
    expect(Object.keys(flagged.project.services)).toEqual(['b']);
  });

  it('COMPOSE_ENV_FILES in the process environment replaces .env; --env-file replaces it', async () => {
    const files = { '.env': 'TAG=dotenv\n', 'x.env': 'TAG=x\n', 'y.env': 'TAG=y\n', 'compose.yaml': 'services:\n  a:\n    image: a:${TAG}\n' };
    expect(svc((await load(files, { env: { COMPOSE_ENV_FILES: 'x.env' } })).project, 'a').image).toBe('a:x');
    expect(svc((await load(files, { env: { COMPOSE_ENV_FILES: 'x.env,y.env' } })).project, 'a').image).toBe('a:y');
    expect(svc((await load(files, { env: { COMPOSE_ENV_FILES: 'x.env' }, envFiles: ['y.env'] })).project, 'a').image).toBe('a:y');
    // Only the process environment's: set in .env it names nothing (docker compose reads it before any .env).
    expect(svc((await load({ ...files, '.env': 'TAG=dotenv\nCOMPOSE_ENV_FILES=x.env\n' })).project, 'a').image).toBe('a:dotenv');
  });

  it('a missing COMPOSE_ENV_FILES file is an error, as a missing --env-file is', async () => {
    const dir = makeDir({ 'compose.yaml': A });
    await expect(loadProject({ cwd: dir, env: { COMPOSE_ENV_FILES: 'nope.env' } })).rejects.toMatchObject({ code: 'env_file_not_found' });
  });

  it('found in a parent: the working directory .env and the project .env combine, the nearer (working directory) winning', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  a:\n    image: a:${TAG}-${ONLY_TOP}-${ONLY_SUB}\n',
      '.env': 'TAG=top\nONLY_TOP=t\n',
      'sub/.env': 'TAG=sub\nONLY_SUB=s\n',
    });
    const project = await loadProject({ cwd: path.join(dir, 'sub'), env: {} });
    expect(svc(project, 'a').image).toBe('a:sub-t-s');
    // COMPOSE_FILE in the working directory's .env is honoured there, too.
    const other = makeDir({ 'stack/one.yaml': A, 'stack/.env': 'TAG=x\n', 'work/.env': 'COMPOSE_FILE=../stack/one.yaml\n' });
    expect((await loadProject({ cwd: path.join(other, 'work'), env: {} })).config_files).toEqual([path.join(other, 'stack/one.yaml')]);
  });

  it('the shell wins over both .env files, and COMPOSE_DISABLE_ENV_FILE skips them', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  a:\n    image: a:${TAG:-none}\n', '.env': 'TAG=top\n', 'sub/.env': 'TAG=sub\n' });
    expect(svc(await loadProject({ cwd: path.join(dir, 'sub'), env: { TAG: 'shell' } }), 'a').image).toBe('a:shell');
    expect(svc(await loadProject({ cwd: path.join(dir, 'sub'), env: { COMPOSE_DISABLE_ENV_FILE: 'true' } }), 'a').image).toBe('a:none');
  });

  it('discovery takes compose-go\'s names in its order, and any override name', async () => {
    const { project, dir, warnings } = await load({ 'docker-compose.yaml': A, 'docker-compose.yml': B, 'compose.override.yaml': 'services:\n  b:\n    environment: [X=1]\n' });
    expect(project.config_files).toEqual([path.join(dir, 'docker-compose.yml'), path.join(dir, 'compose.override.yaml')]);
    expect(svc(project, 'b').environment).toEqual({ X: '1' });
    expect(warnings.map((w) => w.message)).toEqual([`found several stack files in ${dir}: docker-compose.yml, docker-compose.yaml; using docker-compose.yml`]);
  });
});

describe('include: its own environment (compose-go ApplyInclude)', () => {
  it('interpolates with its env_file, which only adds to the including environment', async () => {
    const { project } = await load({
      '.env': 'TAG=main\n',
      'inc/vars.env': 'TAG=inc\nEXTRA=e\n',
      'inc/compose.yaml': 'services:\n  inner:\n    image: inner:${TAG}-${EXTRA}\n',
      'compose.yaml': 'include:\n  - path: inc/compose.yaml\n    env_file: inc/vars.env\nservices:\n  outer:\n    image: outer:${EXTRA:-unset}\n',
    });
    expect(svc(project, 'inner').image).toBe('inner:main-e');
    expect(svc(project, 'outer').image).toBe('outer:unset');
  });

  it('without env_file, reads the .env of the included project directory', async () => {
    const { project } = await load({
      'inc/.env': 'TAG=incdot\n',
      'inc/compose.yaml': 'services:\n  inner:\n    image: inner:${TAG}\n',
      'compose.yaml': 'include: [inc/compose.yaml]\n',
    });
    expect(svc(project, 'inner').image).toBe('inner:incdot');
  });

  it('a missing env_file is reported at the include', async () => {
    const { list } = await problems({
      'inc/compose.yaml': 'services:\n  inner:\n    image: x\n',
      'compose.yaml': 'include:\n  - path: inc/compose.yaml\n    env_file: nope.env\n',
    });
    expect(list[0]).toMatchObject({ code: 'env_file_not_found', location: { line: 3 } });
  });
});

describe('secrets and configs with environment: read the project environment at load time', () => {
  const FILES = {
    '.env': 'TOKEN=from-dotenv\n',
    'compose.yaml': 'services:\n  web:\n    image: x\n    secrets: [s]\n    configs: [c]\nsecrets:\n  s:\n    environment: TOKEN\nconfigs:\n  c:\n    environment: TOKEN\n',
  };

  it('the value comes from .env, and tug config does not print it (compose-go MarshalYAML)', async () => {
    const { project } = await load(FILES);
    expect(objectEnvironment(project)).toEqual({ TOKEN: 'from-dotenv' });
    expect(toYaml(project)).not.toContain('from-dotenv');
    expect(toJson(project)).not.toContain('from-dotenv');
    expect(project.secrets.s).toEqual({ name: `${project.name}_s`, environment: 'TOKEN' });
  });

  it('the container request and the swarm objects get it, not the process environment', async () => {
    const { project } = await load(FILES);
    const plan = specCompiler(project, { apiVersion: '1.41' }).spec('web', 1);
    expect(plan.copies.map((f) => [f.path, f.content])).toEqual([['/run/secrets/s', 'from-dotenv'], ['/c', 'from-dotenv']]);
    const swarm = translate(project);
    expect(JSON.stringify(swarm)).toContain(Buffer.from('from-dotenv').toString('base64'));
  });

  it('an include\'s env_file supplies it to a secret the include defines', async () => {
    const { project } = await load({
      'inc/vars.env': 'PASS=inc-secret\n',
      'inc/compose.yaml': 'services:\n  db:\n    image: x\n    secrets: [p]\nsecrets:\n  p:\n    environment: PASS\n',
      'compose.yaml': 'include:\n  - path: inc/compose.yaml\n    env_file: inc/vars.env\n',
    });
    expect(objectEnvironment(project)).toEqual({ PASS: 'inc-secret' });
  });

  it('a variable set nowhere is still refused when the container is compiled', async () => {
    const { project } = await load({ 'compose.yaml': FILES['compose.yaml'] });
    expect(() => specCompiler(project, { apiVersion: '1.41' }).spec('web', 1)).toThrow(/reads variable TOKEN, which is not set/);
  });
});

describe('a file without a YAML document adds nothing (compose-go\'s decoder meets EOF at once)', () => {
  it('in a -f list, it is skipped; only a project made of nothing is an error', async () => {
    const { project } = await load({ 'one.yaml': 'services:\n  a:\n    image: a\n', 'empty.yaml': '# nothing here yet\n\n' }, { files: ['one.yaml', 'empty.yaml'] });
    expect(Object.keys(project.services)).toEqual(['a']);
    const dir = makeDir({ 'x.yaml': '', 'y.yaml': '# only a comment\n' });
    await expect(loadProject({ cwd: dir, env: {}, files: ['x.yaml', 'y.yaml'] })).rejects.toMatchObject({
      code: 'file_empty', message: `the stack files are all empty: ${path.join(dir, 'x.yaml')}, ${path.join(dir, 'y.yaml')}`,
    });
  });

  it('an included file with no document adds nothing', async () => {
    const { project } = await load({ 'inc.yaml': '# later\n', 'compose.yaml': 'include: [inc.yaml]\nservices:\n  a:\n    image: a\n' });
    expect(Object.keys(project.services)).toEqual(['a']);
  });
});

describe('build args without a value (docker compose resolveAndMergeBuildArgs: Resolve(project environment))', () => {
  it('take the project environment\'s value, from the shell or .env, in list and mapping syntax; are dropped when unset (compose-go Normalize)', async () => {
    const { project } = await load({
      '.env': 'SENTRY_IMAGE=getsentry/sentry:24\n',
      'compose.yaml': 'services:\n  a:\n    build:\n      context: .\n      args: [SENTRY_IMAGE, FROM_SHELL, UNSET, SET=given]\n  b:\n    build:\n      context: .\n      args:\n        SENTRY_IMAGE:\n        EMPTY: ""\n',
    }, { env: { FROM_SHELL: 'sh' } });
    expect(svc(project, 'a').build?.args).toEqual({ SENTRY_IMAGE: 'getsentry/sentry:24', FROM_SHELL: 'sh', SET: 'given' });
    expect(toYaml(project)).not.toContain('UNSET');
    expect(svc(project, 'b').build?.args).toEqual({ SENTRY_IMAGE: 'getsentry/sentry:24', EMPTY: '' });
  });
});

describe('tug config prints a build\'s Dockerfile (compose-go Normalize: dockerfile defaults to "Dockerfile")', () => {
  it('when neither dockerfile nor dockerfile_inline is given', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  a:\n    build: .\n  b:\n    build: {context: ., dockerfile: other.Dockerfile}\n  c:\n    build: {context: ., dockerfile_inline: "FROM x"}\n',
    });
    const printed = JSON.parse(toJson(project)) as { services: Record<string, { build: Record<string, unknown> }> };
    expect(printed.services.a!.build.dockerfile).toBe('Dockerfile');
    expect(printed.services.b!.build.dockerfile).toBe('other.Dockerfile');
    expect(printed.services.c!.build).not.toHaveProperty('dockerfile');
    // The Project itself is unchanged (its config hash too): only the print names the default.
    expect(svc(project, 'a').build?.dockerfile).toBeUndefined();
  });
});

describe('a key without a value in a Mapping (compose-go types.Mapping) is the empty string', () => {
  it('annotations and sysctls', async () => {
    const { project } = await load({ 'compose.yaml': 'services:\n  a:\n    image: a\n    annotations: [com.example.flag]\n    sysctls: {net.ipv4.ip_forward: }\n' });
    expect(svc(project, 'a').annotations).toEqual({ 'com.example.flag': '' });
    expect(svc(project, 'a').sysctls).toEqual({ 'net.ipv4.ip_forward': '' });
  });
});

describe('container paths are cleaned before files merge (compose-go cleanTarget / path.Clean)', () => {
  it('volumes, devices, tmpfs, secrets and configs meet by their cleaned target', async () => {
    const { project } = await load({
      'base.yaml': [
        'services:',
        '  a:',
        '    image: a',
        '    volumes: ["data:/data/", {type: tmpfs, target: "/cache//"}]',
        '    devices: ["/dev/sda:/dev/xvda/:r"]',
        '    tmpfs: ["/run/", "/tmp:size=1m"]',
        '    secrets: [{source: s, target: /run/secrets/s/}]',
        '    configs: [{source: c, target: /etc/c/./}]',
        'volumes: {data: {}, other: {}}',
        'secrets: {s: {file: ./s}}',
        'configs: {c: {file: ./c}}',
      ].join('\n'),
      'over.yaml': [
        'services:',
        '  a:',
        '    volumes: ["other:/data", {type: tmpfs, target: /cache}]',
        '    devices: [{source: /dev/sdb, target: /dev/xvda, permissions: rw}]',
        '    tmpfs: ["/run", "/tmp/:size=2m"]',
        '    secrets: [{source: s, target: /run/secrets/s, mode: 0400}]',
        '    configs: [{source: c, target: /etc/c}]',
      ].join('\n'),
      s: 'x', c: 'y',
    }, { files: ['base.yaml', 'over.yaml'] });
    const a = svc(project, 'a');
    expect(a.volumes.map((v) => [v.target, v.source])).toEqual([['/data', 'other'], ['/cache', undefined]]);
    expect(a.devices).toEqual([{ source: '/dev/sdb', target: '/dev/xvda', permissions: 'rw' }]);
    expect(a.tmpfs).toEqual(['/run', '/tmp:size=2m']);
    expect(a.secrets).toEqual([{ source: 's', target: '/run/secrets/s', mode: 0o400 }]);
    expect(a.configs).toEqual([{ source: 'c', target: '/etc/c' }]);
  });

  it('a device of more than three parts is refused at its line (compose-go: confusing device mapping)', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  a:\n    image: a\n    devices:\n      - /dev/a:/dev/b:rwm:extra\n' });
    expect(list.map((p) => [p.message, p.location?.line])).toEqual([['services.a.devices: confusing device mapping "/dev/a:/dev/b:rwm:extra"', 5]]);
  });
});

describe('ports outside 1-65535 are refused at their line, in every syntax', () => {
  it.each([
    ['"70000:80"', 'port 70000 in "70000:80"'],
    ['"8080:65536"', 'port 65536 in "8080:65536"'],
    ['"127.0.0.1:8000-70000:80-81"', 'port 70000 in "127.0.0.1:8000-70000:80-81"'],
    ['"[::1]:80:0/udp"', 'port 0 in "[::1]:80:0/udp"'],
    ['"0"', 'port 0 in "0"'],
    ['"0-1:80-81"', 'port 0 in "0-1:80-81"'],
    ['{target: 0}', 'container port 0'],
    ['"1-99999999"', 'port 99999999 in "1-99999999"'],
    ['70000', 'port 70000 in "70000"'],
    ['{target: 70000}', 'container port 70000'],
    ['{target: 80, published: 70000}', 'published port 70000'],
    ['{target: 80, published: "8000-65536"}', 'published port 65536'],
  ])('%s', async (spec, what) => {
    const { list } = await problems({ 'compose.yaml': `services:\n  web:\n    image: x\n    ports:\n      - "8080:80"\n      - ${spec}\n` });
    expect(list.map((p) => [p.code, p.message, p.location?.line])).toEqual([['invalid_port', `services.web.ports: ${what} is out of range: ports are 1 to 65535`, 6]]);
  });

  it('a published port of 0 alone is the engine\'s pick of a free one, as `docker run -p 0:80` (go-connections takes 0-65535)', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  web:\n    image: x\n    scale: 2\n    ports: ["0:80", "127.0.0.1:0:81/udp", {target: 82, published: 0}]\n  api:\n    image: y\n    ports: ["0:80"]\n',
    });
    expect(svc(project, 'web').ports.map((p) => [p.host_ip, p.published, p.target, p.protocol])).toEqual([
      [undefined, '0', 80, 'tcp'], ['127.0.0.1', '0', 81, 'udp'], [undefined, '0', 82, 'tcp'],
    ]);
    // Neither a clash between services nor a fixed port under scale: each container gets its own.
    expect(svc(project, 'api').ports[0]!.published).toBe('0');
  });

  it('the bounds themselves are fine', async () => {
    const { project } = await load({ 'compose.yaml': 'services:\n  web:\n    image: x\n    ports: ["1:65535", {target: 65535, published: "1-2"}]\n' });
    expect(svc(project, 'web').ports.map((p) => [p.published, p.target])).toEqual([['1', 65535], ['1-2', 65535]]);
  });
});

describe('current Compose keys load: provider, pre_start, build.no_cache_filter', () => {
  const FILE = [
    'services:',
    '  web:',
    '    image: nginx',
    '    depends_on: [ai]',
    '    pre_start:',
    '      - command: ./migrate --up',
    '        image: busybox',
    '        per_replica: "true"',
    '        environment: [MODE=init, TOKEN]',
    '    build:',
    '      context: .',
    '      no_cache_filter: base',
    '  ai:',
    '    provider:',
    '      type: model',
    '      options:',
    '        model: ai/smollm2',
    '        flags: [a, b]',
  ].join('\n');

  it('are typed in the model and printed by config', async () => {
    const { project } = await load({ 'compose.yaml': FILE }, { env: { TOKEN: 't' } });
    const web = svc(project, 'web');
    expect(web.pre_start).toEqual([{ command: ['./migrate', '--up'], image: 'busybox', per_replica: true, environment: { MODE: 'init', TOKEN: null } }]);
    expect(web.build?.no_cache_filter).toEqual(['base']);
    expect(svc(project, 'ai').provider).toEqual({ type: 'model', options: { model: 'ai/smollm2', flags: ['a', 'b'] } });
    const printed = toYaml(project);
    expect(printed).toContain('  ai:\n    networks:\n      default: null\n    provider:\n      options:\n        flags:\n          - a\n          - b\n        model: ai/smollm2\n      type: model\n');
    expect(printed).toContain('    pre_start:\n      - command:\n          - ./migrate\n          - "--up"\n');
  });

  it('a provider needs a type (compose-go schema)', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  ai:\n    provider:\n      options: {model: x}\n' });
    expect(list.map((p) => [p.code, p.location?.line])).toEqual([['missing_key', 3]]);
    expect(list[0]!.message).toContain('"type"');
  });

  it('up refuses a provider service, saying what one is', async () => {
    const { project } = await load({ 'compose.yaml': FILE });
    expect(() => specCompiler(project, { apiVersion: '1.44' }).spec('ai', 1)).toThrow(/provider is not supported by tug: a provider service is not a container: Compose hands its setup and teardown to the provider plugin/);
  });
});

describe('each warning once', () => {
  it('a file read twice (by -f and by extends: file:) warns once', async () => {
    const { warnings } = await load({
      'base.yaml': 'services:\n  base:\n    image: x:${TAG}\n    labels: {a: !foo bar}\n',
      'compose.yaml': 'services:\n  web:\n    extends: {file: base.yaml, service: base}\n    profiles: [dev]\n  db:\n    extends: {file: base.yaml, service: base}\n',
    }, { files: ['compose.yaml', 'base.yaml'] });
    expect(warnings.map((w) => w.message)).toEqual(['Unresolved tag: !foo', 'the "TAG" variable is not set: using an empty string']);
  });
});

describe('aliases share what they name, and stay independent after merging', () => {
  it('a change to one alias\'s use (override, !reset, extends) leaves the other uses alone', async () => {
    const { project } = await load({
      'compose.yaml': [
        'x-env: &env {A: "1", B: "2"}',
        'x-svc: &svc {image: x, environment: *env, labels: {l: v}}',
        'services:',
        '  a: *svc',
        '  b: *svc',
        '  c:',
        '    <<: *svc',
        '    environment: *env',
        '  d:',
        '    extends: a',
        '    environment: {D: "4"}',
      ].join('\n'),
      'over.yaml': 'services:\n  a:\n    environment:\n      A: changed\n      B: !reset null\n    labels: {m: w}\n',
    }, { files: ['compose.yaml', 'over.yaml'] });
    expect(svc(project, 'a').environment).toEqual({ A: 'changed' });
    expect(svc(project, 'a').labels).toEqual({ l: 'v', m: 'w' });
    expect(svc(project, 'b').environment).toEqual({ A: '1', B: '2' });
    expect(svc(project, 'b').labels).toEqual({ l: 'v' });
    expect(svc(project, 'c').environment).toEqual({ A: '1', B: '2' });
    expect(svc(project, 'd').environment).toEqual({ A: '1', B: '2', D: '4' });
  });

  it('nesting through shared aliases still counts toward the depth limit', async () => {
    const levels = 120;
    let text = 'x-a0: &a0 [1]\n';
    for (let i = 1; i <= levels; i++) text += `x-a${i}: &a${i} [*a${i - 1}, *a${i - 1}]\n`;
    text += `x-top: [*a${levels}, *a${levels}]\n`;
    const dir = makeDir({ 'compose.yaml': `services:\n  web:\n    image: x\n${text}` });
    // Every level doubles what the top expands to: refused as an alias bomb before anything is walked.
    await expect(loadProject({ cwd: dir, env: {} })).rejects.toMatchObject({ code: 'yaml_alias_bomb' });
    let deep = 'x-d0: &d0 {v: 1}\n';
    for (let i = 1; i <= 250; i++) deep += `x-d${i}: &d${i} {v: *d${i - 1}}\n`;
    const deepDir = makeDir({ 'compose.yaml': `services:\n  web:\n    image: x\n${deep}x-top: {v: *d250}\n` });
    await expect(loadProject({ cwd: deepDir, env: {} })).rejects.toMatchObject({ code: 'yaml_too_deep' });
  });
});

describe('paths in a top-level file from another directory resolve against the project directory (compose-go localResourceLoader)', () => {
  it('include and extends: file', async () => {
    const { project } = await load({
      'compose.yaml': 'services:\n  a:\n    image: a\n',
      'inc.yaml': 'services:\n  inc:\n    image: inc\n',
      'base.yaml': 'services:\n  base:\n    image: base\n',
      'over/override.yaml': 'include: [inc.yaml]\nservices:\n  b:\n    extends: {file: base.yaml, service: base}\n',
    }, { files: ['compose.yaml', 'over/override.yaml'] });
    expect(Object.keys(project.services).sort()).toEqual(['a', 'b', 'inc']);
    expect(svc(project, 'b').image).toBe('base');
  });
});

describe('a file of several YAML documents merges them in order (compose-go TestLoadMulmtiDocumentYaml)', () => {
  const MULTI = 'name: load-multi-docs\nservices:\n  test:\n    image: nginx:latest\n    environment: {A: "1", B: "2"}\n---\nservices:\n  test:\n    image: nginx:override\n    environment:\n      B: !reset null\n  other:\n    image: x\n';

  it('later documents override earlier ones, !reset included, and problems point into the right document', async () => {
    const { project } = await load({ 'compose.yaml': MULTI });
    expect(project.name).toBe('load-multi-docs');
    expect(svc(project, 'test').image).toBe('nginx:override');
    expect(svc(project, 'test').environment).toEqual({ A: '1' });
    expect(Object.keys(project.services).sort()).toEqual(['other', 'test']);
    const { list } = await problems({ 'compose.yaml': 'services:\n  a:\n    image: a\n---\nservices:\n  b:\n    image: b\n    cpus: lots\n' });
    expect(list.map((p) => [p.path, p.location?.line])).toEqual([['services.b.cpus', 8]]);
  });

  it('read the same from the parse cache, and in an included file', async () => {
    const first = await load({ 'compose.yaml': MULTI });
    const again = await loadProject({ cwd: first.dir, env: {} });
    expect(svc(again, 'test').image).toBe('nginx:override');
    const { project } = await load({ 'inc.yaml': MULTI.replace('name: load-multi-docs\n', ''), 'compose.yaml': 'include: [inc.yaml]\n' });
    expect(Object.keys(project.services).sort()).toEqual(['other', 'test']);
  });

  it('an empty document after ---  is refused at its line', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  a:\n    image: a\n---\n' });
    await expect(loadProject({ cwd: dir, env: {} })).rejects.toMatchObject({ code: 'top_level_not_mapping', location: { line: 4 } });
  });
});

describe('label_file is read while loading (compose-go WithServicesLabelsResolved)', () => {
  it('files in order, interpolated from earlier files\' labels only, the service\'s labels over them', async () => {
    const { project } = await load({
      'one.labels': 'team=core\nowner=${team}-owners\n',
      'two.labels': 'com.example.tier=${team}\nowner=${NOT_A_LABEL:-nobody}\n',
      'compose.yaml': 'services:\n  a:\n    image: a\n    label_file: [one.labels, two.labels]\n    labels: {team: web}\n',
    }, { env: { NOT_A_LABEL: 'from-env' } });
    expect(svc(project, 'a').labels).toEqual({ team: 'web', owner: 'nobody', 'com.example.tier': 'core' });
    expect(svc(project, 'a').label_file).toBeUndefined();
  });

  it('a missing label file is an error at its entry', async () => {
    const { list } = await problems({ 'compose.yaml': 'services:\n  a:\n    image: a\n    label_file:\n      - nope.labels\n' });
    expect(list.map((p) => [p.code, p.location?.line])).toEqual([['env_file_not_found', 5]]);
  });
});
