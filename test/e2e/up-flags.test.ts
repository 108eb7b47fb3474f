/**
 * `up`'s Compose flags on the real engine: --attach/--no-attach choose whose output is
 * printed, --timestamps and --no-log-prefix shape the lines, -V gives recreated containers
 * new anonymous volumes (and removes the old ones); --abort-on-container-failure stops the
 * stack on a non-zero exit only; --attach-dependencies adds the dependencies' output;
 * --no-build never builds; --quiet-build hides the build's progress.
 */
import { describe, expect, it } from 'vitest';
import { connect, docker, dockerExec, e2eScope, IMAGE, tug, uniqueProject } from './helpers.js';
import { listContainers, listVolumes } from '../../src/run/observe.js';

const project = uniqueProject('upflags');
const engine = connect();
let dir: string;
let volDir: string;

const STACK = `
name: ${project}
services:
  a:
    image: ${IMAGE}
    command: ["sh", "-c", "echo hello-from-a"]
  b:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 0.3; echo hello-from-b"]
`;

// b outlives a: up watches only what it prints (or the services named), as Compose's monitor.
const WATCH_PROJECT = `${project}-w`;
const WATCH_STACK = `
name: ${WATCH_PROJECT}
services:
  a:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 0.5; echo hello-from-a"]
  b:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "echo hello-from-b; exec sleep 600"]
`;

const VOL_PROJECT = `${project}-v`;
const VOL_STACK = `
name: ${VOL_PROJECT}
services:
  keeper:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    volumes: ["/data"]
`;

describe('up --attach/--no-attach/--timestamps/--no-log-prefix/-V on the real engine', () => {
  const scope = e2eScope({
    setup: async () => {
      dir = await scope.stack(STACK);
      volDir = await scope.stack(VOL_STACK);
      watchDir = await scope.stack(WATCH_STACK);
    },
  });
  scope.projects.push(project, VOL_PROJECT, WATCH_PROJECT);
  let watchDir: string;

  it('--no-attach hides a service\'s output; up ends when the printed ones have stopped and leaves that one running, as Compose', async () => {
    const r = await tug(['up', '--no-attach', 'b', '--progress', 'quiet'], watchDir, { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^a-1 +\| hello-from-a$/m);
    expect(r.stdout).toMatch(/^a-1 exited with code 0$/m);
    expect(r.stdout).not.toContain('hello-from-b');
    const states = async () => Object.fromEntries((await listContainers(engine, { project: WATCH_PROJECT, all: true })).map((c) => [c.service, c.state]));
    expect(await states()).toEqual({ a: 'exited', b: 'running' });
    // Named on the command line, a is what up watches, whatever it prints.
    const named = await tug(['up', 'a', '--attach', 'b', '--progress', 'quiet'], watchDir, { timeoutMs: 60_000 });
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).not.toContain('hello-from-a');
    expect(await states()).toEqual({ a: 'exited', b: 'running' });
  });

  it('--attach prints only the named service; --timestamps and --no-log-prefix shape its lines', async () => {
    const r = await tug(['up', '--attach', 'b', '--timestamps', '--no-log-prefix', '--progress', 'quiet'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('hello-from-a');
    // RFC 3339 from the engine, then the line; no `b-1 |` prefix.
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z hello-from-b$/m);
    expect(r.stdout).not.toMatch(/\| hello-from-b/);
  });

  it('an unknown service to --attach is a usage error before anything starts', async () => {
    const r = await tug(['up', '--attach', 'nope'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such service: nope');
  });

  it('-V recreates the container with a new anonymous volume and removes the old one; without it the data is carried over', async () => {
    const up = (extra: string[]) => tug(['up', '-d', '--progress', 'quiet', ...extra], volDir);
    expect((await up([])).code).toBe(0);
    const name = `${VOL_PROJECT}-keeper-1`;
    await dockerExec(name, 'echo kept > /data/marker');
    const before = (await listVolumes(engine, { project: VOL_PROJECT })).map((v) => v.name);
    expect(before).toHaveLength(1);

    const forced = await up(['--force-recreate']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await dockerExec(name, 'cat /data/marker')).toBe('kept\n');

    const first = (await listContainers(engine, { project: VOL_PROJECT })).map((c) => c.id);
    const renewed = await up(['-V']);
    expect(renewed.code, renewed.stderr).toBe(0);
    const after = await listContainers(engine, { project: VOL_PROJECT });
    expect(after.map((c) => c.id)).not.toEqual(first); // -V recreates though nothing changed
    expect(await dockerExec(name, 'ls /data')).toBe('');
    const volumes = (await listVolumes(engine, { project: VOL_PROJECT })).map((v) => v.name);
    expect(volumes).toHaveLength(1);
    expect(volumes).not.toEqual(before);
  });

  it('-V with --no-recreate is refused, as Compose refuses it', async () => {
    const r = await tug(['up', '-d', '-V', '--no-recreate'], volDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/renew-anon-volumes.*no-recreate|no-recreate.*renew-anon-volumes/);
  });
});

const FAIL_PROJECT = `${project}-f`;
const FAIL_STACK = `
name: ${FAIL_PROJECT}
services:
  ok:
    image: ${IMAGE}
    command: ["sh", "-c", "echo ok-done"]
  bad:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; echo bad-done; exit 3"]
  long:
    image: ${IMAGE}
    init: true
    command: ["sleep", "60"]
`;

const DEPS_PROJECT = `${project}-d`;
const DEPS_STACK = `
name: ${DEPS_PROJECT}
services:
  web:
    image: ${IMAGE}
    depends_on: [db]
    command: ["sh", "-c", "sleep 0.3; echo hello-from-web"]
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "echo hello-from-db; sleep 0.5"]
`;

const BUILD_PROJECT = `${project}-b`;
const BUILD_STACK = `
name: ${BUILD_PROJECT}
services:
  app:
    build: .
    command: ["true"]
`;

describe('up --abort-on-container-failure/--attach-dependencies/--no-build/--quiet-build on the real engine', () => {
  let failDir: string;
  let depsDir: string;
  let buildDir: string;
  const scope = e2eScope({
    setup: async () => {
      failDir = await scope.stack(FAIL_STACK);
      depsDir = await scope.stack(DEPS_STACK);
      buildDir = await scope.stack(BUILD_STACK, { Dockerfile: `FROM ${IMAGE}\nRUN echo built > /built\n` });
    },
    afterCleanup: () => docker(['rmi', '-f', `${BUILD_PROJECT}-app`], { allowFail: true }),
  });
  scope.projects.push(FAIL_PROJECT, DEPS_PROJECT, BUILD_PROJECT);

  it('--abort-on-container-failure: a zero exit does not stop the stack, a non-zero one does, with its code', async () => {
    const r = await tug(['up', '--abort-on-container-failure', '-t', '1', '--progress', 'plain'], failDir);
    expect(r.code, r.stderr).toBe(3);
    // ok exited 0 first and the stack went on: bad still ran to its end.
    expect(r.stdout).toMatch(/^ok-1 +\| ok-done$/m);
    expect(r.stdout).toMatch(/^bad-1 +\| bad-done$/m);
    expect(r.stderr).toMatch(/bad exited with code 3/);
    const long = (await listContainers(engine, { project: FAIL_PROJECT, all: true })).find((c) => c.service === 'long')!;
    expect(long.state).toBe('exited');
  });

  it('--abort-on-container-failure is refused with -d and with --abort-on-container-exit, as Compose refuses it', async () => {
    const detached = await tug(['up', '-d', '--abort-on-container-failure'], failDir);
    expect(detached.code).toBe(2);
    expect(detached.stderr).toMatch(/abort-on-container-failure/);
    const both = await tug(['up', '--abort-on-container-exit', '--abort-on-container-failure'], failDir);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/abort-on-container-failure.*abort-on-container-exit|abort-on-container-exit.*abort-on-container-failure/);
  });

  it('up SERVICE prints that service only; --attach-dependencies adds what it depends on', async () => {
    const plain = await tug(['up', 'web', '--progress', 'quiet'], depsDir);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^web-1 +\| hello-from-web$/m);
    expect(plain.stdout).not.toContain('hello-from-db');
    const deps = await tug(['up', 'web', '--attach-dependencies', '--force-recreate', '--progress', 'quiet'], depsDir);
    expect(deps.code, deps.stderr).toBe(0);
    expect(deps.stdout).toMatch(/^web-1 +\| hello-from-web$/m);
    expect(deps.stdout).toMatch(/^db-1 +\| hello-from-db$/m);
    const withAttach = await tug(['up', 'web', '--attach-dependencies', '--attach', 'web'], depsDir);
    expect(withAttach.code).toBe(2);
  });

  it('--no-build: a service with build: and no image fails naming the flag, and nothing is created (up and create)', async () => {
    for (const verb of [['up', '-d'], ['create']]) {
      const r = await tug([...verb, '--no-build', '--progress', 'plain'], buildDir);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain(`image ${BUILD_PROJECT}-app`);
      expect(r.stderr).toContain('--no-build forbids building it');
      expect(await listContainers(engine, { project: BUILD_PROJECT, all: true })).toEqual([]);
    }
    const both = await tug(['up', '--build', '--no-build'], buildDir);
    expect(both.code).toBe(2);
  });

  it('--quiet-build hides the build\'s progress that a plain up shows; --no-build then uses the built image', async () => {
    const quiet = await tug(['up', '-d', '--quiet-build', '--progress', 'plain'], buildDir);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/buil[dt]/i);
    expect(quiet.stderr).toMatch(/app/);
    // It did build: the image was absent before (the --no-build test above found none).
    expect((await docker(['image', 'inspect', `${BUILD_PROJECT}-app`], { allowFail: true })).code).toBe(0);
    // tug builds with --build for the containers it recreates.
    const shown = await tug(['up', '-d', '--build', '--force-recreate', '--progress', 'plain'], buildDir);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toMatch(/buil[dt]/i);
    const reuse = await tug(['up', '-d', '--no-build', '--force-recreate', '--progress', 'plain'], buildDir);
    expect(reuse.code, reuse.stderr).toBe(0);
    expect(reuse.stderr).not.toMatch(/buil[dt]/i);
  });
});
