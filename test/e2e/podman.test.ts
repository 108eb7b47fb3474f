/**
 * A chosen subset of the end-to-end suite against Podman's Docker-compatible API, selected as
 * a user would select it: DOCKER_HOST. Runs when the socket podman-up.sh starts exists (CI
 * runs it); skipped otherwise. The steps build on each other and run in order.
 *
 * What Podman 4.3 does differently and tug must hide: health events as a bare `health_status`
 * once per probe, no StopTimeout default (0 s), no health in the listing and no paused
 * containers without `all`, a slow `/version`. The stacks do not resolve service names: the
 * CNI backend podman-up.sh sets up has no DNS plugin (see the README's Engines section).
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { listContainers, listVolumes } from '../../src/run/observe.js';
import {
  EventLog, IMAGE, cleanupProject, connect, ensureCli, rand, removeDir, setupOnce, tug, uniqueProject, writeStack,
} from './helpers.js';

const SOCKET = '/run/tug-podman/podman.sock';
const PODMAN = `unix://${SOCKET}`;
const available = existsSync(SOCKET);

// Before connect(): the engine and every spawned CLI (cliEnv copies process.env) talk to Podman.
if (available) vi.stubEnv('DOCKER_HOST', PODMAN);
const engine = connect();

const project = uniqueProject('podman');
const failing = uniqueProject('podman-fail');
const MiB = 1024 * 1024;

const probe = `
      interval: 1s
      timeout: 2s
      retries: 30`;

const STACK = `
name: ${project}
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "sleep 1; mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 5432 -h /www"]
    volumes:
      - data:/data
    healthcheck:
      # The first passing probe notes when it passed (the host's uptime: one clock for every
      # container), before db can be reported healthy.
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:5432/ && { test -e /data/healthy-at || cut -d' ' -f1 /proc/uptime > /data/healthy-at; }"]${probe}
  migrate:
    image: ${IMAGE}
    command: ["sh", "-c", "cut -d' ' -f1 /proc/uptime > /data/migrate-began; echo migrated > /data/marker && echo migrated; cut -d' ' -f1 /proc/uptime > /data/migrate-ended"]
    volumes:
      - data:/data
    depends_on:
      db: { condition: service_healthy }
  api:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "cut -d' ' -f1 /proc/uptime > /data/api-began; cat /data/marker; echo api-up; exec sleep 300"]
    volumes:
      - data:/data
    stop_grace_period: 3s
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    healthcheck:
      test: ["CMD", "true"]${probe}
  web:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    cpus: 0.5
    mem_limit: 64m
    depends_on:
      api: { condition: service_started }
volumes:
  data: {}
`;

let dir: string;
let failDir: string | undefined;
let log: EventLog;
let upResult: { code: number | null; stdout: string; stderr: string; ms: number };

async function containers(service?: string) {
  const list = await listContainers(engine, { project, all: true, oneoff: false });
  return list.filter((c) => service === undefined || c.service === service).sort((a, b) => a.number - b.number);
}

const id = async (service: string): Promise<string> => (await containers(service))[0]!.id;

interface PsRow { name: string; service: string; state: string; health: string; status: string }

/** `ps --format json` prints Compose's rows, one a line; read back into the fields these tests compare. */
async function psJson(args: string[] = []): Promise<PsRow[]> {
  const r = await tug(['ps', '--format', 'json', ...args], dir);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => {
    const c = JSON.parse(l) as { Name: string; Service: string; State: string; Health: string; Status: string };
    return { name: c.Name, service: c.Service, state: c.State, health: c.Health || 'none', status: c.Status };
  });
}

describe.skipIf(!available)('tug on Podman (DOCKER_HOST=unix:///run/tug-podman/podman.sock)', () => {
  setupOnce(async () => {
    expect(process.env.DOCKER_HOST).toBe(PODMAN);
    await engine.system.apiVersion().catch((e: Error) => {
      throw new Error(`Podman's socket exists but does not answer (bash /work/shared/engine/podman-up.sh): ${e.message}`);
    });
    await ensureCli();
    dir = await writeStack(STACK);
    log = await EventLog.record(engine, project);
    upResult = await tug(['up', '-d', '--wait', '--progress', 'plain'], dir, { timeoutMs: 90_000 });
  }, 150_000);

  afterAll(async () => {
    await log?.stop();
    if (available) {
      await cleanupProject(engine, project);
      await cleanupProject(engine, failing);
    }
    await removeDir(dir);
    await removeDir(failDir);
    vi.unstubAllEnvs();
  }, 60_000);

  it('up --wait honours every depends_on condition, from the containers\' own clock and the engine\'s event times', async () => {
    expect(upResult.code, upResult.stderr).toBe(0);
    await log.flush();
    // Podman stamps a health_status event up to a probe interval after inspect already says
    // healthy (and gates may open on inspect), so the health moments are read from inside:
    // the host's uptime, in hundredths of a second, noted by the first passing probe and by
    // the dependents' first and last instructions.
    const at = async (file: string): Promise<number> => {
      const r = await tug(['exec', '-T', 'api', 'cat', `/data/${file}`], dir);
      expect(r.code, `${file}: ${r.stderr}`).toBe(0);
      return Number(r.stdout.trim());
    };
    // service_healthy: migrate (and so api) begins only once db's probe has passed.
    expect(await at('migrate-began')).toBeGreaterThanOrEqual(await at('healthy-at'));
    // service_completed_successfully: api begins only once migrate has ended, and exited 0.
    expect(await at('api-began')).toBeGreaterThanOrEqual(await at('migrate-ended'));
    log.first('migrate', 'die', (e) => e.attributes.exitCode === '0');
    expect(log.first('api', 'start')).toBeGreaterThan(log.first('migrate', 'start'));
    // service_started: web after api's start.
    expect(log.first('web', 'start')).toBeGreaterThan(log.first('api', 'start'));
    // --wait returned with api healthy (its probe runs every second).
    expect(log.first('api', 'health_status: healthy')).toBeGreaterThan(log.first('api', 'start'));
    // Podman reports every probe; the seam passes each state once per container life.
    for (const service of ['db', 'api']) {
      const states = log.of(service).filter((e) => e.action.startsWith('health_status')).map((e) => e.action);
      expect(states.filter((a, i) => a === states[i - 1]), `${service}: ${states.join(', ')}`).toEqual([]);
    }
  });

  it('ps shows the health Podman\'s listing leaves out', async () => {
    const rows = await psJson();
    const by = Object.fromEntries(rows.map((r) => [r.service, r]));
    expect(Object.keys(by).sort()).toEqual(['api', 'db', 'web']);
    expect(by.db).toMatchObject({ state: 'running', health: 'healthy' });
    expect(by.db!.status).toMatch(/^Up .*\(healthy\)$/);
    expect(by.api).toMatchObject({ state: 'running', health: 'healthy' });
    expect(by.web).toMatchObject({ state: 'running', health: 'none' });
    expect((await psJson(['-a'])).find((r) => r.service === 'migrate')).toMatchObject({ state: 'exited' });
  });

  it('every container has an explicit stop timeout, and the limits read back by inspect', async () => {
    const web = await engine.containers.inspect(await id('web'));
    expect(web.config.StopTimeout).toBe(10); // Podman's own default would be 0: an instant SIGKILL
    expect(web.hostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 64 * MiB });
    expect((await engine.containers.inspect(await id('api'))).config.StopTimeout).toBe(3);
  });

  it('logs and exec', async () => {
    const logs = await tug(['logs', '--no-color', 'migrate', 'api'], dir);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/migrate-1\s+\| migrated/);
    expect(logs.stdout).toMatch(/api-1\s+\| api-up/);
    const marker = rand();
    const ex = await tug(['exec', '-T', 'api', 'sh', '-c', `echo ${marker}-$((6*7)); cat /data/marker; exit 3`], dir);
    expect(ex.stdout).toBe(`${marker}-42\nmigrated\n`);
    expect(ex.code).toBe(3);
  });

  it('restart: a new life, healthy again', async () => {
    const before = await engine.containers.inspect(await id('api'));
    const r = await tug(['restart', 'api', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    const after = await engine.containers.inspect(await id('api'));
    expect(after.id).toBe(before.id);
    expect(after.state).toBe('running');
    expect(after.startedAt! > before.startedAt!).toBe(true);
    await log.waitFor((e) => e.attributes[LABEL.service] === 'api' && e.action === 'health_status: healthy' && e.timeNano > Date.parse(after.startedAt!) * 1e6,
      'api healthy after the restart', 15_000);
  });

  it('pause: ps lists paused containers, which Podman\'s listing leaves out without all', async () => {
    expect((await tug(['pause', 'web'], dir)).code).toBe(0);
    try {
      expect((await psJson()).find((r) => r.service === 'web')).toMatchObject({ state: 'paused' });
    } finally {
      expect((await tug(['unpause', 'web'], dir)).code).toBe(0);
    }
  });

  it('scale: three web containers, each with the limits', async () => {
    const r = await tug(['scale', 'web=3', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    const web = (await containers('web')).filter((c) => c.state === 'running');
    expect(web.map((c) => c.number)).toEqual([1, 2, 3]);
    for (const c of web) {
      const d = await engine.containers.inspect(c.id);
      expect(d.hostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 64 * MiB });
      expect(d.config.StopTimeout).toBe(10);
    }
    expect((await tug(['scale', 'web=1'], dir)).code).toBe(0);
    expect((await containers('web')).map((c) => c.number)).toEqual([1]);
  });

  it('down -v removes the containers, the network and the volume, in seconds', async () => {
    const r = await tug(['down', '-v', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    // Every process stops on SIGTERM (init: true; httpd; sleep under catatonit): no 10 s wait.
    expect(r.ms).toBeLessThan(8_000);
    expect(await containers()).toEqual([]);
    expect(await listVolumes(engine, { project })).toEqual([]);
    expect((await engine.networks.list({ labels: [`${LABEL.project}=${project}`] }))).toEqual([]);
  });

  it('an unhealthy dependency: exit 5, the report with the probe output', async () => {
    const marker = `probe-refused-${rand()}`;
    failDir = await writeStack(`
name: ${failing}
services:
  sick:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    healthcheck:
      test: ["CMD-SHELL", "echo ${marker}; false"]
      interval: 1s
      timeout: 2s
      retries: 2
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      sick: { condition: service_healthy }
`);
    const r = await tug(['up', '-d', '--progress', 'plain'], failDir, { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('"sick" is unhealthy');
    expect(r.stderr).toContain(marker);
    const app = (await listContainers(engine, { project: failing, all: true })).find((c) => c.service === 'app');
    expect(app?.state).toBe('created'); // never started
  });
});
