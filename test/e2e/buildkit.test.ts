/**
 * Builds on the engine's own BuildKit, through the CLI on the real engine: a cache mount that
 * outlives its build, a build secret that RUN reads and the image does not keep, two services
 * built at once, a failing step reported with its output and Dockerfile line, the build keys
 * the request carries, ssh agents forwarded by id, and registry credentials from the docker
 * config for a FROM whose registry asks for them. Also what
 * the classic builder and the Engine API cannot do: named in progress, and refused at the line.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveHost } from '../../src/engine/connect.js';
import { IMAGE, docker, e2eScope, rand, tug } from './helpers.js';

const images: string[] = [];
const cacheMarkers: string[] = [];
const scope = e2eScope({
  setup: async () => {
    const support = await engine.images.builder();
    if (!support.buildkit) throw new Error(`these tests need an engine with BuildKit: ${support.why}`);
  },
  afterCleanup: async () => {
    for (const i of images) await engine.images.remove(i).catch(() => {});
    for (const m of cacheMarkers) await pruneCacheMounts(m).catch(() => {});
  },
});
const { engine } = scope;

/** A raw Engine API call on the local socket (what the seam does not offer: the build cache). */
function api(method: string, path: string): Promise<unknown> {
  const host = resolveHost().host;
  const socketPath = host.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body ? JSON.parse(body) : undefined));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Removes the cache mounts whose description names `marker` (the mount target carries it). */
async function pruneCacheMounts(marker: string): Promise<void> {
  const df = (await api('GET', '/system/df?type=build-cache')) as { BuildCache?: { ID: string; Type: string; Description: string }[] };
  for (const b of df.BuildCache ?? []) {
    if (b.Type === 'exec.cachemount' && b.Description.includes(marker)) {
      await api('POST', `/build/prune?filters=${encodeURIComponent(JSON.stringify({ id: [b.ID] }))}`);
    }
  }
}

interface JsonEvent {
  resource: string;
  name: string;
  service?: string;
  action: string;
  state: string;
  time: string;
  message?: string;
}

const jsonEvents = (stderr: string): JsonEvent[] =>
  stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonEvent);

describe('builds on the engine\'s BuildKit', () => {
  it('a RUN --mount=type=cache survives between two builds: the second finds the first\'s file there, and is faster', async () => {
    const project = scope.project('bk-cache');
    const marker = `tug-cache-${rand()}`;
    cacheMarkers.push(marker);
    const cache = `/${marker}`;
    const image = `${project}-app`;
    images.push(image);
    const dir = await scope.stack(`name: ${project}
services:
  app:
    build:
      context: ./app
      args:
        RUN_ID: \${RUN_ID}
`, {
      // A changed RUN_ID re-runs the step; only the cache mount carries anything from the first run.
      'app/Dockerfile': `FROM ${IMAGE}
ARG RUN_ID
RUN --mount=type=cache,target=${cache} sh -c 'if [ -f ${cache}/warm ]; then echo "cache hit: $(cat ${cache}/warm)"; else echo "cache cold"; sleep 4; echo "$RUN_ID" > ${cache}/warm; fi; cp ${cache}/warm /from-cache'
`,
    });
    const first = await tug(['build', '--progress', 'plain'], dir, { env: { RUN_ID: 'first' } });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^app \| cache cold$/m);
    const second = await tug(['build', '--progress', 'plain'], dir, { env: { RUN_ID: 'second' } });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/^app \| cache hit: first$/m);
    // The image of the second build holds what the first build left in the cache, not its own RUN_ID.
    expect((await docker(['run', '--rm', image, 'cat', '/from-cache'])).stdout.trim()).toBe('first');
    console.log(`cache mount: first build ${first.ms} ms, second build ${second.ms} ms`);
    expect(second.ms).toBeLessThan(first.ms - 2500);
  }, 120_000);

  it('a build secret is readable in RUN and is not in the image', async () => {
    const project = scope.project('bk-secret');
    const image = `${project}-app`;
    images.push(image);
    const fileValue = `file-secret-${rand()}${rand()}`;
    const envValue = `env-secret-${rand()}${rand()}`;
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const dir = await scope.stack(`name: ${project}
services:
  app:
    build:
      context: ./app
      secrets:
        - token
        - source: from_env
          target: envtoken
secrets:
  token:
    file: ./token.txt
  from_env:
    environment: TUG_E2E_BUILD_SECRET
`, {
      'token.txt': fileValue,
      'app/Dockerfile': `FROM ${IMAGE}
# BuildKit leaves secrets out of a step's cache key: a step of its own, so this run computes them.
RUN echo ${rand()}
RUN --mount=type=secret,id=token --mount=type=secret,id=envtoken sh -c 'sha256sum /run/secrets/token | cut -d" " -f1 > /token.sha; sha256sum /run/secrets/envtoken | cut -d" " -f1 > /env.sha'
`,
    });
    const r = await tug(['build', '--progress', 'plain'], dir, { env: { TUG_E2E_BUILD_SECRET: envValue } });
    expect(r.code, r.stderr).toBe(0);
    // Read in RUN: the digests of both values were computed there.
    const inImage = await docker(['run', '--rm', image, 'sh', '-c',
      'cat /token.sha /env.sha; for f in /run/secrets/token /run/secrets/envtoken; do test -e $f && echo "$f present" || echo "$f absent"; done']);
    expect(inImage.stdout.trim().split('\n')).toEqual([sha(fileValue), sha(envValue), '/run/secrets/token absent', '/run/secrets/envtoken absent']);
    // Not in any layer, nor in the image's history or config.
    const saved = await docker(['save', image]);
    expect(saved.stdout.includes(fileValue)).toBe(false);
    expect(saved.stdout.includes(envValue)).toBe(false);
    const history = (await docker(['history', '--no-trunc', image])).stdout + (await docker(['image', 'inspect', image])).stdout;
    expect(history).not.toContain(fileValue);
    expect(history).not.toContain(envValue);
  }, 120_000);

  it('two services build at once: their builds overlap in time, each reporting its current step', async () => {
    const project = scope.project('bk-parallel');
    images.push(`${project}-one`, `${project}-two`);
    const stamp = rand();
    const dir = await scope.stack(`name: ${project}
services:
  one:
    build: ./one
  two:
    build: ./two
`, {
      'one/Dockerfile': `FROM ${IMAGE}\nRUN echo one ${stamp} && sleep 3\n`,
      'two/Dockerfile': `FROM ${IMAGE}\nRUN echo two ${stamp} && sleep 3\n`,
    });
    const r = await tug(['build', '--progress', 'json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const events = jsonEvents(r.stderr).filter((e) => e.resource === 'image' && e.action === 'build');
    const span = (service: string) => {
      const mine = events.filter((e) => e.service === service);
      const start = Date.parse(mine.find((e) => e.state === 'working')!.time);
      const end = Date.parse(mine.find((e) => e.state === 'done')!.time);
      const run = mine.find((e) => e.state === 'working' && /RUN echo/.test(e.message ?? ''));
      return { start, end, run: run && Date.parse(run.time) };
    };
    const one = span('one');
    const two = span('two');
    // Each one's RUN step started before the other's build ended.
    expect(one.run).toBeDefined();
    expect(two.run).toBeDefined();
    expect(one.run!).toBeLessThan(two.end);
    expect(two.run!).toBeLessThan(one.end);
    expect(Math.max(one.start, two.start)).toBeLessThan(Math.min(one.end, two.end) - 2000);
  }, 120_000);

  it('a failing step exits 5 with its output and its Dockerfile line', async () => {
    const project = scope.project('bk-fail');
    images.push(`${project}-app`);
    const dir = await scope.stack(`name: ${project}
services:
  app:
    build: ./app
`, {
      'app/Dockerfile': `FROM ${IMAGE}
RUN echo fine
RUN echo "about to fail" && \\
    echo "details on stderr" >&2 && \\
    exit 3
RUN echo never
`,
    });
    const r = await tug(['build', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(5);
    const report = r.stderr.slice(r.stderr.indexOf('error:'));
    expect(report).toMatch(/error: building [^:]+-app: app\/Dockerfile:3-5: RUN echo "about to fail" && echo "details on stderr" >&2 && exit 3: exit code 3/);
    expect(report).toContain('  > about to fail');
    expect(report).toContain('  > details on stderr');
    expect(r.stderr).not.toContain('never');
  }, 120_000);

  it('DOCKER_BUILDKIT=0 builds with the classic builder and says so; what it cannot do is refused at its line', async () => {
    const project = scope.project('bk-classic');
    images.push(`${project}-app`);
    const yaml = `name: ${project}
services:
  app:
    build:
      context: ./app
      secrets: [token]
secrets:
  token:
    file: ./token.txt
`;
    const dir = await scope.stack(yaml, { 'token.txt': 'x', 'app/Dockerfile': `FROM ${IMAGE}\nRUN echo classic\n` });
    const refused = await tug(['build'], dir, { env: { DOCKER_BUILDKIT: '0' } });
    expect(refused.code, refused.stderr).toBe(3);
    const line = yaml.split('\n').findIndex((l) => l.includes('secrets: [token]')) + 1;
    expect(refused.stderr).toContain(`compose.yaml:${line}:7: service "app": build.secrets is not supported by tug: it needs BuildKit`);
    await writeFile(join(dir, 'compose.yaml'), yaml.replace('      secrets: [token]\n', ''));
    const r = await tug(['up', '-d', '--progress', 'plain'], dir, { env: { DOCKER_BUILDKIT: '0' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`image ${project}-app built \\(\\d+\\.\\ds\\): classic builder`));
  }, 120_000);

  it('what the Engine API\'s build cannot carry is refused at its line, before anything is created', async () => {
    const project = scope.project('bk-refuse');
    const yaml = `name: ${project}
services:
  app:
    build:
      context: ./app
      additional_contexts:
        lib: ./lib
`;
    const dir = await scope.stack(yaml, { 'app/Dockerfile': `FROM ${IMAGE}\n` });
    const r = await tug(['up', '-d'], dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`compose.yaml:6:7: service "app": build.additional_contexts is not supported by tug`);
    expect(await engine.networks.list({ name: `${project}_default` })).toEqual([]);
  }, 60_000);
  it('what this engine\'s BuildKit cannot do is refused at its key\'s line: two platforms, a named network, shm_size before API 1.42, a local cache', async () => {
    const project = scope.project('bk-refuse-engine');
    const apiVersion = await engine.system.apiVersion();
    const cases: [string, string][] = [
      ['platforms', '      platforms: [linux/amd64, linux/arm64]\n'],
      ['network', '      network: somenet\n'],
      ['cache_from', '      cache_from: [type=local,src=/tmp/cache]\n'],
      // The engine hands BuildKit shm_size from Engine API 1.42 (Docker 23); this one may be older.
      ...(Number(apiVersion.split('.')[1]) < 42 ? [['shm_size', '      shm_size: 64m\n'] as [string, string]] : []),
    ];
    const dir = await scope.stack('', { 'app/Dockerfile': `FROM ${IMAGE}\n` });
    for (const [key, line] of cases) {
      await writeFile(join(dir, 'compose.yaml'), `name: ${project}\nservices:\n  app:\n    build:\n      context: ./app\n${line}`);
      const r = await tug(['build'], dir);
      expect(r.code, `${key}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`compose.yaml:6:7: service "app": build.${key} is not supported by tug`);
    }
    expect(await engine.images.localId(`${project}-app`)).toBeUndefined();
  }, 60_000);
  it('target, args, labels, tags and network: none reach the BuildKit build', async () => {
    const project = scope.project('bk-keys');
    const extra = `${project}-extra:v1`;
    images.push(`${project}-app`, extra);
    const dir = await scope.stack(`name: ${project}
services:
  app:
    build:
      context: ./app
      target: dev
      args: {GREETING: hello-args}
      labels: {com.example.built-by: tug-e2e}
      tags: [${extra}]
      network: none
`, {
      'app/Dockerfile': `FROM ${IMAGE} AS base
ARG GREETING
RUN echo "$GREETING" > /greeting
FROM base AS dev
RUN echo dev > /stage
FROM base AS prod
RUN echo prod > /stage
`,
    });
    const r = await tug(['build', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = await docker(['run', '--rm', `${project}-app`, 'cat', '/greeting', '/stage']);
    expect(out.stdout).toBe('hello-args\ndev\n');
    const label = await docker(['image', 'inspect', '-f', '{{index .Config.Labels "com.example.built-by"}}', `${project}-app`]);
    expect(label.stdout.trim()).toBe('tug-e2e');
    const ids = await docker(['image', 'inspect', '-f', '{{.Id}}', `${project}-app`, extra]);
    const [a, b] = ids.stdout.trim().split('\n');
    expect(a).toMatch(/^sha256:/);
    expect(b).toBe(a);
  }, 60_000);
  it('an ssh agent is forwarded to RUN --mount=type=ssh, by the default id (SSH_AUTH_SOCK) and by a named one', async () => {
    const project = scope.project('bk-ssh');
    images.push(`${project}-app`);
    const dir = await scope.stack(`name: ${project}
services:
  app:
    build:
      context: ./app
      no_cache: true
      ssh: [default, deploy=./agent.sock]
`, {
      'app/Dockerfile': `FROM ${IMAGE}
RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "default agent at $SSH_AUTH_SOCK"
RUN --mount=type=ssh,id=deploy test -S "$SSH_AUTH_SOCK" && echo "deploy agent at $SSH_AUTH_SOCK"
RUN --mount=type=ssh,id=nosuch,required=true true
`,
    });
    // A real agent (no keys needed: BuildKit asks the session whether it serves the id, then mounts its socket).
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(await stat(sock).then((st) => st.isSocket(), () => false)); i++) await new Promise((r) => setTimeout(r, 50));
      // The last step requires an id the build was not given: the session refuses it, naming it.
      const r = await tug(['build'], dir, { env: { SSH_AUTH_SOCK: sock } });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain('app | default agent at /run/buildkit/ssh_agent.0');
      expect(r.stderr).toContain('app | deploy agent at /run/buildkit/ssh_agent.0');
      const report = r.stderr.slice(r.stderr.indexOf('error:'));
      expect(report).toContain('app/Dockerfile:4: RUN --mount=type=ssh,id=nosuch,required=true true');
      expect(report).toContain('no ssh agent nosuch is given to this build');
    } finally {
      agent.kill();
    }
  }, 60_000);
  it('a FROM on a registry that asks for credentials is answered, through the session, from the docker config', async () => {
    // A registry of the test's own on the engine's loopback (an insecure registry by default):
    // it challenges for Basic credentials and records what it is sent; it holds no image.
    const expected = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    const seen: (string | undefined)[] = [];
    const registry = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization === expected) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        return void res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      }
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="tug-e2e"', 'Docker-Distribution-Api-Version': 'registry/2.0' });
      res.end();
    });
    registry.on('clientError', (_e, socket) => socket.destroy()); // the engine tries TLS first
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
    try {
      const project = scope.project('bk-auth');
      const dir = await scope.stack(`name: ${project}\nservices:\n  app:\n    build: ./app\n`, {
        'app/Dockerfile': `FROM ${host}/tug/private:1\nRUN true\n`,
        'docker/config.json': JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }),
        'empty/config.json': '{}',
      });
      const withAuth = await tug(['build'], dir, { env: { DOCKER_CONFIG: join(dir, 'docker') } });
      expect(withAuth.code, withAuth.stderr).toBe(5);
      expect(seen).toContain(expected);
      // The registry, having taken the credentials, says it has no such image: that is the failure.
      expect(withAuth.stderr).toMatch(/not found|manifest unknown/i);
      seen.length = 0;
      const anonymous = await tug(['build'], dir, { env: { DOCKER_CONFIG: join(dir, 'empty') } });
      expect(anonymous.code, anonymous.stderr).toBe(5);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((a) => a === undefined)).toBe(true);
    } finally {
      registry.close();
    }
  }, 60_000);
});
