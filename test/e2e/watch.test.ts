/**
 * The dev loop on the real engine, through the CLI as a developer runs it: `tug watch` (and
 * `up --watch`) with `develop.watch` rules, files edited on the host, their effect read inside
 * the containers.
 *
 * - sync: creates, updates and deletes arrive; a file in an ignored directory and one the build
 *   context's .dockerignore leaves out do not; initial_sync copies what was there before.
 * - sync+restart restarts the container (a new StartedAt); sync+exec runs its command after the
 *   files arrived (its output file holds the new content); restart restarts.
 * - rebuild: a Dockerfile service whose image COPYs a file is rebuilt and recreated when the
 *   file changes, and its `restart: true` dependent is restarted.
 * - Every replica gets the files, one archive each; `include` leaves out what it does not match.
 * - A rule tug cannot honour (rebuild without build:) is refused at its line; Ctrl-C ends
 *   `tug watch` with 0, and `up --watch` stops the stack as attached `up` does.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, docker, dockerExec, e2eScope, inspect, tug } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const children: Running[] = [];
const scope = e2eScope({
  cleanupTimeoutMs: 120_000,
  beforeCleanup: async () => {
    for (const c of children) c.kill();
  },
  afterCleanup: async () => {
    for (const p of scope.projects) {
      // By name, never by id: an image built FROM busybox alone is busybox's own id, and removing
      // that would take busybox:latest with it. Untagging leaves the shared image alone.
      const images = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${p}-*`], { allowFail: true })).stdout.split('\n').filter(Boolean);
      if (images.length) await docker(['rmi', ...images], { allowFail: true });
    }
  },
});
const { engine } = scope;

interface JsonEvent {
  resource: string;
  name: string;
  service?: string;
  action: string;
  state: string;
  message?: string;
  detail?: Record<string, number>;
  error?: { code: string; message: string };
}

interface Running {
  events: JsonEvent[];
  stdout: () => string;
  stderr: () => string;
  /** The first event matching (seen already or to come). */
  event: (match: (e: JsonEvent) => boolean, what: string, ms?: number) => Promise<JsonEvent>;
  kill: (s?: NodeJS.Signals) => void;
  exit: Promise<number | null>;
}

/** `tug ARGS --progress json` left running, stderr parsed as it streams. */
function start(args: string[], cwd: string): Running {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', TUG_DEBUG: '' };
  for (const k of Object.keys(env)) if (k.startsWith('COMPOSE_')) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args, '--progress', 'json'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: JsonEvent[] = [];
  const waiters = new Set<() => void>();
  let stdout = '';
  let stderr = '';
  let partial = '';
  let closed = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        events.push(JSON.parse(line) as JsonEvent);
      } catch {
        continue;
      }
    }
    for (const w of [...waiters]) w();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => {
    closed = true;
    for (const w of [...waiters]) w();
    resolve(code);
  }));
  const running: Running = {
    events,
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (s = 'SIGKILL') => void child.kill(s),
    exit,
    event: (match, what, ms = 30_000) => new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      const check = () => {
        const hit = events.find(match);
        if (hit) return void (done(), resolve(hit));
        if (closed) return void (done(), reject(new Error(`tug exited before ${what}; stderr:\n${stderr}`)));
      };
      const timer = setTimeout(() => (done(), reject(new Error(`no ${what} within ${ms} ms; stderr:\n${stderr}`))), ms);
      waiters.add(check);
      check();
    }),
  };
  children.push(running);
  return running;
}

const isEvent = (resource: string, name: string, action: string, state = 'done') => (e: JsonEvent) =>
  e.resource === resource && e.name === name && e.action === action && e.state === state;

/** Polls a shell command in the container until its output satisfies `ok`. */
async function until(container: string, script: string, ok: (out: string) => boolean, what: string, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    last = (await docker(['exec', container, 'sh', '-c', script], { allowFail: true })).stdout;
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const startedAt = async (container: string): Promise<string> => (await inspect(container)).State.StartedAt as string;

const SLEEPER = `    init: true\n    command: ["sleep", "3600"]`;

describe('tug watch', () => {
  it('syncs creates, updates and deletes (not ignored paths), restarts, runs hooks, and ends on Ctrl-C with 0', async () => {
    const project = scope.project('watch');
    const dir = await scope.stack(`
name: ${project}
services:
  web:
    build: ./web
${SLEEPER}
    develop:
      watch:
        - path: ./web
          action: sync
          target: /app
          initial_sync: true
          ignore: [tmp/]
  bounce:
    image: busybox:latest
${SLEEPER}
    develop:
      watch:
        - {path: ./bounce, action: sync+restart, target: /conf}
  hook:
    image: busybox:latest
${SLEEPER}
    develop:
      watch:
        - path: ./hook
          action: sync+exec
          target: /src
          exec:
            command: sh -c 'cat /src/in.txt > /tmp/out.txt && echo "$$GREETING" >> /tmp/out.txt'
            environment: [GREETING=hi]
  plain:
    image: busybox:latest
${SLEEPER}
    develop:
      watch:
        - {path: ./plain.conf, action: restart}
`, {
      'web/Dockerfile': 'FROM busybox:latest\n',
      'web/.dockerignore': '*.secret\n',
      'web/before.txt': 'there before\n',
      'bounce/app.conf': 'one\n',
      'hook/in.txt': 'first\n',
      'plain.conf': 'a=1\n',
    });
    const w = start(['watch'], dir);
    await w.event(isEvent('project', project, 'watch'), 'watch enabled', 60_000);
    const web = `${project}-web-1`;

    // initial_sync: what was there before watching began.
    expect(await dockerExec(web, 'cat /app/before.txt')).toBe('there before\n');

    // Create, then an ignored directory and a .dockerignored file, then the marker last.
    await writeFile(join(dir, 'web/new.txt'), 'created\n');
    await mkdir(join(dir, 'web/tmp'), { recursive: true });
    await writeFile(join(dir, 'web/tmp/scratch.txt'), 'no\n');
    await writeFile(join(dir, 'web/key.secret'), 'no\n');
    await mkdir(join(dir, 'web/sub/deeper'), { recursive: true });
    await writeFile(join(dir, 'web/sub/deeper/marker.txt'), 'marker\n');
    await until(web, 'cat /app/new.txt /app/sub/deeper/marker.txt', (o) => o === 'created\nmarker\n', 'created files');
    expect((await docker(['exec', web, 'ls', '-a', '/app'])).stdout.split('\n')).not.toContain('tmp');
    expect((await docker(['exec', web, 'test', '-e', '/app/key.secret'], { allowFail: true })).code).not.toBe(0);

    // Update and delete.
    await writeFile(join(dir, 'web/new.txt'), 'updated\n');
    await rm(join(dir, 'web/before.txt'));
    await until(web, 'cat /app/new.txt; test -e /app/before.txt && echo still-there', (o) => o === 'updated\n', 'update and delete');

    // sync+restart: the file arrives and the container starts again.
    const bounce = `${project}-bounce-1`;
    const bounceBefore = await startedAt(bounce);
    await writeFile(join(dir, 'bounce/app.conf'), 'two\n');
    await w.event(isEvent('service', 'bounce', 'restart'), 'bounce restarted');
    expect(await dockerExec(bounce, 'cat /conf/app.conf')).toBe('two\n');
    expect(await startedAt(bounce)).not.toBe(bounceBefore);

    // sync+exec: the command ran after the sync (its output holds the new content).
    const hook = `${project}-hook-1`;
    await writeFile(join(dir, 'hook/in.txt'), 'second\n');
    await until(hook, 'cat /tmp/out.txt 2>/dev/null', (o) => o === 'second\nhi\n', 'the hook\'s output');
    await w.event(isEvent('container', hook, 'exec'), 'the exec event');

    // restart: nothing is copied, the container restarts.
    const plain = `${project}-plain-1`;
    const plainBefore = await startedAt(plain);
    await writeFile(join(dir, 'plain.conf'), 'a=2\n');
    await w.event(isEvent('service', 'plain', 'restart'), 'plain restarted');
    expect(await startedAt(plain)).not.toBe(plainBefore);

    // Every sync went as one archive per container; nothing failed.
    const syncs = w.events.filter((e) => e.action === 'sync' && e.state === 'done');
    expect(syncs.length).toBeGreaterThan(0);
    for (const s of syncs) expect(s.detail!.archives).toBeLessThanOrEqual(s.detail!.containers ?? 0);
    expect(w.events.filter((e) => e.state === 'error')).toEqual([]);

    w.kill('SIGINT');
    expect(await w.exit).toBe(0);
    expect(w.events.at(-1)).toMatchObject({ resource: 'project', action: 'watch', message: 'disabled' });
    // Watching ended; the services keep running.
    const running = await listContainers(engine, { project, all: false });
    expect(running.map((c) => c.service).sort()).toEqual(['bounce', 'hook', 'plain', 'web']);
  }, 180_000);

  it('rebuilds and recreates a service when its build input changes, and restarts its restart: true dependent', async () => {
    const project = scope.project('rebuild');
    const dir = await scope.stack(`
name: ${project}
services:
  app:
    build: ./app
${SLEEPER}
    develop:
      watch:
        - {path: ./app/message.txt, action: rebuild}
  follower:
    image: busybox:latest
${SLEEPER}
    depends_on:
      app: {condition: service_started, restart: true}
`, {
      'app/Dockerfile': 'FROM busybox:latest\nCOPY message.txt /message.txt\n',
      'app/message.txt': 'version 1\n',
    });
    const w = start(['watch'], dir);
    await w.event(isEvent('project', project, 'watch'), 'watch enabled', 90_000);
    const app = `${project}-app-1`;
    const follower = `${project}-follower-1`;
    expect(await dockerExec(app, 'cat /message.txt')).toBe('version 1\n');
    const appId = (await inspect(app)).Id as string;
    const followerBefore = await startedAt(follower);

    await writeFile(join(dir, 'app/message.txt'), 'version 2\n');
    await w.event(isEvent('service', 'app', 'rebuild'), 'app rebuilt', 90_000);
    expect((await inspect(app)).Id).not.toBe(appId);
    expect(await dockerExec(app, 'cat /message.txt')).toBe('version 2\n');
    expect(await startedAt(follower)).not.toBe(followerBefore);
    expect(w.events.filter((e) => e.state === 'error')).toEqual([]);

    w.kill('SIGINT');
    expect(await w.exit).toBe(0);
  }, 180_000);

  it('syncs into every replica, one archive each, only what `include` takes', async () => {
    const project = scope.project('replicas');
    const dir = await scope.stack(`
name: ${project}
services:
  web:
    image: busybox:latest
${SLEEPER}
    deploy: {replicas: 2}
    develop:
      watch:
        - path: ./src
          action: sync
          target: /src
          include: ['**/*.txt']
`, { 'src/keep.txt': 'v0\n' });
    const w = start(['watch'], dir);
    await w.event(isEvent('project', project, 'watch'), 'watch enabled', 60_000);
    const from = w.events.length;
    // The one it leaves out first, so that the marker's arrival proves it was passed over.
    await writeFile(join(dir, 'src/notes.md'), 'not included\n');
    await mkdir(join(dir, 'src/sub'), { recursive: true });
    await writeFile(join(dir, 'src/sub/deep.txt'), 'deep\n');
    await writeFile(join(dir, 'src/keep.txt'), 'v1\n');
    for (const replica of [`${project}-web-1`, `${project}-web-2`]) {
      await until(replica, 'cat /src/keep.txt /src/sub/deep.txt', (o) => o === 'v1\ndeep\n', `the files in ${replica}`);
      expect((await docker(['exec', replica, 'test', '-e', '/src/notes.md'], { allowFail: true })).code).not.toBe(0);
    }
    const syncs = w.events.slice(from).filter((e) => e.action === 'sync' && e.state === 'done');
    expect(syncs.length).toBeGreaterThan(0);
    // Each sync went to both replicas as one archive apiece.
    for (const e of syncs) expect(e.detail?.archives).toBe(2);
    w.kill('SIGINT');
    expect(await w.exit).toBe(0);
  }, 120_000);

  it('refuses a rule it cannot honour at its line, before starting anything', async () => {
    const project = scope.project('refuse');
    const dir = await scope.stack(`
name: ${project}
services:
  web:
    image: busybox:latest
${SLEEPER}
    develop:
      watch:
        - path: ./src
          action: rebuild
`, { 'src/a.txt': 'a\n' });
    const r = await tug(['watch'], dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/compose\.yaml:11:\d+: service "web" has no build section/);
    expect(await listContainers(engine, { project, all: true })).toEqual([]);
  });
});

describe('up --watch', () => {
  it('follows the logs, syncs, and stops the stack on Ctrl-C', async () => {
    const project = scope.project('upwatch');
    const dir = await scope.stack(`
name: ${project}
services:
  web:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "echo ready; exec sleep 3600"]
    develop:
      watch:
        - {path: ./site, action: sync, target: /site}
`, { 'site/index.html': 'one\n' });
    const w = start(['up', '--watch'], dir);
    await w.event(isEvent('project', project, 'watch'), 'watch enabled', 60_000);
    const web = `${project}-web-1`;
    await writeFile(join(dir, 'site/index.html'), 'two\n');
    await until(web, 'cat /site/index.html', (o) => o === 'two\n', 'the synced page');
    expect(w.stdout()).toContain('web-1 | ready');
    w.kill('SIGINT');
    expect(await w.exit).toBe(130);
    expect(await listContainers(engine, { project, all: false })).toEqual([]);
  }, 120_000);
});
