/**
 * Engine failures in the middle of `up`, on the real engine: each is exit 5 with its own code,
 * names the service and the line of the key that asked for what failed, leaves what already
 * runs running (as Compose does) and ends with one summary of where each service stands.
 */
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE, docker, e2eScope, rand, tug } from './helpers.js';

const REGISTRY = '10.213.0.1:5000';
/** Containers a test made itself, by name: no project's clean-up finds them. */
const foreign: string[] = [];
const scope = e2eScope({
  beforeCleanup: async () => {
    if (foreign.length) await docker(['rm', '-f', ...foreign], { allowFail: true });
  },
});

/** The 1-based line of the first line of `yaml` containing `marker`. */
function lineOf(yaml: string, marker: string): number {
  const i = yaml.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`no line with ${marker}`);
  return i + 1;
}

/** A three-service stack: `db` first, the failing `web`, and `worker` that needs web. */
function stack(project: string, web: string): string {
  return `name: ${project}
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
  web:
    init: true
    command: ["sleep", "300"]
    depends_on: [db]
${web}
  worker:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on: [web]
`;
}

async function upFails(web: string, args: string[] = ['--progress', 'quiet']) {
  const project = scope.project('upfail');
  const yaml = stack(project, web);
  const dir = await scope.stack(yaml);
  const r = await tug(['up', '-d', ...args], dir, { timeoutMs: 120_000 });
  return { ...r, yaml, project, file: join(dir, 'compose.yaml') };
}

/** What every failure in the middle of up ends with: db left running, worker never started. */
async function expectSummary(r: { stderr: string; project: string }, code: string, at: string) {
  expect(r.stderr).toMatch(/summary: 1 up, 1 failed, 1 never started\n/);
  expect(r.stderr).toContain('  up:            db\n');
  expect(r.stderr).toContain(`  failed:        web at ${at} (${code}: `);
  expect(r.stderr).toContain('  never started: worker (waits for web)\n');
  // The summary comes last, after the error and its hint.
  expect(r.stderr.trimEnd().endsWith('never started: worker (waits for web)')).toBe(true);
  const running = (await docker(['ps', '--format', '{{.Names}}', '--filter', `label=com.docker.compose.project=${r.project}`])).stdout.trim().split('\n');
  expect(running).toEqual([`${r.project}-db-1`]);
}

describe('up: engine failures placed on the stack file, with a summary', () => {
  it('a host port held by a process that is no container: port_allocated at the ports entry', async () => {
    const server: Server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '0.0.0.0', () => resolve((server.address() as { port: number }).port));
    });
    try {
      const r = await upFails(`    image: ${IMAGE}\n    ports:\n      - "${port}:80"`);
      const at = `${r.file}:${lineOf(r.yaml, `"${port}:80"`)}:9`;
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain(`error: ${at}: service "web" cannot start: host port ${port} is already in use`);
      expect(r.stderr).toMatch(new RegExp(`hint: no container publishes host port ${port}: another process`));
      // No endpoint or container ids from the engine's text.
      expect(r.stderr).not.toMatch(/[0-9a-f]{64}/);
      await expectSummary(r, 'port_allocated', at);
    } finally {
      server.close();
    }
  });

  it('an image the registry does not have: image_not_found at the image line', async () => {
    const ref = `${REGISTRY}/tug-nosuch-${rand()}:1`;
    const r = await upFails(`    image: ${ref}`);
    const at = `${r.file}:${lineOf(r.yaml, ref)}:5`;
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`error: ${at}: service "web": image ${ref} cannot be pulled: the registry has no such image`);
    expect(r.stderr).toMatch(/hint: check the image's name and tag/);
    // Images come before any container: nothing was started, so nothing runs.
    expect(r.stderr).toMatch(/summary: 0 up, 1 failed, 2 never started\n/);
    expect(r.stderr).toContain(`  failed:        web at ${at} (image_not_found: `);
    expect(r.stderr).toContain('  never started: worker (waits for web)\n');
  });

  it('a bind source that does not exist, with create_host_path: false: bind_source_invalid at the volume entry', async () => {
    const source = `/nonexistent-tug-${rand()}`;
    const r = await upFails(`    image: ${IMAGE}\n    volumes:\n      - type: bind\n        source: ${source}\n        target: /data\n        bind:\n          create_host_path: false`);
    const at = `${r.file}:${lineOf(r.yaml, '- type: bind')}:9`;
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`error: ${at}: service "web" cannot be created: a bind mount's host path is invalid (engine: bind source path does not exist: ${source})`);
    expect(r.stderr).toContain(`hint: the host path ${source} must exist`);
    await expectSummary(r, 'bind_source_invalid', at);
  });

  it('a container_name held by a container tug did not make: name_conflict at container_name, the container untouched', async () => {
    const name = `squat-${rand()}`;
    foreign.push(name);
    await docker(['create', '--name', name, IMAGE, 'true']);
    const r = await upFails(`    image: ${IMAGE}\n    container_name: ${name}`);
    const at = `${r.file}:${lineOf(r.yaml, 'container_name:')}:5`;
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`error: ${at}: service "web": cannot create container ${name}: the name is taken by container ${name}`);
    expect(r.stderr).toContain(`hint: remove or rename it (docker rm -f ${name})`);
    await expectSummary(r, 'name_conflict', at);
    expect((await docker(['inspect', '--format', '{{.Config.Image}}', name])).stdout.trim()).toBe(IMAGE);
  });

  it('a dependency OOM-killed at start: oom_killed at its mem_limit line, from inspect\'s State.OOMKilled', async () => {
    const project = scope.project('upfail');
    const yaml = `name: ${project}
services:
  hog:
    image: ${IMAGE}
    mem_limit: 8m
    memswap_limit: 8m
    command: ["sh", "-c", "x=$$(head -c 64000000 /dev/zero | tr '\\\\0' a); echo $\${#x}"]
  app:
    image: ${IMAGE}
    command: ["sleep", "300"]
    depends_on:
      hog:
        condition: service_completed_successfully
`;
    const dir = await scope.stack(yaml);
    const r = await tug(['up', '-d', '--progress', 'quiet'], dir, { timeoutMs: 120_000 });
    const at = `${join(dir, 'compose.yaml')}:${lineOf(yaml, 'mem_limit:')}:5`;
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`error: ${at}: service "app" cannot start: its dependency "hog" was OOM-killed (exit code 137)`);
    expect(r.stderr).toMatch(/hint: the kernel's OOM killer stopped it: it needs more memory than its limit \(8 MiB\); raise mem_limit/);
    expect(r.stderr).toContain(`  failed:        hog at ${at} (oom_killed: was OOM-killed (exit code 137)`);
    expect(r.stderr).toContain('  never started: app (waits for hog)\n');
  });

  it('--progress json: the summary is one event, not text after the error', async () => {
    const ref = `${REGISTRY}/tug-nosuch-${rand()}:1`;
    const r = await upFails(`    image: ${ref}`, ['--progress', 'json']);
    expect(r.code, r.stderr).toBe(5);
    const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { action: string; summary?: unknown });
    const summaries = events.filter((e) => e.action === 'summary');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.summary).toEqual({
      up: [],
      failed: [{ service: 'web', code: 'image_not_found', at: expect.stringMatching(/compose\.yaml:\d+:5$/), message: expect.stringContaining(ref) }],
      notStarted: [{ service: 'db', waitingOn: [] }, { service: 'worker', waitingOn: ['web'] }],
    });
    expect(r.stderr).not.toMatch(/^summary:/m);
  });
});
