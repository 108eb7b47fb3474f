/**
 * Builds: where a BuildKit step is in its Dockerfile, how BuildKit's progress folds into lines
 * and a current step, what each builder is asked (and refuses), and how `tug build` and `up`
 * run several builds at once.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildKitProgress, describeStep } from '../../src/engine/docker/buildkit/build.js';
import type { StatusResponse, Vertex } from '../../src/engine/docker/buildkit/proto.js';
import { instructionAt, locateStep, parseDockerfile, readStepName } from '../../src/engine/docker/dockerfile.js';
import { buildSpec, classicRequested, type BuildSpecOptions } from '../../src/engine/request/build.js';
import type { BuilderSupport } from '../../src/engine/engine.js';
import { TugError } from '../../src/errors.js';
import { buildRequest, buildServices, ensureImages } from '../../src/run/images.js';
import { Pool } from '../../src/run/pool.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import { loadProject } from '../../src/stack/load.js';
import type { BuildConfig, Project, Service } from '../../src/stack/model.js';
import { FakeEngine } from '../fake-engine.js';
import { makeService, tempDirs } from '../support.js';

const makeDir = tempDirs();

const MULTI = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM \${BASE} AS base
RUN echo base
ENV A=1

FROM base
WORKDIR /x
# a comment
RUN echo one; \\
    # a comment inside
    echo two; \\
    exit 3
COPY a /a

FROM scratch AS last
COPY --from=1 /x /x
`;

describe('Dockerfile steps', () => {
  it('reads instructions by stage, continuation lines joined and their lines kept', () => {
    const stages = parseDockerfile(MULTI);
    expect(stages.map((s) => [s.name, s.base, s.instructions.map((i) => i.keyword)])).toEqual([
      ['base', '${BASE}', ['RUN', 'ENV']],
      [undefined, 'base', ['WORKDIR', 'RUN', 'COPY']],
      ['last', 'scratch', ['COPY']],
    ]);
    const run = stages[1]!.instructions[1]!;
    expect([run.line, run.endLine]).toEqual([10, 13]);
    expect(run.args).toBe('echo one;      echo two;      exit 3');
  });

  it('reads the stage, number and keyword of a BuildKit step name, platform and padding included', () => {
    expect(readStepName('[stage-1 2/3] RUN make')).toEqual({ stage: 'stage-1', index: 2, total: 3, keyword: 'RUN' });
    expect(readStepName('[linux/amd64 build  2/10] COPY . .')).toEqual({ stage: 'build', index: 2, total: 10, keyword: 'COPY' });
    expect(readStepName('[ 1/12] FROM docker.io/library/busybox')).toEqual({ index: 1, total: 12, keyword: 'FROM' });
    expect(readStepName('[internal] load metadata for x')).toBeUndefined();
    expect(readStepName('exporting to image')).toBeUndefined();
  });

  it('finds the instruction a step names, counting as the frontend does (FROM of a stage or scratch not counted)', () => {
    const stages = parseDockerfile(MULTI);
    const at = (name: string) => locateStep(stages, name)?.line;
    expect(at('[base 1/2] FROM docker.io/library/busybox')).toBe(3);
    expect(at('[base 2/2] RUN echo base')).toBe(4);
    expect(at('[stage-1 1/3] WORKDIR /x')).toBe(8);
    expect(at('[stage-1 2/3] RUN echo one;      echo two;      exit 3')).toBe(10);
    expect(at('[stage-1 3/3] COPY a /a')).toBe(14);
    expect(at('[last 1/1] COPY --from=1 /x /x')).toBe(17);
    // A single stage goes unnamed.
    expect(locateStep(parseDockerfile('FROM busybox\nRUN true\nRUN false\n'), '[3/3] RUN false')?.line).toBe(3);
    expect(at('[nope 1/1] RUN x')).toBeUndefined();
  });

  it('honours the escape directive and here-documents', () => {
    const text = '# escape=`\nFROM busybox\nRUN echo a `\n  b\nRUN <<EOF\necho in heredoc\nEOF\nRUN false\n';
    const stages = parseDockerfile(text);
    expect(stages[0]!.instructions.map((i) => [i.keyword, i.line, i.endLine])).toEqual([['RUN', 3, 4], ['RUN', 5, 7], ['RUN', 8, 8]]);
    expect(locateStep(stages, '[4/4] RUN false')?.line).toBe(8);
  });

  it('numbers instructions as the classic builder does, meta ARGs included', () => {
    expect(instructionAt(MULTI, 1)?.keyword).toBe('ARG');
    expect(instructionAt(MULTI, 7)?.line).toBe(10);
  });

  it('describes a step by its file, lines and text', () => {
    const ins = locateStep(parseDockerfile(MULTI), '[stage-1 2/3] RUN x');
    expect(describeStep(ins, 'app/Dockerfile')).toBe('app/Dockerfile:10-13: RUN echo one; echo two; exit 3');
  });
});

const ts = { seconds: 1, nanos: 0 };
function vertex(digest: string, name: string, extra: Partial<Vertex> = {}): Vertex {
  return { digest, name, cached: false, error: '', ...extra };
}
function status(s: Partial<StatusResponse>): StatusResponse {
  return { vertexes: [], statuses: [], logs: [], ...s };
}

describe('BuildKit progress', () => {
  it('announces steps as they start, passes their output line by line, and skips plumbing', () => {
    const lines: string[] = [];
    const steps: string[] = [];
    const p = new BuildKitProgress({ line: (l) => lines.push(l), step: (s) => steps.push(s) });
    p.apply(status({ vertexes: [vertex('a', '[internal] load remote build context', { started: ts, completed: ts })] }));
    p.apply(status({ vertexes: [vertex('b', '[1/2] FROM docker.io/library/busybox', { started: ts, completed: ts, cached: true })] }));
    p.apply(status({ vertexes: [vertex('c', '[2/2] RUN make')] }));
    p.apply(status({ vertexes: [vertex('c', '[2/2] RUN make', { started: ts })] }));
    p.apply(status({ logs: [{ vertex: 'c', stream: 1, msg: Buffer.from('one\ntw') }] }));
    p.apply(status({ logs: [{ vertex: 'c', stream: 2, msg: Buffer.from('o\r\n10%\r50%\r100%\n') }] }));
    p.apply(status({ vertexes: [vertex('c', '[2/2] RUN make', { started: ts, completed: ts })] }));
    expect(lines).toEqual(['[1/2] FROM docker.io/library/busybox (cached)', '[2/2] RUN make', 'one', 'two', '100%']);
    expect(steps).toEqual(['[2/2] RUN make']);
    expect(p.failed()).toBeUndefined();
  });

  it('keeps the failing step\'s last lines of output, an unfinished last line included', () => {
    const p = new BuildKitProgress({});
    p.apply(status({ vertexes: [vertex('c', '[2/2] RUN make', { started: ts })] }));
    const many = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    p.apply(status({ logs: [{ vertex: 'c', stream: 1, msg: Buffer.from(`${many}\nno newline`) }] }));
    p.apply(status({ vertexes: [vertex('c', '[2/2] RUN make', { started: ts, completed: ts, error: 'executor failed running [/bin/sh -c make]: exit code: 2' })] }));
    const f = p.failed()!;
    expect(f.name).toBe('[2/2] RUN make');
    expect(f.output).toHaveLength(20);
    expect(f.output.at(-1)).toBe('no newline');
    expect(f.output[0]).toBe('line 11');
  });
});

const BUILDKIT: BuilderSupport = { buildkit: true, apiVersion: '1.41' };
const CLASSIC: BuilderSupport = { buildkit: false, why: 'Podman builds with Buildah', apiVersion: '1.41' };
const settings = (support: BuilderSupport, extra: Partial<BuildSpecOptions> = {}): BuildSpecOptions =>
  ({ support, env: { SSH_AUTH_SOCK: '/agent.sock', TOKEN: 't0k' }, isSocket: (p) => p.endsWith('.sock'), ...extra });

function projectOf(build: Partial<BuildConfig>, extra: Partial<Service> = {}): { project: Project; svc: Service } {
  const svc = makeService('app', { build: { context: '/w/app', ...build }, ...extra });
  const project: Project = {
    name: 'p', working_dir: '/w', config_files: [], services: { app: svc }, disabled_services: {}, networks: {}, volumes: {}, configs: {},
    secrets: { file: { name: 'p_file', file: '/w/secret.txt' }, env: { name: 'p_env', environment: 'TOKEN' }, ext: { name: 'ext', external: true } },
    profiles: [],
  };
  return { project, svc };
}

function refusal(fn: () => unknown): TugError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TugError);
    return e as TugError;
  }
  throw new Error('expected a refusal');
}

describe('the build request', () => {
  it('asks BuildKit for what the section says: tags, args, target, platform, hosts, secrets, ssh, cache', () => {
    const { project, svc } = projectOf({
      dockerfile: 'app.Dockerfile', args: { A: '1', B: null }, target: 'prod', labels: { l: 'v' }, tags: ['extra:1'],
      platforms: ['linux/amd64'], network: 'host', extra_hosts: { db: ['10.0.0.2'] }, no_cache: true,
      secrets: [{ source: 'file', target: '/run/secrets/file' }, { source: 'env', target: '/run/secrets/token' }],
      ssh: ['default', 'work=/w/work.sock'], cache_from: ['app:cache', 'type=registry,ref=reg/app:cache'], cache_to: ['type=inline'],
    });
    expect(buildSpec(project, svc, 'p-app', settings(BUILDKIT))).toEqual({
      builder: 'buildkit', context: '/w/app', dockerfile: 'app.Dockerfile', tags: ['p-app', 'extra:1'], args: { A: '1' }, target: 'prod',
      labels: { l: 'v' }, noCache: true, platform: 'linux/amd64', network: 'host', extraHosts: ['db:10.0.0.2'],
      secrets: [{ id: 'file', file: '/w/secret.txt' }, { id: 'token', value: 't0k' }],
      ssh: [{ id: 'default', socket: '/agent.sock' }, { id: 'work', socket: '/w/work.sock' }],
      cacheFrom: ['app:cache', 'reg/app:cache'], inlineCache: true,
    });
  });

  it('sends an inline Dockerfile instead of the file, and builds for the service\'s own platform', () => {
    const { project, svc } = projectOf({ dockerfile: 'x', dockerfile_inline: 'FROM busybox\n', platforms: ['linux/amd64', 'linux/arm64'] }, { platform: 'linux/arm64' });
    const spec = buildSpec(project, svc, 'p-app', settings(BUILDKIT));
    expect(spec).toMatchObject({ dockerfileInline: 'FROM busybox\n', platform: 'linux/arm64' });
    expect(spec.dockerfile).toBeUndefined();
  });

  it('uses the classic builder without BuildKit or with DOCKER_BUILDKIT=0, and refuses what only BuildKit does', () => {
    expect(classicRequested({ DOCKER_BUILDKIT: '0' })).toBe(true);
    expect(classicRequested({ DOCKER_BUILDKIT: '1' })).toBe(false);
    const plain = projectOf({ network: 'mynet', shm_size: 1 << 20, ulimits: { nofile: { soft: 10, hard: 20 } } });
    expect(buildSpec(plain.project, plain.svc, 'p-app', settings(BUILDKIT, { forceClassic: true }))).toMatchObject({
      builder: 'classic', network: 'mynet', shmSize: 1 << 20, ulimits: [{ name: 'nofile', soft: 10, hard: 20 }],
    });
    for (const [key, build] of [
      ['secrets', { secrets: [{ source: 'file' }] }], ['ssh', { ssh: ['default'] }], ['cache_to', { cache_to: ['type=inline'] }],
    ] as const) {
      const { project, svc } = projectOf(build as unknown as Partial<BuildConfig>);
      const e = refusal(() => buildSpec(project, svc, 'p-app', settings(CLASSIC)));
      expect(e.path).toBe(`services.app.build.${key}`);
      expect(e.message).toContain('needs BuildKit');
      expect(e.message).toContain('Podman builds with Buildah');
      expect(e.exitCode).toBe(3);
    }
  });

  it('refuses, at the key, what the Engine API\'s BuildKit cannot do', () => {
    const cases: [string, Partial<BuildConfig>, Partial<Service>?][] = [
      ['additional_contexts', { additional_contexts: { lib: '../lib' } }],
      ['privileged', { privileged: true }],
      ['platforms', { platforms: ['linux/amd64', 'linux/arm64'] }],
      ['platforms', { platforms: ['linux/amd64'] }, { platform: 'linux/arm64' }],
      ['network', { network: 'mynet' }],
      ['shm_size', { shm_size: 1 << 20 }],
      ['ulimits', { ulimits: { nofile: { soft: 1, hard: 2 } } }],
      ['cache_from', { cache_from: ['type=local,src=/tmp/cache'] }],
      ['cache_to', { cache_to: ['type=registry,ref=x'] }],
      ['secrets', { secrets: [{ source: 'ext' }] }],
      ['ssh', { ssh: ['key=/home/me/.ssh/id_ed25519'] }],
      ['context', { context: 'https://github.com/x/y.git' }],
    ];
    for (const [key, build, extra] of cases) {
      const { project, svc } = projectOf(build, extra);
      const e = refusal(() => buildSpec(project, svc, 'p-app', settings(BUILDKIT)));
      expect(e.path, key).toBe(`services.app.build.${key}`);
      expect(e.code).toBe('unsupported');
      expect(e.hint, key).toBeTruthy();
    }
    // Docker 23 hands BuildKit shm_size and ulimits.
    const { project, svc } = projectOf({ shm_size: 1 << 20, ulimits: { nofile: { soft: 1, hard: 2 } } });
    expect(buildSpec(project, svc, 'p-app', settings({ buildkit: true, apiVersion: '1.42' }))).toMatchObject({ shmSize: 1 << 20 });
    // The `default` agent is SSH_AUTH_SOCK's.
    const noAgent = projectOf({ ssh: ['default'] });
    expect(refusal(() => buildSpec(noAgent.project, noAgent.svc, 'p-app', settings(BUILDKIT, { env: {} }))).message).toContain('SSH_AUTH_SOCK');
  });

  it('points a refusal at the line the key was written on', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      additional_contexts:\n        lib: ../lib\n',
      Dockerfile: 'FROM busybox\n',
    });
    const project = await loadProject({ cwd: dir, env: {} });
    const e = refusal(() => buildRequest(project, project.services.app!, 'x', settings(BUILDKIT)));
    expect(e.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 5, col: 7 });
  });
});

describe('running builds', () => {
  const project = (services: Service[]): Project => ({
    name: 'p', working_dir: '/w', config_files: [], services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabled_services: {}, networks: {}, volumes: {}, configs: {}, secrets: {}, profiles: [],
  });

  it('builds several services at once, at most four, each row showing its current step', async () => {
    const engine = new FakeEngine();
    engine.onBuild(/./, { delayMs: 30, lines: ['[1/2] FROM busybox', '[2/2] RUN make'] });
    const services = Array.from({ length: 6 }, (_, i) => makeService(`s${i}`, { build: { context: `/w/s${i}` } }));
    const events: ProgressEvent[] = [];
    const built = await buildServices(engine, project(services), services.map((s) => s.name), { signal: new AbortController().signal, onProgress: (e) => events.push(e) });
    expect(built).toBe(6);
    // Builds at once, from the progress: each starts with a working event without a message and ends done.
    let running = 0;
    let most = 0;
    for (const e of events.filter((x) => x.action === 'build')) {
      if (e.state === 'working' && !e.message) most = Math.max(most, ++running);
      if (e.state === 'done') running--;
    }
    expect(most).toBe(4);
    const steps = events.filter((e) => e.service === 's0' && e.state === 'working' && e.message).map((e) => e.message);
    expect(steps).toEqual(['[1/2] FROM busybox', '[2/2] RUN make']);
  });

  it('says "classic builder" once an image is built without BuildKit', async () => {
    const engine = new FakeEngine({ buildkit: false });
    const events: ProgressEvent[] = [];
    await ensureImages(engine, project([makeService('a', { build: { context: '/w/a' } })]), ['a'], {}, (e) => events.push(e), new Pool(4));
    const done = events.find((e) => e.action === 'build' && e.state === 'done');
    expect(done?.message).toBe('classic builder');
    expect(engine.callsTo('images.build')[0]!.args[0].builder).toBe('classic');
  });

  it('refuses every build of `tug build` before the first starts', async () => {
    const engine = new FakeEngine({ buildkit: false });
    const ok = makeService('a', { build: { context: '/w/a' } });
    const bad = makeService('b', { build: { context: '/w/b', secrets: [{ source: 's' }] } });
    const p = { ...project([ok, bad]), secrets: { s: { name: 's', file: '/w/s' } } };
    await expect(buildServices(engine, p, ['a', 'b'], { signal: new AbortController().signal })).rejects.toMatchObject({ code: 'unsupported' });
    expect(engine.callsTo('images.build')).toEqual([]);
  });
});
