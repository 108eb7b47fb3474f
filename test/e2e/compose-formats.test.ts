/**
 * What scripts written for `docker compose` read from tug on the real engine: `ps --format
 * json` one Compose-shaped object a line (through jq, as such scripts do), Go-template
 * formats, `ps --services`, `ps --filter status=`, `logs --index`, `events --since/--until`.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, IMAGE, e2eScope, tug } from './helpers.js';

const run = promisify(execFile);
const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
    // A second earlier than up, in RFC 3339: the engine's times are whole seconds in --since.
    before = new Date(Date.now() - 1000).toISOString();
    const up = await tug(['up', '-d', '--progress', 'quiet'], dir, { timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(0);
    // `once` exits at once; wait until it has, so that the states below are settled.
    for (let i = 0; i < 100; i++) {
      const r = await tug(['ps', '-a', '--filter', 'status=exited', '-q'], dir);
      if (r.stdout.trim()) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    after = new Date(Date.now() + 1000).toISOString();
  },
});
const project = scope.project('fmt');

const STACK = `
name: ${project}
services:
  web:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "echo hello from replica; sleep 300"]
    deploy:
      replicas: 2
    ports: ["80"]
    labels:
      team: blue
  once:
    image: ${IMAGE}
    command: ["sh", "-c", "exit 3"]
`;

let dir: string;
let before: string;
let after: string;

const COMPOSE_FIELDS = ['Command', 'CreatedAt', 'ExitCode', 'Health', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Name', 'Names', 'Networks',
  'Ports', 'Project', 'Publishers', 'RunningFor', 'Service', 'Size', 'State', 'Status'];

describe('Compose\'s output formats on the real engine', () => {
  it('ps --format json prints one object a line with Compose\'s fields, read by jq', async () => {
    const r = await tug(['ps', '--format', 'json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(COMPOSE_FIELDS);
      expect(row).toMatchObject({ Project: project, Service: 'web', State: 'running', Health: '', ExitCode: 0, Image: IMAGE });
      expect(row.ID).toMatch(/^[0-9a-f]{12}$/);
      expect(row.Networks).toBe(`${project}_default`);
      expect(row.Labels).toContain('team=blue');
      const [pub] = row.Publishers as { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
      expect(pub).toMatchObject({ TargetPort: 80, Protocol: 'tcp' });
      expect(pub!.PublishedPort).toBeGreaterThan(0);
    }
    expect(rows.map((row) => row.Name).sort()).toEqual([`${project}-web-1`, `${project}-web-2`]);

    // A script written for Compose: the published port of the first replica through jq.
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ps --format json web | jq -r 'select(.Name | endswith("-web-1")) | .Publishers[0].PublishedPort'`;
    const { stdout } = await run('sh', ['-c', script], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    expect(Number(stdout.trim())).toBe((rows.find((row) => String(row.Name).endsWith('-web-1'))!.Publishers as { PublishedPort: number }[])[0]!.PublishedPort);
  });

  it('ps -a shows the stopped container with its exit code; --status and --filter status= keep one state', async () => {
    const all = await tug(['ps', '-a', '--format', '{{.Service}} {{.State}} {{.ExitCode}}'], dir);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trim().split('\n').sort()).toEqual(['once exited 3', 'web running 0', 'web running 0']);
    const exited = await tug(['ps', '--filter', 'status=exited', '--format', '{{.Name}}'], dir);
    expect(exited.stdout).toBe(`${project}-once-1\n`);
    const running = await tug(['ps', '--status', 'running', '--format', '{{.Name}}'], dir);
    expect(running.stdout.trim().split('\n').sort()).toEqual([`${project}-web-1`, `${project}-web-2`]);
  });

  it('ps --services prints the services of the listed containers, one a line', async () => {
    expect((await tug(['ps', '--services'], dir)).stdout).toBe('web\n');
    expect((await tug(['ps', '-a', '--services'], dir)).stdout).toBe('once\nweb\n');
    expect((await tug(['ps', '--services', '--filter', 'status=exited'], dir)).stdout).toBe('once\n');
    // A stack file without \`once\`: its container is an orphan, listed unless --orphans=false.
    await writeFile(join(dir, 'web-only.yaml'), `name: ${project}\nservices:\n  web:\n    image: ${IMAGE}\n`);
    expect((await tug(['-f', 'web-only.yaml', 'ps', '-a', '--services'], dir)).stdout).toBe('once\nweb\n');
    expect((await tug(['-f', 'web-only.yaml', 'ps', '-a', '--services', '--orphans=false'], dir)).stdout).toBe('web\n');
  });

  it('ps templates: a table with a header, json of one field, and a label', async () => {
    const t = await tug(['ps', '--format', 'table {{.Name}}\\t{{.State}}'], dir);
    expect(t.code, t.stderr).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s{3,}STATE$/);
    expect(lines.slice(1).sort()).toEqual([`${project}-web-1   running`, `${project}-web-2   running`]);
    const pubs = await tug(['ps', 'web', '--format', '{{json .Publishers}}'], dir);
    // One publisher per binding: the engine may bind IPv6 (`::`) beside IPv4, as Compose then also lists.
    for (const l of pubs.stdout.trim().split('\n')) {
      const list = JSON.parse(l) as { URL: string; TargetPort: number; Protocol: string }[];
      expect(list.length).toBeGreaterThan(0);
      for (const p of list) expect(p).toMatchObject({ TargetPort: 80, Protocol: 'tcp' });
      expect(list.map((p) => p.URL)).toContain('0.0.0.0');
    }
    expect((await tug(['ps', '--format', '{{.Label "team"}}'], dir)).stdout).toBe('blue\nblue\n');
  });

  it('refuses an unknown field, an unsupported template or filter with a usage error (exit 2)', async () => {
    const field = await tug(['ps', '--format', '{{.Nmae}}'], dir);
    expect(field.code).toBe(2);
    expect(field.stderr).toContain('Nmae');
    expect(field.stdout).toBe('');
    const fn = await tug(['ps', '--format', '{{template "x"}}'], dir);
    expect(fn.code).toBe(2);
    expect(fn.stderr).toMatch(/template.*not supported/);
    const filter = await tug(['ps', '--filter', 'name=web'], dir);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toContain('unknown filter "name"');
  });

  it('logs --index prints only that replica, and refuses a missing one', async () => {
    const r = await tug(['logs', '--index', '2', 'web'], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^web-2\s*\| hello from replica$/);
    const missing = await tug(['logs', '--index', '3', 'web'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no container number 3');
    const noService = await tug(['logs', '--index', '2'], dir);
    expect(noService.code).toBe(2);
    expect(noService.stderr).toContain('--index requires one service');
  });

  it('events --since/--until replays the past window and ends by itself', async () => {
    const r = await tug(['events', '--json', '--since', before, '--until', after], dir, { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; service: string });
    for (const service of ['web', 'once']) {
      expect(events.filter((e) => e.service === service).map((e) => e.action), service).toEqual(expect.arrayContaining(['create', 'start']));
    }
    expect(events.filter((e) => e.service === 'web' && e.action === 'start')).toHaveLength(2);
    expect(events.some((e) => e.service === 'once' && e.action === 'die')).toBe(true);
    // A window before anything happened holds nothing, and still ends.
    const empty = await tug(['events', '--since', '1000000000', '--until', '1000000001'], dir, { timeoutMs: 20_000 });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('');
    const bad = await tug(['events', '--since', 'yesterday'], dir);
    expect(bad.code).toBe(2);
  });

  it('ls and images --format json print Compose\'s arrays; version its object', async () => {
    const ls = JSON.parse((await tug(['ls', '-a', '--format', 'json'], dir)).stdout) as { Name: string; Status: string; ConfigFiles: string }[];
    expect(ls.find((p) => p.Name === project)).toMatchObject({ Status: 'running(2), exited(1)' });
    const only = JSON.parse((await tug(['ls', '--filter', `name=^${project}$`, '--format', 'json'], dir)).stdout) as { Name: string }[];
    expect(only.map((p) => p.Name)).toEqual([project]);
    expect((await tug(['ls', '--filter', 'status=running'], dir)).code).toBe(2);
    const images = JSON.parse((await tug(['images', '--format', 'json'], dir)).stdout) as Record<string, unknown>[];
    expect(images).toHaveLength(3);
    // Platform as the engine's image inspect says: docker image inspect's Os/Architecture[/Variant].
    const inspect = (await run('docker', ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}}', IMAGE])).stdout.trim();
    for (const i of images) {
      expect(i).toMatchObject({ Repository: 'busybox', Tag: 'latest', ID: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), Platform: inspect });
    }
    expect(inspect).toMatch(/^linux\/[a-z0-9]+(\/v\d)?$/);
    const v = await tug(['version', '--format', 'json'], dir);
    expect(v.stdout).toMatch(/^\{"version":"[^"]+"\}\n$/);
  });
});
