/**
 * Property: whatever text a stack file holds, loadProject either returns a Project or rejects
 * with a TugError whose every diagnostic has a location (a file and a numeric line). Any other
 * exception — a TypeError deep in normalise, a RangeError from recursion — is a bug.
 *
 * Inputs: mutations of valid seed stacks (line edits, YAML punctuation, scalar swaps,
 * truncation), fully random strings, and schema-shaped documents with random values at known
 * keys. The text goes through `-f -` so no file is written per run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TugError, type Diagnostic } from '../../src/errors.js';
import { loadProject } from '../../src/stack/load.js';
import type { Project } from '../../src/stack/model.js';
import { parseBytes, parseCpus, parseDuration } from '../../src/stack/units.js';

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tug-'));
  // Something for env_file / bind mounts to find, so not every run stops at "not found".
  fs.writeFileSync(path.join(tmp, 'app.env'), 'FROM_FILE=1\n');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function checkDiagnostic(d: Diagnostic, text: string): void {
  const where = `for input ${JSON.stringify(text).slice(0, 2000)}`;
  expect(typeof d.code, where).toBe('string');
  expect(typeof d.message, where).toBe('string');
  expect(d.message.length, where).toBeGreaterThan(0);
  expect(d.location, `${d.code}: ${d.message} has no location ${where}`).toBeDefined();
  expect(typeof d.location!.file, where).toBe('string');
  expect(d.location!.file.length, where).toBeGreaterThan(0);
  expect(Number.isInteger(d.location!.line), `${d.code}: line ${String(d.location!.line)} ${where}`).toBe(true);
  expect(d.location!.line, where).toBeGreaterThanOrEqual(0);
  expect(Number.isInteger(d.location!.col), where).toBe(true);
}

/** The property itself: a Project, or a TugError with located diagnostics; nothing else. */
async function loadsOrTugError(text: string, files: string[] = ['-']): Promise<'ok' | 'rejected'> {
  const warnings: Diagnostic[] = [];
  let project: Project;
  try {
    project = await loadProject({ files, readStdin: async () => text, cwd: tmp, env: {}, onWarning: (w) => warnings.push(w) });
  } catch (err) {
    if (!(err instanceof TugError)) {
      const e = new Error(`not a TugError: ${String(err)}\ninput: ${JSON.stringify(text)}`);
      (e as Error & { cause?: unknown }).cause = err;
      throw e;
    }
    const ds = err.diagnostics();
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) checkDiagnostic(d, text);
    return 'rejected';
  }
  expect(typeof project.name).toBe('string');
  expect(project.services).toBeTypeOf('object');
  for (const s of Object.values(project.services)) {
    expect(Array.isArray(s.ports)).toBe(true);
    expect(Array.isArray(s.volumes)).toBe(true);
    expect(Number.isInteger(s.scale)).toBe(true);
  }
  for (const w of warnings) checkDiagnostic(w, text);
  return 'ok';
}

// ---------------------------------------------------------------------------------------------
// Seeds: valid stacks using most of the syntax a mutation can break.

const SEEDS: string[] = [
  `name: shop
x-common: &common
  restart: unless-stopped
  environment: &env
    LOG_LEVEL: info
    TZ: Etc/UTC
  logging:
    driver: json-file
    options: {max-size: 10m}
services:
  web:
    <<: *common
    image: "nginx:\${TAG:-1.27}"
    ports:
      - "127.0.0.1:8080:80"
      - "8443:443/tcp"
    volumes:
      - ./html:/usr/share/nginx/html:ro
      - cache:/var/cache/nginx
    depends_on:
      api:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost"]
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 1m
  api:
    <<: *common
    build:
      context: ./api
      args: [VERSION=1]
    environment:
      <<: *env
      DB_URL: postgres://db/app
    command: ["node", "server.js"]
    depends_on: [db]
    healthcheck:
      test: wget -q -O- localhost:3000/health || exit 1
  db:
    image: postgres:16
    volumes: [pg:/var/lib/postgresql/data]
    env_file: app.env
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 512m}
volumes:
  cache: {}
  pg:
    driver: local
`,
  `services:
  worker:
    image: busybox
    command: sh -c 'while true; do echo hi; sleep 5; done'
    scale: 2
    ports: ["9000-9001:9000"]
    networks: [back]
    secrets:
      - token
      - source: cert
        target: /etc/cert.pem
        mode: 0400
    configs: [conf]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    extra_hosts: ["host.docker.internal:host-gateway"]
    cap_add: [NET_ADMIN]
    dns: 1.1.1.1
    stop_grace_period: 1m30s
    profiles: [jobs]
networks:
  back:
    internal: true
secrets:
  token: {file: ./token.txt}
  cert: {environment: CERT}
configs:
  conf:
    content: |
      key = value
`,
  `version: "3.9"
services:
  a:
    image: alpine
    depends_on: [b]
    links: ["b:bee"]
    labels:
      com.example.tier: front
      com.example.flag: ""
    tmpfs: /run
    mem_limit: 1g
    cpus: 1.5
    init: true
  b:
    image: alpine
    volumes_from: [c]
    network_mode: "service:c"
    environment:
      - A=1
      - B
  c:
    image: alpine
    expose: ["3000", 4000]
    devices: ["/dev/null:/dev/null:rwm"]
    sysctls: {net.core.somaxconn: 1024}
    healthcheck:
      disable: true
`,
  `services:
  app:
    image: app
    entrypoint: /docker-entrypoint.sh
    working_dir: /app
    user: "1000:1000"
    read_only: true
    shm_size: 256m
    pids_limit: 100
    restart: on-failure:3
    develop:
      watch:
        - action: sync
          path: ./src
          target: /app/src
    volumes:
      - type: bind
        source: ./src
        target: /app/src
        read_only: true
      - type: tmpfs
        target: /tmp
        tmpfs: {size: 64m}
    deploy:
      replicas: 1
      restart_policy: {condition: on-failure, delay: 5s}
x-note: plain
`,
];

// ---------------------------------------------------------------------------------------------
// Line mutations

const PUNCT = [':', '{', '}', '[', ']', '&', '*', '!', '|', '>', '-', '#', "'", '"', ',', '?', '%', '@', '`', '<<', '$', '${', '\t', '\n', ' '];

const scalarArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom(
    'null', '~', '', 'true', 'no', 'yes', '0440', '-1', '1e400', '.inf', '.nan', '0x1F', '0o17',
    '${X}', '${X:?boom}', '${X:-d}', '$', '$$', '${', '*common', '&a', '!reset', '!override', '!!binary aGk=',
    '[', '{', '"', "'", '|', '>', '[]', '{}', '[1, 2', '"unterminated', 'a: b', '- x',
    '99999999999999999999', '65536', '0', '8080:80', '1-2:3-4', './x:/y:zz', 'service:ghost', 'CMD-SHELL',
    'constructor', '__proto__', 'service:toString',
  ),
);

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'dup'; at: number }
  | { kind: 'swap'; at: number; to: number }
  | { kind: 'indent'; at: number; delta: number }
  | { kind: 'insert'; at: number; col: number; text: string }
  | { kind: 'scalar'; at: number; value: string }
  | { kind: 'truncate'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), delta: fc.integer({ min: -6, max: 6 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    col: fc.nat(),
    text: fc.oneof(fc.constantFrom(...PUNCT), fc.string({ maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 2 })),
  }),
  fc.record({ kind: fc.constant('scalar' as const), at: fc.nat(), value: scalarArb }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(seed: string, mutations: Mutation[]): string {
  let lines = seed.split('\n');
  for (const m of mutations) {
    if (lines.length === 0) lines = [''];
    const i = m.at % lines.length;
    const line = lines[i]!;
    switch (m.kind) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'dup':
        lines.splice(i, 0, line);
        break;
      case 'swap': {
        const j = m.to % lines.length;
        [lines[i], lines[j]] = [lines[j]!, line];
        break;
      }
      case 'indent':
        lines[i] = m.delta >= 0 ? ' '.repeat(m.delta) + line : line.replace(new RegExp(`^ {0,${-m.delta}}`), '');
        break;
      case 'insert': {
        const c = m.col % (line.length + 1);
        lines[i] = line.slice(0, c) + m.text + line.slice(c);
        break;
      }
      case 'scalar': {
        // The value after `key:` or `- `, else the whole line.
        const kv = /^(\s*(?:- )?[^:#]+:\s)(.*)$/.exec(line);
        const item = /^(\s*- )(.*)$/.exec(line);
        lines[i] = kv ? kv[1] + m.value : item ? item[1] + m.value : m.value;
        break;
      }
      case 'truncate': {
        const text = lines.join('\n');
        return text.slice(0, m.at % (text.length + 1));
      }
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

describe('the seeds themselves', () => {
  it.each(SEEDS.map((s, i) => [i, s]))('seed %i loads', async (_i, seed) => {
    expect(await loadsOrTugError(seed as string)).toBe('ok');
  });

  it('the mutator changes text as described', () => {
    const seed = 'a: 1\nb:\n  - x\nc: 3';
    expect(mutate(seed, [{ kind: 'delete', at: 0 }])).toBe('b:\n  - x\nc: 3');
    expect(mutate(seed, [{ kind: 'dup', at: 5 }])).toBe('a: 1\nb:\nb:\n  - x\nc: 3');
    expect(mutate(seed, [{ kind: 'swap', at: 0, to: 3 }])).toBe('c: 3\nb:\n  - x\na: 1');
    expect(mutate(seed, [{ kind: 'indent', at: 2, delta: -2 }])).toBe('a: 1\nb:\n- x\nc: 3');
    expect(mutate(seed, [{ kind: 'insert', at: 0, col: 1, text: '{' }])).toBe('a{: 1\nb:\n  - x\nc: 3');
    expect(mutate(seed, [{ kind: 'scalar', at: 0, value: 'null' }])).toBe('a: null\nb:\n  - x\nc: 3');
    expect(mutate(seed, [{ kind: 'scalar', at: 2, value: '[' }])).toBe('a: 1\nb:\n  - [\nc: 3');
    expect(mutate(seed, [{ kind: 'truncate', at: 3 }])).toBe('a: ');
  });
});

describe('property: a Project or a located TugError, never anything else', () => {
  it('mutated seed stacks (line edits, punctuation, scalars, truncation)', async () => {
    const outcomes = { ok: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), async (seed, muts) => {
        outcomes[await loadsOrTugError(mutate(SEEDS[seed]!, muts))]++;
      }),
      { numRuns: 3000 },
    );
    // Both outcomes must be exercised, or the generator is not doing its job.
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(outcomes.rejected).toBeGreaterThan(500);
  });

  it('fully random strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: fc.constantFrom(...PUNCT, 'a', 'services', 'image', '0', '\n  ', '\n    '), maxLength: 60 }),
        ),
        async (text) => {
          await loadsOrTugError(text);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random values at known keys of a valid document', async () => {
    const base = {
      services: {
        web: { image: 'nginx', ports: ['8080:80'], depends_on: { db: { condition: 'service_started' } }, healthcheck: { test: ['CMD', 'true'], interval: '10s' } },
        db: { image: 'postgres', volumes: ['pg:/data'], deploy: { resources: { limits: { cpus: '1', memory: '1g' } } } },
      },
      networks: { front: {} },
      volumes: { pg: {} },
      secrets: { s: { file: './s.txt' } },
    };
    const serviceKeys = [
      'image', 'build', 'command', 'entrypoint', 'environment', 'ports', 'volumes', 'depends_on', 'healthcheck', 'deploy',
      'restart', 'networks', 'labels', 'cpus', 'mem_limit', 'mem_reservation', 'memswap_limit', 'scale', 'container_name',
      'profiles', 'secrets', 'configs', 'ulimits', 'logging', 'extra_hosts', 'dns', 'cap_add', 'links', 'volumes_from',
      'network_mode', 'ipc', 'pid', 'stop_grace_period', 'tmpfs', 'devices', 'sysctls', 'user', 'working_dir', 'init',
      'privileged', 'read_only', 'shm_size', 'pids_limit', 'expose', 'annotations', 'develop', 'gpus', 'models',
      'pull_policy', 'platform', 'blkio_config', 'oom_score_adj', 'cpu_shares', 'storage_opt', 'post_start', 'attach',
      'x-ext', 'unknown_key',
    ];
    const nested: (string | number)[][] = [
      ['healthcheck', 'interval'], ['healthcheck', 'test'], ['healthcheck', 'retries'], ['healthcheck', 'disable'],
      ['deploy', 'replicas'], ['deploy', 'resources', 'limits', 'cpus'], ['deploy', 'resources', 'limits', 'memory'],
      ['deploy', 'resources', 'reservations'], ['deploy', 'restart_policy', 'delay'], ['ports', 0], ['ports', 1],
      ['volumes', 0], ['depends_on', 'db', 'condition'], ['depends_on', 'db', 'required'], ['depends_on', 'ghost'],
      ['logging', 'options'], ['logging', 'driver'], ['ulimits', 'nofile'], ['ulimits', 'nofile', 'soft'], ['build', 'args'],
      ['build', 'context'], ['build', 'ulimits'], ['build', 'shm_size'], ['secrets', 0], ['networks', 'front'],
      ['environment', 'A'], ['labels', 'x'], ['extra_hosts', 'h'],
    ];
    const topPaths: (string | number)[][] = [
      ['networks', 'front'], ['networks', 'front', 'ipam'], ['volumes', 'pg'], ['volumes', 'pg', 'external'],
      ['secrets', 's'], ['configs', 'c'], ['name'], ['services', 'web'], ['services', 'new'], ['services'], ['x-top'], ['models'],
    ];
    const leaf = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('', '0', '-1', '1.5', '512m', '90s', '8080:80', 'service:db', 'db', 'front', '${X}', '$$', '${X:?no}', 'CMD', 'NONE', 'host', 'tcp'),
      fc.integer(),
      fc.integer({ min: -1, max: 70000 }),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('arr'), tie('obj')),
      arr: fc.array(tie('v'), { maxLength: 4 }),
      obj: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('image', 'target', 'published', 'source', 'condition', 'test', 'x-a', '__proto__', 'constructor', 'toString')), tie('v'), { maxKeys: 4 }),
    })).v;
    const edit = fc.oneof(
      fc.record({ where: fc.constant('service' as const), svc: fc.constantFrom('web', 'db'), path: fc.oneof(fc.constantFrom(...serviceKeys).map((k) => [k]), fc.constantFrom(...nested)), value }),
      fc.record({ where: fc.constant('top' as const), svc: fc.constant(''), path: fc.constantFrom(...topPaths), value }),
    );

    const setAt = (doc: Record<string, unknown>, p: (string | number)[], v: unknown) => {
      let cur: Record<string | number, unknown> = doc;
      for (let i = 0; i < p.length - 1; i++) {
        const seg = p[i]!;
        const next = cur[seg];
        if (typeof next !== 'object' || next === null) cur[seg] = typeof p[i + 1] === 'number' ? [] : {};
        cur = cur[seg] as Record<string | number, unknown>;
      }
      cur[p[p.length - 1]!] = v;
    };

    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const doc = structuredClone(base) as Record<string, unknown>;
        for (const e of edits) setAt(doc, e.where === 'service' ? ['services', e.svc, ...e.path] : e.path, e.value);
        await loadsOrTugError(stringify(doc));
      }),
      { numRuns: 1500 },
    );
  });

  it('random override files (with !reset / !override) merged over a valid base', async () => {
    fs.writeFileSync(path.join(tmp, 'base.yaml'), SEEDS[0]!);
    const keys = ['image', 'ports', 'volumes', 'environment', 'labels', 'command', 'healthcheck', 'depends_on', 'deploy', 'logging', 'dns', 'build', 'secrets', 'networks', 'extends', 'profiles', 'scale'];
    const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('8080:80', './x:/y', 'api', 'db', '1s', 'web'));
    const value = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('condition', 'test', 'driver', 'target')), leaf, { maxKeys: 3 }));
    const entry = fc.tuple(fc.constantFrom('web', 'api', 'db', 'new'), fc.constantFrom(...keys), value, fc.constantFrom('', '', '!reset ', '!override '));
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 4 }), async (entries) => {
        const services: Record<string, Record<string, unknown>> = {};
        for (const [svc, key, v] of entries) (services[svc] ??= {})[key] = v;
        let text = stringify({ services });
        // Tag some keys: `key:` at service level (4 spaces) gets `!reset` / `!override`.
        for (const [, key, , tag] of entries) if (tag) text = text.replace(new RegExp(`^(    ${key}:)`, 'm'), `$1 ${tag.trim()}`);
        await loadsOrTugError(text, ['base.yaml', '-']);
      }),
      { numRuns: 600 },
    );
  });
});

describe('property: the unit parsers return undefined rather than throw', () => {
  // The schema keeps most strings away from them during loading, but the engine and CLI call
  // them on user input too (e.g. a `--since` duration).
  it('on unit-like strings, including Object.prototype member names as units', () => {
    expect(parseDuration('1constructor')).toBeUndefined();
    expect(parseDuration('2tostring')).toBeUndefined();
    expect(parseDuration(1.797693134862316e299)).toBeUndefined();
    expect(parseDuration(1e20)).toBeUndefined();
    expect(parseDuration(90)).toBe(90e9);
    const unitish = fc.tuple(
      fc.stringMatching(/^[0-9]{0,3}(\.[0-9]{0,3})?$/),
      fc.oneof(fc.constantFrom('constructor', 'valueof', 'hasownproperty', '__proto__', 'tostring', 'h', 'm', 's', 'ms', 'k', 'kb', 'gib'), fc.string({ maxLength: 4 })),
    ).map(([n, u]) => n + u);
    fc.assert(
      fc.property(fc.array(unitish, { minLength: 1, maxLength: 3 }).map((a) => a.join('')), (text) => {
        for (const parse of [parseDuration, parseBytes, parseCpus]) {
          const v = parse(text);
          expect(v === undefined || (typeof v === 'number' && Number.isFinite(v))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile mutations: what an attacker (or a generator gone wrong) writes rather than a typo.

/** One hostile piece of YAML, and whether it is a block of lines or fits after `key: `. */
type Hostile = { text: string; block: boolean };

const nest = (d: number, open: string, inner: string, close: string, balanced: boolean): string =>
  open.repeat(d) + inner + close.repeat(balanced ? d : Math.floor(d / 2));

const hostileArb: fc.Arbitrary<Hostile> = fc.oneof(
  // Flow nesting, past the depth limit or just under it, closed or not.
  fc.tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom(['[', '', ']'], ['{a: ', '1', '}'], ['[{a: [', '1', ']}]'], ['{', '', '}']), fc.boolean())
    .map(([d, [o, i, c], bal]) => ({ text: nest(d, o!, i!, c!, bal), block: false })),
  // Compact block lists and explicit keys on one line.
  fc.tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('- ', '? ', '- ? ', '&x - '))
    .map(([d, p]) => ({ text: `\n  ${p.repeat(d)}x`, block: false })),
  // Block mappings nested by indentation.
  fc.integer({ min: 1, max: 600 })
    .map((d) => ({ text: 'x-deep:\n' + Array.from({ length: d }, (_, i) => ' '.repeat(i + 1) + 'k:').join('\n') + ' 1', block: true })),
  // Alias bombs: levels of anchors, each a list or mapping (or << merge) of aliases to the last.
  fc.tuple(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('list', 'map', 'merge'))
    .map(([levels, width, shape]) => {
      const lines = [`x-l0: &l0 [${Array(width).fill('lol').join(', ')}]`];
      for (let i = 1; i < levels; i++) {
        const refs = Array.from({ length: width }, (_, j) => (shape === 'list' ? `*l${i - 1}` : `k${j}: *l${i - 1}`));
        if (shape === 'merge') lines.push(`x-l${i}: &l${i} {<<: [${Array(Math.min(width, 3)).fill(`*l${i - 1}`).join(', ')}], ${refs.join(', ')}}`);
        else lines.push(`x-l${i}: &l${i} ${shape === 'list' ? `[${refs.join(', ')}]` : `{${refs.join(', ')}}`}`);
      }
      return { text: lines.join('\n'), block: true };
    }),
  // Aliases inside the node they name.
  fc.constantFrom('&r [*r]', '&r {a: *r}', '&r [1, [2, *r]]', '&r {<<: *r}', '&r {*r : 1}')
    .map((t) => ({ text: t, block: false })),
  // Many aliases of one big anchor (the limits themselves are tested in load-inputs.test.ts:
  // here the sizes stay where every case takes a fraction of the budget).
  fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 100 }))
    .map(([size, uses]) => ({
      text: `x-anchor: &big [${Array.from({ length: size }, (_, i) => i).join(', ')}]\nx-uses: [${Array(uses).fill('*big').join(', ')}]`,
      block: true,
    })),
  // Huge scalars: plain, quoted, block literal, or one long line of a repeated character.
  fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('plain', 'double', 'single', 'literal'), fc.constantFrom('a', '$', '{', '\\', ' ', '#', ':', '\u00e9', '\u{1F600}'))
    .map(([n, style, c]) => {
      const body = c.repeat(Math.ceil(n / c.length));
      if (style === 'double') return { text: `"${body}"`, block: false };
      if (style === 'single') return { text: `'${body}'`, block: false };
      if (style === 'literal') return { text: `|\n${`    ${body.slice(0, 80)}\n`.repeat(Math.ceil(n / 80))}`, block: false };
      return { text: body, block: false };
    }),
  // ${...} nesting deep enough to overflow a recursive evaluator, balanced or not.
  fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('${A:-', '${A:+', '${A:?', '${A-', '${'), fc.boolean())
    .map(([d, op, bal]) => ({ text: `"${nest(d, op, 'x', '}', bal)}"`, block: false })),
  // Binary bytes, NULs and lone surrogates included.
  fc.string({ unit: 'binary', minLength: 1, maxLength: 4000 }).map((t) => ({ text: t, block: false })),
  fc.uint8Array({ minLength: 1, maxLength: 4000 }).map((b) => ({ text: String.fromCharCode(...b), block: false })),
  // Flat collections with many nodes.
  fc.tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom('1,', '*a,', 'a: 1,', '- 1\n'))
    .map(([n, item]) => ({
      text: item === '- 1\n' ? `x-flat:\n${item.repeat(n)}` : item === 'a: 1,' ? `{${Array.from({ length: n }, (_, i) => `a${i}: 1`).join(',')}}` : `[${item.repeat(n)}1]`,
      block: item === '- 1\n',
    })),
);

/** The hostile piece as the value of a key at some line, or as a block of lines at the top level. */
function plant(seed: string, h: Hostile, at: number): string {
  if (h.block) return `${h.text}\n${seed}`;
  const lines = seed.split('\n');
  const i = at % lines.length;
  const kv = /^(\s*(?:- )?[^:#\s][^:#]*:\s)/.exec(lines[i]!);
  lines[i] = kv ? kv[1] + h.text : `x-hostile: ${h.text}`;
  return lines.join('\n');
}

describe('property: hostile stack texts are loaded or refused with a TugError, quickly', () => {
  /** Per case; machines are noisy, so generous: the point is to catch hangs and runaway growth. */
  const BUDGET_MS = 2_000;

  it('deep nesting, alias bombs, huge scalars, binary bytes, ${...} nesting, planted in the seeds', async () => {
    let slowest = { ms: 0, text: '' };
    const outcomes = { ok: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: SEEDS.length - 1 }),
        fc.array(hostileArb, { minLength: 1, maxLength: 2 }),
        fc.array(fc.nat(), { minLength: 2, maxLength: 2 }),
        fc.array(mutationArb, { maxLength: 2 }),
        async (seed, hostile, ats, muts) => {
          let text = mutate(SEEDS[seed]!, muts);
          hostile.forEach((h, i) => (text = plant(text, h, ats[i]!)));
          const start = performance.now();
          outcomes[await loadsOrTugError(text)]++;
          const ms = performance.now() - start;
          if (ms > slowest.ms) slowest = { ms, text };
          if (process.env.TUG_FUZZ_SLOW && ms > Number(process.env.TUG_FUZZ_SLOW)) console.log('slow', ms.toFixed(0), JSON.stringify(text.slice(0, 100)));
          expect(ms, `took ${ms.toFixed(0)} ms for ${JSON.stringify(text.slice(0, 300))}...`).toBeLessThan(BUDGET_MS);
        },
      ),
      { numRuns: 300, seed: 0x7ea5e, endOnFailure: true },
    );
    expect(outcomes.rejected).toBeGreaterThan(100);
    expect(outcomes.ok).toBeGreaterThan(5);
    expect(slowest.ms).toBeLessThan(BUDGET_MS);
  });
});
