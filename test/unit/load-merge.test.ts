/**
 * The Compose Specification's merge rules, end to end: real files on disk, loaded through
 * loadProject with several `-f` files, compared on the normalised Project.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackInvalidError, type Diagnostic } from '../../src/errors.js';
import { loadProject, type LoadOptions } from '../../src/stack/load.js';
import { tempDirs } from '../support.js';
import type { Project, Service } from '../../src/stack/model.js';

const makeDir = tempDirs();

interface Loaded {
  project: Project;
  warnings: Diagnostic[];
  dir: string;
}

/** Loads `files` (written in order) as `-f` files; the environment is always explicit. */
async function load(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<Loaded> {
  const dir = makeDir(files);
  const warnings: Diagnostic[] = [];
  const project = await loadProject({
    cwd: dir,
    files: Object.keys(files).filter((f) => f.endsWith('.yaml')),
    env: {},
    onWarning: (d) => warnings.push(d),
    ...opts,
  });
  return { project, warnings, dir };
}

async function loadError(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<{ err: StackInvalidError; dir: string }> {
  const dir = makeDir(files);
  const err = await loadProject({ cwd: dir, files: Object.keys(files).filter((f) => f.endsWith('.yaml')), env: {}, ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StackInvalidError);
  return { err: err as StackInvalidError, dir };
}

function svc(p: Project, name: string): Service {
  const s = p.services[name];
  expect(s, `service ${name}`).toBeDefined();
  return s!;
}

describe('merge: mappings and scalars', () => {
  it('deep-merges mappings and replaces scalars', async () => {
    const { project } = await load({
      'base.yaml': `
services:
  web:
    image: nginx:1.25
    restart: always
    build:
      context: .
      args:
        A: "1"
        B: "2"
    deploy:
      resources:
        limits:
          memory: 512m
`,
      'override.yaml': `
services:
  web:
    image: nginx:1.27
    build:
      args:
        B: "20"
        C: "3"
    deploy:
      resources:
        limits:
          cpus: "0.5"
`,
    });
    const web = svc(project, 'web');
    expect(web.image).toBe('nginx:1.27');
    expect(web.restart).toBe('always');
    expect(web.build?.args).toEqual({ A: '1', B: '20', C: '3' });
    expect(web.deploy?.resources?.limits).toEqual({ memory: 512 * 1024 * 1024, cpus: 0.5 });
    expect(web.mem_limit).toBe(512 * 1024 * 1024);
    expect(web.cpus).toBe(0.5);
  });

  it('adds services, networks and volumes that only the override defines', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n',
      'override.yaml': 'services:\n  db:\n    image: postgres\n    volumes: [pg:/var/lib/postgresql/data]\nvolumes:\n  pg: {}\n',
    });
    expect(Object.keys(project.services)).toEqual(['web', 'db']);
    expect(project.volumes.pg?.name).toBe(`${path.basename(project.working_dir).toLowerCase().replace(/[^a-z0-9_-]/g, '')}_pg`);
    expect(project.config_files.map((f) => path.basename(f))).toEqual(['base.yaml', 'override.yaml']);
  });

  it('the top-level name: of a later file wins', async () => {
    const { project } = await load({
      'base.yaml': 'name: first\nservices:\n  web:\n    image: nginx\n',
      'override.yaml': 'name: second\n',
    });
    expect(project.name).toBe('second');
  });
});

describe('merge: environment and labels by key, across syntaxes', () => {
  it('environment: base list, override map', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    environment:\n      - A=1\n      - B=2\n',
      'override.yaml': 'services:\n  web:\n    environment:\n      B: "3"\n      C: "4"\n',
    });
    expect(svc(project, 'web').environment).toEqual({ A: '1', B: '3', C: '4' });
  });

  it('environment: base map, override list', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    environment:\n      A: one\n      B: two\n',
      'override.yaml': 'services:\n  web:\n    environment: [A=uno, D=quattro]\n',
    });
    expect(svc(project, 'web').environment).toEqual({ A: 'uno', B: 'two', D: 'quattro' });
  });

  it('labels: base map, override list (a bare label is the empty string)', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    labels:\n      com.example.tier: web\n      com.example.team: a\n',
      'override.yaml': 'services:\n  web:\n    labels:\n      - com.example.team=b\n      - com.example.flag\n',
    });
    expect(svc(project, 'web').labels).toEqual({ 'com.example.tier': 'web', 'com.example.team': 'b', 'com.example.flag': '' });
  });
});

describe('merge: ports', () => {
  const base = 'services:\n  web:\n    image: nginx\n    ports:\n      - "8080:80"\n';

  it('an identical port in the override is not doubled', async () => {
    const { project } = await load({ 'base.yaml': base, 'override.yaml': 'services:\n  web:\n    ports: ["8080:80"]\n' });
    expect(svc(project, 'web').ports).toEqual([{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }]);
  });

  it('the same port in long syntax meets the short one by key', async () => {
    const { project } = await load({
      'base.yaml': base,
      'override.yaml': 'services:\n  web:\n    ports:\n      - target: 80\n        published: 8080\n',
    });
    expect(svc(project, 'web').ports).toHaveLength(1);
  });

  it('a different published port for the same target is appended', async () => {
    const { project } = await load({ 'base.yaml': base, 'override.yaml': 'services:\n  web:\n    ports: ["9090:80"]\n' });
    expect(svc(project, 'web').ports.map((p) => `${p.published}:${p.target}`)).toEqual(['8080:80', '9090:80']);
  });

  it('another protocol or host ip is another binding', async () => {
    const { project } = await load({
      'base.yaml': base,
      'override.yaml': 'services:\n  web:\n    ports: ["8080:80/udp", "127.0.0.1:8081:80"]\n',
    });
    expect(svc(project, 'web').ports.map((p) => [p.host_ip, p.published, p.target, p.protocol])).toEqual([
      [undefined, '8080', 80, 'tcp'],
      [undefined, '8080', 80, 'udp'],
      ['127.0.0.1', '8081', 80, 'tcp'],
    ]);
  });

  it('ports: !reset [] removes every port of the base', async () => {
    const { project } = await load({ 'base.yaml': base, 'override.yaml': 'services:\n  web:\n    ports: !reset []\n' });
    expect(svc(project, 'web').ports).toEqual([]);
  });

  it('ports: !override replaces the list', async () => {
    const { project } = await load({ 'base.yaml': base, 'override.yaml': 'services:\n  web:\n    ports: !override ["9000:90"]\n' });
    expect(svc(project, 'web').ports).toEqual([{ target: 90, published: '9000', protocol: 'tcp', mode: 'ingress' }]);
  });
});

describe('merge: volumes, secrets and configs by target', () => {
  it('an override volume with the same target replaces the base one', async () => {
    const { project, dir } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    volumes:\n      - ./data:/data\n      - ./logs:/logs\n',
      'override.yaml': 'services:\n  web:\n    volumes:\n      - store:/data:ro\n      - ./cache:/cache\nvolumes:\n  store: {}\n',
    });
    const vols = svc(project, 'web').volumes;
    expect(vols.map((v) => v.target)).toEqual(['/data', '/logs', '/cache']);
    expect(vols[0]).toMatchObject({ type: 'volume', source: 'store', read_only: true });
    expect(vols[1]).toMatchObject({ type: 'bind', source: path.join(dir, 'logs') });
    expect(vols[2]).toMatchObject({ type: 'bind', source: path.join(dir, 'cache') });
  });

  it('secrets and configs: same target replaced, new ones appended', async () => {
    const { project } = await load({
      'base.yaml': `
services:
  web:
    image: nginx
    secrets: [token, other]
    configs:
      - source: conf
        target: /etc/app.conf
secrets:
  token: {file: ./token.txt}
  other: {file: ./other.txt}
  token2: {file: ./token2.txt}
configs:
  conf: {file: ./a.conf}
  conf2: {file: ./b.conf}
`,
      'override.yaml': `
services:
  web:
    secrets:
      - source: token2
        target: token
    configs:
      - source: conf2
        target: /etc/app.conf
        mode: 0440
`,
    });
    const web = svc(project, 'web');
    expect(web.secrets).toEqual([
      { source: 'token2', target: '/run/secrets/token' },
      { source: 'other', target: '/run/secrets/other' },
    ]);
    expect(web.configs).toEqual([{ source: 'conf2', target: '/etc/app.conf', mode: 0o440 }]);
  });
});

describe('merge: sequences', () => {
  it('command and entrypoint are replaced, whatever the syntax', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    command: ["npm", "start"]\n    entrypoint: /bin/sh -c\n',
      'override.yaml': 'services:\n  web:\n    command: node "server 2.js"\n    entrypoint: ["tini", "--"]\n',
    });
    const web = svc(project, 'web');
    expect(web.command).toEqual(['node', 'server 2.js']);
    expect(web.entrypoint).toEqual(['tini', '--']);
  });

  it('healthcheck.test is replaced while the rest of healthcheck merges', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    healthcheck:\n      test: ["CMD", "curl", "-f", "http://localhost"]\n      interval: 10s\n      retries: 3\n',
      'override.yaml': 'services:\n  web:\n    healthcheck:\n      test: wget -q -O- localhost\n      retries: 5\n',
    });
    expect(svc(project, 'web').healthcheck).toEqual({
      test: ['CMD-SHELL', 'wget -q -O- localhost'],
      interval: '10s',
      retries: 5,
    });
  });

  it('other sequences are appended without duplicates', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    dns: [1.1.1.1, 8.8.8.8]\n    cap_add: [NET_ADMIN]\n    dns_search: example.com\n',
      'override.yaml': 'services:\n  web:\n    dns: [8.8.8.8, 9.9.9.9]\n    cap_add: [SYS_TIME, NET_ADMIN]\n    dns_search: [example.com, example.org]\n',
    });
    const web = svc(project, 'web');
    expect(web.dns).toEqual(['1.1.1.1', '8.8.8.8', '9.9.9.9']);
    expect(web.cap_add).toEqual(['NET_ADMIN', 'SYS_TIME']);
    expect(web.dns_search).toEqual(['example.com', 'example.org']);
  });

  it('depends_on merges by service, the override condition winning', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres\n  cache:\n    image: redis\n',
      'override.yaml': 'services:\n  web:\n    depends_on:\n      db:\n        condition: service_healthy\n      cache:\n        condition: service_started\n',
    });
    expect(svc(project, 'web').depends_on).toEqual({
      db: { condition: 'service_healthy', required: true, restart: false },
      cache: { condition: 'service_started', required: true, restart: false },
    });
  });
});

describe('merge: !reset and !override', () => {
  it('!reset on a mapping entry removes that key only', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    environment:\n      FOO: foo\n      BAR: bar\n',
      'override.yaml': 'services:\n  web:\n    environment:\n      FOO: !reset null\n',
    });
    expect(svc(project, 'web').environment).toEqual({ BAR: 'bar' });
  });

  it('!reset removes a scalar key and a whole mapping', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    container_name: fixed\n    healthcheck:\n      test: ["CMD", "true"]\n',
      'override.yaml': 'services:\n  web:\n    container_name: !reset null\n    healthcheck: !reset {}\n',
    });
    const web = svc(project, 'web');
    expect(web.container_name).toBeUndefined();
    expect(web.healthcheck).toBeUndefined();
    expect(web.image).toBe('nginx');
  });

  it('!reset of a whole service removes it', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n  debug:\n    image: busybox\n',
      'override.yaml': 'services:\n  debug: !reset null\n',
    });
    expect(Object.keys(project.services)).toEqual(['web']);
  });

  it('!override replaces a whole mapping instead of merging it', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    environment: [A=1, B=2]\n    labels: {x: "1"}\n',
      'override.yaml': 'services:\n  web:\n    environment: !override\n      C: "3"\n    labels: {y: "2"}\n',
    });
    const web = svc(project, 'web');
    expect(web.environment).toEqual({ C: '3' });
    expect(web.labels).toEqual({ x: '1', y: '2' });
  });

  it('!override replaces an appended sequence', async () => {
    const { project } = await load({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    cap_add: [NET_ADMIN, SYS_TIME]\n',
      'override.yaml': 'services:\n  web:\n    cap_add: !override [CHOWN]\n',
    });
    expect(svc(project, 'web').cap_add).toEqual(['CHOWN']);
  });
});

describe('merge: logging', () => {
  const base = 'services:\n  web:\n    image: nginx\n    logging:\n      driver: json-file\n      options:\n        max-size: 10m\n        max-file: "3"\n';

  it('a different driver replaces the whole logging section', async () => {
    const { project } = await load({
      'base.yaml': base,
      'override.yaml': 'services:\n  web:\n    logging:\n      driver: syslog\n      options:\n        syslog-address: "udp://1.2.3.4:514"\n',
    });
    expect(svc(project, 'web').logging).toEqual({ driver: 'syslog', options: { 'syslog-address': 'udp://1.2.3.4:514' } });
  });

  it('the same driver, or none, merges the options', async () => {
    const { project } = await load({
      'base.yaml': base,
      'override.yaml': 'services:\n  web:\n    logging:\n      options:\n        max-size: 50m\n',
    });
    expect(svc(project, 'web').logging).toEqual({ driver: 'json-file', options: { 'max-size': '50m', 'max-file': '3' } });
  });
});

describe('merge: several files and sources', () => {
  it('three files apply in order', async () => {
    const { project } = await load({
      'a.yaml': 'services:\n  web:\n    image: one\n    environment: {A: a, B: a, C: a}\n    dns: [1.1.1.1]\n',
      'b.yaml': 'services:\n  web:\n    image: two\n    environment: {B: b, C: b}\n    dns: [2.2.2.2]\n',
      'c.yaml': 'services:\n  web:\n    environment: {C: c}\n    dns: [3.3.3.3, 1.1.1.1]\n',
    });
    const web = svc(project, 'web');
    expect(web.image).toBe('two');
    expect(web.environment).toEqual({ A: 'a', B: 'b', C: 'c' });
    expect(web.dns).toEqual(['1.1.1.1', '2.2.2.2', '3.3.3.3']);
  });

  it('the order of -f matters: the last file wins', async () => {
    const files = { 'a.yaml': 'services:\n  web:\n    image: from-a\n', 'b.yaml': 'services:\n  web:\n    image: from-b\n' };
    expect(svc((await load(files, { files: ['a.yaml', 'b.yaml'] })).project, 'web').image).toBe('from-b');
    expect(svc((await load(files, { files: ['b.yaml', 'a.yaml'] })).project, 'web').image).toBe('from-a');
  });

  it('COMPOSE_FILE lists the files with a `:` separator', async () => {
    const dir = makeDir({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n',
      'sub/dev.yaml': 'services:\n  web:\n    image: nginx:dev\n',
    });
    const project = await loadProject({ cwd: dir, env: { COMPOSE_FILE: 'base.yaml:sub/dev.yaml' } });
    expect(svc(project, 'web').image).toBe('nginx:dev');
    expect(svc(project, 'web').ports).toHaveLength(1);
    expect(project.config_files).toEqual([path.join(dir, 'base.yaml'), path.join(dir, 'sub/dev.yaml')]);
    expect(project.working_dir).toBe(dir);
  });

  it('-f files beat COMPOSE_FILE', async () => {
    const dir = makeDir({
      'a.yaml': 'services:\n  web:\n    image: from-a\n',
      'b.yaml': 'services:\n  web:\n    image: from-b\n',
    });
    const project = await loadProject({ cwd: dir, files: ['a.yaml'], env: { COMPOSE_FILE: 'b.yaml' } });
    expect(svc(project, 'web').image).toBe('from-a');
  });

  it('-f - reads the stack from stdin', async () => {
    const dir = makeDir({});
    const project = await loadProject({
      cwd: dir,
      files: ['-'],
      env: {},
      readStdin: async () => 'services:\n  web:\n    image: from-stdin\n    volumes: [./data:/data]\n',
    });
    expect(svc(project, 'web').image).toBe('from-stdin');
    expect(project.config_files).toEqual(['<stdin>']);
    expect(project.working_dir).toBe(dir);
    expect(svc(project, 'web').volumes[0]?.source).toBe(path.join(dir, 'data'));
  });

  it('-f - can be merged with a file on disk, in the given order', async () => {
    const dir = makeDir({ 'base.yaml': 'services:\n  web:\n    image: nginx\n    environment: {A: "1"}\n' });
    const project = await loadProject({
      cwd: dir,
      files: ['base.yaml', '-'],
      env: {},
      readStdin: async () => 'services:\n  web:\n    environment: {B: "2"}\n',
    });
    expect(svc(project, 'web').environment).toEqual({ A: '1', B: '2' });
    expect(project.config_files).toEqual([path.join(dir, 'base.yaml'), '<stdin>']);
  });

  it('an error in stdin names <stdin> and the line', async () => {
    const dir = makeDir({});
    const err = await loadProject({
      cwd: dir,
      files: ['-'],
      env: {},
      readStdin: async () => 'services:\n  web:\n    image: nginx\n    restart: sometimes\n',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackInvalidError);
    const d = (err as StackInvalidError).problems[0]!;
    expect(d.message).toMatch(/restart.*sometimes/);
    expect(d.location).toMatchObject({ file: '<stdin>', line: 4 });
  });
});

describe('merge: where errors point after merging', () => {
  it('a bad value written in the override points at the override', async () => {
    const { err, dir } = await loadError({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    restart: always\n',
      'override.yaml': '# override\nservices:\n  web:\n    restart: sometimes\n',
    });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.message).toContain('invalid value "sometimes"');
    expect(err.problems[0]!.location).toEqual({ file: path.join(dir, 'override.yaml'), line: 4, col: 5 });
  });

  it('a bad value only in the base still points at the base', async () => {
    const { err, dir } = await loadError({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    stop_grace_period: soon\n',
      'override.yaml': 'services:\n  web:\n    image: nginx:2\n',
    });
    expect(err.problems[0]!.code).toBe('invalid_duration');
    expect(err.problems[0]!.location).toMatchObject({ file: path.join(dir, 'base.yaml'), line: 4 });
  });

  it('a conflict created by the merge (two services on one host port) is reported', async () => {
    const { err, dir } = await loadError({
      'base.yaml': 'services:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n  api:\n    image: api\n',
      'override.yaml': 'services:\n  api:\n    ports: ["8080:3000"]\n',
    });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.code).toBe('host_port_conflict');
    expect(err.problems[0]!.message).toContain('host port 8080/tcp is published twice');
    expect(err.problems[0]!.location).toMatchObject({ file: path.join(dir, 'override.yaml'), line: 3 });
  });
});
