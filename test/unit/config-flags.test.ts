import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeTable, environmentOutput, variablesOutput } from '../../src/cli/config-output.js';
import { normaliseModel } from '../../src/stack/model-normalise.js';
import { canonicalFile } from '../../src/stack/shapes.js';
import { extractVariables } from '../../src/stack/variables.js';
import { writtenForms } from '../../src/stack/written-form.js';

const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin/tug.js');
let work: string;

function tug(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: work, encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK = `
services:
  web:
    image: busybox:\${TAG:-latest}
    environment:
      A: \${REQ:?set REQ}
      B: "$PLAIN and $$literal"
      C: \${ALT:+yes-\${NESTED:-x}}
    ports:
      - "\${PORT:-8080}:80"
    depends_on: [db]
  db:
    image: postgres
    pre_start:
      - image: alpine
        command: ["true"]
  app:
    build: .
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tug-config-flags-'));
  writeFileSync(join(work, 'compose.yaml'), STACK);
  writeFileSync(join(work, '.env'), 'REQ=1\nFROM_DOTENV=yes\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('extractVariables (compose-go ExtractVariables)', () => {
  it('finds $NAME and ${NAME...} in values, with defaults, alternates, required, nested ones, and skips $$', () => {
    const vars = extractVariables({ a: ['x $ONE y', '${TWO:-d}', '${THREE?msg}', '$$NOT ${FOUR+alt-${FIVE-z}}'], ['$KEY']: 'k' });
    expect([...vars.keys()].sort()).toEqual(['FIVE', 'FOUR', 'ONE', 'THREE', 'TWO']);
    expect(vars.get('TWO')).toEqual({ name: 'TWO', defaultValue: 'd', presenceValue: '', required: false });
    expect(vars.get('THREE')!.required).toBe(true);
    expect(vars.get('FOUR')!.presenceValue).toBe('alt-${FIVE-z}');
    expect(vars.get('FIVE')!.defaultValue).toBe('z');
  });
});

describe('the model --no-interpolate prints (compose-go Canonical with ignoreParseError, then Normalize)', () => {
  it('expands short forms whose ${VAR} does not stop them, and keeps a ports list with an unparsable entry whole, as written', () => {
    const doc = canonicalFile({
      services: {
        web: {
          image: 'x:${TAG}',
          ports: ['${PORT:-8080}:80', '443'],
          depends_on: ['db'],
          volumes: ['${DATA}:/data/:ro', '${SRC:-./src}:/src', './x:${DEST:-/y}'],
          environment: ['A=${A}', 'B'],
          networks: '${NETS}',
          build: '${CTX:-.}',
          extra_hosts: ['${HOST:-db}:10.0.0.1'],
        },
        db: { ports: ['5432', { target: 53, published: '${DNS}' }] },
      },
    }, true);
    const web = (doc.services as Record<string, Record<string, unknown>>).web!;
    expect(web.ports).toEqual(['${PORT:-8080}:80', '443']);
    expect(web.depends_on).toEqual({ db: { condition: 'service_started', required: true } });
    // A `:` inside ${...} does not split the spec (compose-go's ParseVolume); only . / ~ start a bind.
    expect(web.volumes).toEqual([
      { type: 'volume', source: '${DATA}', target: '/data', read_only: true },
      { type: 'volume', source: '${SRC:-./src}', target: '/src' },
      { type: 'bind', source: './x', target: '${DEST:-/y}', bind: { create_host_path: true } },
    ]);
    // Key-value attributes keep the form they were written in (compose-go's Canonical has no transform for them).
    expect(writtenForms(web.environment)).toEqual(['A=${A}', 'B']);
    expect(web.networks).toBe('${NETS}');
    expect(web.build).toEqual({ context: '${CTX:-.}' });
    expect(web.extra_hosts).toEqual(['${HOST:-db}:10.0.0.1']);
    expect((doc.services as Record<string, Record<string, unknown>>).db!.ports).toEqual([
      { target: 5432, protocol: 'tcp', mode: 'ingress' },
      { target: 53, published: '${DNS}', protocol: 'tcp', mode: 'ingress' },
    ]);
  });

  it('normalises as compose-go does: default network, resource names, build defaults, implied dependencies, valueless variables', () => {
    const m = normaliseModel({
      services: {
        web: {
          image: 'x', links: ['cache:c'], volumes_from: ['data:ro', 'container:other'], network_mode: 'service:vpn',
          environment: { SET: null, UNSET: null, A: '${A}' }, pull_policy: 'if_not_present',
          pre_start: [{ command: ['true'] }, { image: 'alpine' }],
        },
        app: { build: { args: { SET: null, UNSET: null, B: '1' } }, networks: { back: null } },
        plain: { image: 'y' },
      },
      networks: { back: {} },
      volumes: { data: null, ext: { external: true } },
    }, { projectName: 'demo', workingDir: '/proj', env: { SET: 'v' } });
    const services = m.services as Record<string, Record<string, unknown>>;
    expect(m.name).toBe('demo');
    expect(services.web!.networks).toBeUndefined();
    expect(services.plain!.networks).toEqual({ default: null });
    expect(services.app!.networks).toEqual({ back: null });
    expect(m.networks).toEqual({ back: { name: 'demo_back' }, default: { name: 'demo_default' } });
    expect(m.volumes).toEqual({ data: { name: 'demo_data' }, ext: { external: true, name: 'ext' } });
    expect(services.app!.build).toEqual({ context: '/proj', dockerfile: 'Dockerfile', args: { SET: 'v', B: '1' } });
    expect(services.web!.environment).toEqual({ SET: 'v', UNSET: null, A: '${A}' });
    expect(services.web!.pull_policy).toBe('missing');
    expect(services.web!.depends_on).toEqual({
      cache: { condition: 'service_started', restart: true, required: true },
      vpn: { condition: 'service_started', restart: true, required: true },
      data: { condition: 'service_started', restart: false, required: true },
    });
    expect(services.web!.pre_start).toEqual([{ command: ['true'], image: 'x' }, { image: 'alpine' }]);
  });
});

describe('config printers', () => {
  it('lays a table out as Go\'s tabwriter does for Compose: columns at least 20 wide, padding 3, last unpadded', () => {
    expect(composeTable([['NAME', 'X'], ['A_VERY_LONG_VARIABLE_NAME', 'y']])).toBe(
      'NAME                        X\nA_VERY_LONG_VARIABLE_NAME   y\n');
    expect(composeTable([['A', 'B', 'C'], ['a', '', 'c']])).toBe(`${'A'.padEnd(20)}${'B'.padEnd(20)}C\n${'a'.padEnd(20)}${''.padEnd(20)}c\n`);
  });

  it('prints variables as json with compose-go\'s field names', () => {
    const out = JSON.parse(variablesOutput(extractVariables({ x: '${A:-1}' }), 'json')) as unknown;
    expect(out).toEqual({ A: { Name: 'A', DefaultValue: '1', PresenceValue: '', Required: false } });
  });

  it('prints the environment sorted as KEY=VALUE', () => {
    expect(environmentOutput({ B: '2', A: 'x=y' })).toBe('A=x=y\nB=2\n');
  });
});

describe('tug config flags (built CLI)', () => {
  it('--variables prints the NAME/REQUIRED/DEFAULT VALUE/ALTERNATE VALUE table, sorted, without needing the values set', () => {
    const r = tug(['config', '--variables']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s{3,}/).map((c) => c.trim()));
    expect(rows[0]).toEqual(['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE']);
    expect(rows.map((row) => row[0])).toEqual(['NAME', 'ALT', 'NESTED', 'PLAIN', 'PORT', 'REQ', 'TAG']);
    expect(r.stdout).toMatch(/^REQ {17}true {16}\s*$/m);
    expect(r.stdout).toMatch(/^PORT {16}false {15}8080/m);
    expect(r.stdout).toMatch(/^ALT +false +yes-\$\{NESTED:-x\}$/m);
  });

  it('--images lists each service\'s image, <project>-<service> for a build-only one, and pre_start images', () => {
    const r = tug(['config', '--images', '-p', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['alpine', 'busybox:latest', 'demo-app', 'postgres']);
  });

  it('--environment prints what interpolation reads: the shell\'s variables and .env\'s', () => {
    const r = tug(['config', '--environment'], { FROM_SHELL: 'hello' });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('FROM_SHELL=hello');
    expect(lines).toContain('FROM_DOTENV=yes');
    expect(lines).toEqual([...lines].sort());
  });

  it('--no-interpolate keeps ${VAR} as written; the default output resolves it', () => {
    const raw = tug(['config', '--no-interpolate']);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toContain('${TAG:-latest}');
    expect(raw.stdout).toContain('${PORT:-8080}:80');
    expect(raw.stdout).toContain('$$literal');
    const resolved = tug(['config']);
    expect(resolved.stdout).toContain('busybox:latest');
    expect(resolved.stdout).not.toContain('${TAG');
    expect(tug(['config', '--no-interpolate', '--services']).stdout.trim().split('\n').sort()).toEqual(['app', 'db', 'web']);
  });

  it('--no-interpolate prints the normalised model, as docker compose does, with ${VAR} left where values cannot be read without it', () => {
    const r = tug(['config', '--no-interpolate', '--format', 'json', '-p', 'demo']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { name: string; networks: unknown; services: Record<string, Record<string, unknown>> };
    expect(m.name).toBe('demo');
    expect(m.networks).toEqual({ default: { name: 'demo_default' } });
    const { web, app, db } = m.services;
    expect(web!.image).toBe('busybox:${TAG:-latest}');
    expect(web!.ports).toEqual(['${PORT:-8080}:80']);
    expect(web!.depends_on).toEqual({ db: { condition: 'service_started', required: true } });
    expect(web!.networks).toEqual({ default: null });
    expect(web!.environment).toEqual({ A: '${REQ:?set REQ}', B: '$PLAIN and $$literal', C: '${ALT:+yes-${NESTED:-x}}' });
    expect(app!.build).toEqual({ context: work, dockerfile: 'Dockerfile' });
    expect(db!.pre_start).toEqual([{ image: 'alpine', command: ['true'] }]);
    // --no-normalize as well: the canonical files, without what normalising adds.
    const bare = JSON.parse(tug(['config', '--no-interpolate', '--no-normalize', '--format', 'json']).stdout) as typeof m;
    expect(bare.networks).toBeUndefined();
    expect(bare.services.app!.build).toEqual({ context: work });
    expect(bare.services.web!.depends_on).toEqual({ db: { condition: 'service_started', required: true } });
  });

  it('--no-interpolate keeps key-value lists as lists and mappings as mappings; two files setting one make a list (compose-go mergeToSequence)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-config-forms-'));
    try {
      writeFileSync(join(dir, 'compose.yaml'), [
        'services:',
        '  web:',
        '    image: x',
        '    environment: ["A=${A}", SET, UNSET]',
        '    labels: [com.b=1, com.a]',
        '    sysctls: [net.core.somaxconn=1024]',
        '    annotations: [a.b=c]',
        '    extra_hosts: ["db:10.0.0.1"]',
        '    build: {context: ., args: [SET, UNSET, GIVEN=1]}',
        '  map:',
        '    image: y',
        '    environment: {Z: "1", A: "2", SET: null}',
        '  child:',
        '    extends: map',
        '    environment: [C=3]',
        'networks:',
        '  back:',
        '    labels: [x=1]',
      ].join('\n'));
      writeFileSync(join(dir, 'over.yaml'), 'services:\n  map:\n    environment: {Z: "9", M: m}\n');
      const run = (extra: string[]) => spawnSync(process.execPath, [bin, '-f', 'compose.yaml', '-f', 'over.yaml', '-p', 'demo', 'config', '--no-interpolate', '--format', 'json', ...extra], {
        cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', SET: 'v' },
      });
      const r = run([]);
      expect(r.status, r.stderr).toBe(0);
      const m = JSON.parse(r.stdout) as { networks: Record<string, unknown>; services: Record<string, Record<string, unknown>> };
      const { web, map, child } = m.services;
      expect(web!.environment).toEqual(['A=${A}', 'SET=v', 'UNSET']);
      expect(web!.labels).toEqual(['com.b=1', 'com.a']);
      expect(web!.sysctls).toEqual(['net.core.somaxconn=1024']);
      expect(web!.annotations).toEqual(['a.b=c']);
      expect(web!.extra_hosts).toEqual(['db:10.0.0.1']);
      // Normalize drops a build arg without a value the environment cannot give.
      expect((web!.build as Record<string, unknown>).args).toEqual(['SET=v', 'GIVEN=1']);
      // Two mappings merged: each side's entries sorted, a key set twice in its first place with its last value.
      expect(map!.environment).toEqual(['A=2', 'SET=v', 'Z=9', 'M=m']);
      expect(child!.environment).toEqual(['A=2', 'SET=v', 'Z=1', 'C=3']);
      expect(m.networks.back).toEqual({ labels: ['x=1'], name: 'demo_back' });
      // compose-go resolves `- KEY` of a list environment even unnormalised; a mapping's null stays.
      const bare = JSON.parse(run(['--no-normalize']).stdout) as typeof m;
      expect(bare.services.web!.environment).toEqual(['A=${A}', 'SET=v', 'UNSET']);
      expect(bare.services.web!.build).toEqual({ context: dir, args: ['SET', 'UNSET', 'GIVEN=1'] });
      // Interpolated, the Project prints mappings, as Compose's does.
      const project = JSON.parse(spawnSync(process.execPath, [bin, '-p', 'demo', 'config', '--format', 'json'], {
        cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', SET: 'v', A: 'a' },
      }).stdout) as typeof m;
      expect(project.services.web!.environment).toEqual({ A: 'a', SET: 'v', UNSET: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--volumes, --networks and --profiles print one name a line; profiles sorted, disabled services\' too (docker compose runProfiles)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-config-lists-'));
    try {
      writeFileSync(join(dir, 'compose.yaml'), [
        'services:',
        '  web: {image: x, profiles: [web, debug], networks: [front], volumes: [data:/data]}',
        '  ops: {image: y, profiles: [ops, debug], networks: [back]}',
        '  db: {image: z, volumes: [logs:/logs]}',
        'volumes: {logs: {}, data: {}}',
        'networks: {front: {}, back: {}}',
      ].join('\n'));
      const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
      expect(run(['config', '--profiles'])).toMatchObject({ status: 0, stdout: 'debug\nops\nweb\n', stderr: '' });
      expect(run(['config', '--volumes']).stdout).toBe('data\nlogs\n');
      expect(run(['config', '--networks']).stdout).toBe('back\ndefault\nfront\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--no-normalize prints the merged, interpolated files without the default network normalising adds', () => {
    const normal = tug(['config']);
    expect(normal.stdout).toMatch(/networks:\n\s+default:/);
    const r = tug(['config', '--no-normalize']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('busybox:latest');
    expect(r.stdout).not.toMatch(/default:/);
  });

  it('prints an interpolated $ as $$, as Compose does, so that the output reads back as the same stack', () => {
    const r = tug(['config']);
    expect(r.stdout).toContain('B: " and $$literal"');
    writeFileSync(join(work, 'resolved.yaml'), r.stdout);
    const again = tug(['-f', 'resolved.yaml', '--project-directory', '.', 'config']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('B: " and $$literal"');
  });

  it('-o FILE writes the stack there and prints nothing', () => {
    const r = tug(['config', '-o', 'out.yaml']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(readFileSync(join(work, 'out.yaml'), 'utf8')).toBe(tug(['config']).stdout);
    const json = tug(['config', '--format', 'json', '--output', 'out.json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, 'out.json'), 'utf8'))).toMatchObject({ services: { web: { image: 'busybox:latest' } } });
    const bad = tug(['config', '-o', join(work, 'no/such/dir/x.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cannot write');
  });

  it('config SERVICE... keeps the named services and what they depend on, as Compose does', () => {
    expect(tug(['config', 'web', '--services']).stdout).toBe('db\nweb\n');
    expect(tug(['config', 'db', '--images']).stdout.trim().split('\n').sort()).toEqual(['alpine', 'postgres']);
    const yaml = tug(['config', 'app']).stdout;
    expect(yaml).toMatch(/^ {2}app:$/m);
    expect(yaml).not.toMatch(/^ {2}web:$/m);
    const bad = tug(['config', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no such service: nope');
  });

  it('--format table is only for --variables', () => {
    const r = tug(['config', '--format', 'table']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format table is for --variables');
  });
});
