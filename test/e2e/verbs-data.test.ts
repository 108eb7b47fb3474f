/**
 * The verbs that report on a stack or feed it images (wait, top, images, port, pull, build,
 * ls, events), each through the CLI binary on one small busybox stack. The steps build on
 * each other (build, then up, then the reports) and run in order.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, IMAGE, docker, e2eScope, tug, watched } from './helpers.js';

const scope = e2eScope({
  setup: async () => {
    port = await freePort();
    dir = await scope.stack(stack(port), { 'img/Dockerfile': `FROM ${IMAGE}\nRUN echo built > /built\n` });
  },
  afterCleanup: async () => {
    await engine.images.remove(built).catch(() => {});
  },
});
const { engine } = scope;
const project = scope.project('verbs');
const built = `${project}-app`;

/** A host port nothing listens on now, so parallel runs do not fight over a fixed one. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '0.0.0.0', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function stack(port: number): string {
  return `
name: ${project}
services:
  web:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    ports: ["${port}:80"]
  job:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; exit 7"]
  app:
    build: ./img
    init: true
    command: ["sleep", "300"]
`;
}

let dir: string;
let port: number;

describe('the data verbs on the real engine', () => {
  it('build tags <project>-<service> and shows the build output on stderr', async () => {
    const r = await tug(['build', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    // BuildKit names its steps `[1/2] FROM docker.io/library/busybox`, the classic builder `Step 1/2 : FROM busybox:latest`.
    expect(r.stderr).toMatch(/^app \| (\[1\/2\] FROM docker\.io\/library\/busybox\S*( \(cached\))?|Step 1\/2 : FROM busybox:latest)$/m);
    expect(r.stderr).toContain(`image ${built} built`);
    expect(await engine.images.localId(built)).toMatch(/^sha256:/);
  });

  it('wait returns the exit code of the container it waited for', async () => {
    const upped = await tug(['up', '-d', '--progress', 'quiet'], dir);
    expect(upped.code, upped.stderr).toBe(0);
    const r = await tug(['wait', 'job'], dir);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain(`${project}-job-1 exited with code 7`);
    const unknown = await tug(['wait', 'nope'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no such service: nope');
  });

  it('top shows each running container\'s processes under its name', async () => {
    const r = await tug(['top'], dir);
    expect(r.code, r.stderr).toBe(0);
    const sections = r.stdout.trim().split('\n\n');
    expect(sections.map((s) => s.split('\n')[0])).toEqual([`${project}-app-1`, `${project}-web-1`]);
    for (const s of sections) {
      expect(s.split('\n')[1]).toMatch(/^UID\s+PID\s+PPID/);
      expect(s).toMatch(/sleep 300$/m);
    }
    const json = JSON.parse((await tug(['top', 'web', '--format', 'json'], dir)).stdout) as { name: string; processes: string[][] }[];
    expect(json.map((t) => t.name)).toEqual([`${project}-web-1`]);
    expect(json[0]!.processes.some((p) => p.at(-1) === 'sleep 300')).toBe(true);
  });

  it('images lists each container\'s image: busybox, and the one tug built', async () => {
    const r = await tug(['images'], dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split(/\s{3,}/));
    expect(rows[0]).toEqual(['CONTAINER', 'REPOSITORY', 'TAG', 'PLATFORM', 'IMAGE ID', 'SIZE']);
    const byName = Object.fromEntries(rows.slice(1).map((row) => [row[0], row]));
    expect(byName[`${project}-web-1`]?.slice(1, 3)).toEqual(['busybox', 'latest']);
    expect(byName[`${project}-job-1`]?.slice(1, 3)).toEqual(['busybox', 'latest']);
    expect(byName[`${project}-app-1`]?.slice(1, 3)).toEqual([built, 'latest']);
    expect(byName[`${project}-web-1`]?.[3]).toMatch(/^linux\/[a-z0-9]+(\/v\d)?$/);
    expect(byName[`${project}-web-1`]?.[5]).toMatch(/^\d+(\.\d+)?[kMG]?B$/);

    // Compose's shape: one array, the full image id, the size in bytes.
    const json = JSON.parse((await tug(['images', 'app', '--format', 'json'], dir)).stdout) as { ContainerName: string; ID: string; Size: number; Repository: string; Tag: string }[];
    expect(json).toHaveLength(1);
    expect(json[0]!.ID).toBe(await engine.images.localId(built));
    expect(json[0]).toMatchObject({ ContainerName: `${project}-app-1`, Repository: built, Tag: 'latest' });
    expect(json[0]!.Size).toBeGreaterThan(0);
    const templated = await tug(['images', '--format', '{{.ContainerName}} {{.Repository}}:{{.Tag}}'], dir);
    expect(templated.stdout.trim().split('\n').sort()).toEqual([`${project}-app-1 ${built}:latest`, `${project}-job-1 busybox:latest`, `${project}-web-1 busybox:latest`]);

    const quiet = (await tug(['images', '-q'], dir)).stdout.trim().split('\n');
    expect(quiet.sort()).toEqual([(await engine.images.localId(IMAGE))!, (await engine.images.localId(built))!].map((id) => id.slice(7)).sort());
  });

  it('port prints the published address, and exits 1 with nothing on stdout for an unpublished port', async () => {
    const r = await tug(['port', 'web', '80'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`0.0.0.0:${port}\n`);
    const none = await tug(['port', 'web', '81'], dir);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('port 81/tcp');
    expect(none.stderr).not.toContain('internal error');
    const udp = await tug(['port', 'web', '80', '--protocol', 'udp'], dir);
    expect(udp.code).toBe(1);
    const bad = await tug(['port', 'web', 'http'], dir);
    expect(bad.code).toBe(2);
    const json = await tug(['port', 'web', '80', '--format', 'json'], dir);
    expect(JSON.parse(json.stdout)).toMatchObject({ private_port: 80, protocol: 'tcp', host_ip: '0.0.0.0', host_port: port });
  });

  it('ls shows the project with its containers counted by state', async () => {
    const r = await tug(['ls'], dir);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${project} `));
    expect(line, r.stdout).toBeDefined();
    expect(line).toContain('running(2), exited(1)');
    expect(line).toContain(join(dir, 'compose.yaml'));
    // Compose's shape: one compact array of {Name, Status, ConfigFiles}.
    const out = (await tug(['ls', '--format', 'json'], dir)).stdout;
    expect(out.trim().split('\n')).toHaveLength(1);
    const json = JSON.parse(out) as { Name: string; Status: string; ConfigFiles: string }[];
    expect(json.find((p) => p.Name === project)).toEqual({ Name: project, Status: 'running(2), exited(1)', ConfigFiles: join(dir, 'compose.yaml') });
    const table = (await tug(['ls', '--format', 'table {{.Name}}\\t{{.Status}}'], dir)).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+STATUS$/);
    expect(table.find((l) => l.startsWith(`${project} `))).toMatch(/ {3,}running\(2\), exited\(1\)$/);
    expect((await tug(['ls', '-q'], dir)).stdout.split('\n')).toContain(project);
  });

  it('pull fails cleanly with exit code 5 naming the image when no registry answers', async () => {
    const r = await tug(['pull', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/^error: pulling busybox:latest: /m);
    expect(r.stderr).toContain('service app pull skipped');
    expect(r.stderr).not.toContain('internal error');
    const ignored = await tug(['pull', 'web', '--ignore-pull-failures', '--progress', 'plain'], dir);
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(ignored.stderr).toMatch(/warning: pulling busybox:latest: /);
  });

  it('events --json prints a line for a container started while it runs, and Ctrl-C ends it with 0', async () => {
    const events = watched(process.execPath, [BIN, 'events', '--json'], dir);
    try {
      await events.until('"Watching" on stderr', () => events.out.stderr.includes('Watching the events'));
      await docker(['start', `${project}-job-1`]);
      const started = () => events.out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((e) => e.action === 'start');
      await events.until('start event', () => started() !== undefined);
      expect(started()).toMatchObject({
        type: 'container', action: 'start', service: 'job', attributes: expect.objectContaining({ name: `${project}-job-1` }),
      });
      expect(started()!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      events.child.kill('SIGINT');
      expect(await events.exited).toBe(0);
    } finally {
      events.child.kill('SIGKILL');
    }
  });
});
