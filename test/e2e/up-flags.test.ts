/**
 * `up`'s Compose flags on the real engine: --attach/--no-attach choose whose output is
 * printed, --timestamps and --no-log-prefix shape the lines, -V gives recreated containers
 * new anonymous volumes (and removes the old ones).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProject, connect, dockerExec, ensureCli, IMAGE, removeDir, requireEngine, setupOnce, tug, uniqueProject, writeStack } from './helpers.js';
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
  setupOnce(async () => {
    await requireEngine(engine);
    await ensureCli();
    dir = await writeStack(STACK);
    volDir = await writeStack(VOL_STACK);
  });

  afterAll(async () => {
    await cleanupProject(engine, project);
    await cleanupProject(engine, VOL_PROJECT);
    await removeDir(dir);
    await removeDir(volDir);
  }, 60_000);

  it('--no-attach hides a service\'s output, and up still waits for it to end', async () => {
    const r = await tug(['up', '--no-attach', 'b', '--progress', 'quiet'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^a-1 +\| hello-from-a$/m);
    expect(r.stdout).not.toContain('hello-from-b');
    expect(r.stdout).not.toMatch(/^b-1 exited/m);
    // b had ended when up returned: it was waited for though not printed.
    const b = (await listContainers(engine, { project, all: true })).find((c) => c.service === 'b')!;
    expect(b.state).toBe('exited');
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
