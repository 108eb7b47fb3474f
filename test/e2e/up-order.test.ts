/**
 * `up` starts each service the moment its dependencies meet their conditions, and not before.
 * Order is proved from the engine's own event timestamps, recorded on a separate subscription
 * opened before `up`, never from wall-clock sleeps in the test.
 */
import { describe, expect, it } from 'vitest';
import { type EngineEvent } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { up, type UpResult } from '../../src/run/up.js';
import { EventLog, IMAGE, e2eScope, inspect, ms, tug, load } from './helpers.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
    const p = await load(dir);
    log = await EventLog.record(engine, project);
    result = await up(engine, p, {
      onProgress: (e) => {
        if (e.resource === 'container' && e.action === 'start' && e.state === 'working' && e.service) startIssued.set(e.service, e.time);
      },
    });
    // `slow` and `web` have no dependents, so up does not wait for their health; the
    // assertions below need it, so wait for the engine to report it.
    await log.waitFor(isHealthy('slow'), 'slow healthy');
    await log.waitFor(isHealthy('web'), 'web healthy');
    await log.flush();
  },
  beforeCleanup: async () => {
    await log?.stop();
  },
});
const { engine } = scope;
const project = scope.project('order');

// `quick` and `slow` are independent of each other and of the chain; they become healthy only
// after their command has slept, so their health comes well after both have started, and
// `slow` is healthy long after `quick`'s dependent could start.
const STACK = `
name: ${project}
x-probe: &probe
  interval: 1s
  timeout: 2s
  retries: 30
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "mkdir -p /data && echo ok > /data/index.html && exec httpd -f -p 5432 -h /data"]
    healthcheck:
      <<: *probe
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5432/"]
  migrate:
    image: ${IMAGE}
    command: ["sh", "-c", "wget -q -O- http://db:5432/ && echo migrated"]
    depends_on:
      db: { condition: service_healthy }
  api:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo api > /www/index.html && exec httpd -f -p 8080 -h /www"]
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    healthcheck:
      <<: *probe
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
  web:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo web > /www/index.html && exec httpd -f -p 80 -h /www"]
    depends_on:
      api: { condition: service_healthy }
    healthcheck:
      <<: *probe
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
  quick:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 300"]
    healthcheck:
      <<: *probe
      test: ["CMD", "test", "-f", "/tmp/ready"]
  quickdep:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      quick: { condition: service_healthy }
  slow:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "sleep 8; touch /tmp/ready; exec sleep 300"]
    healthcheck:
      <<: *probe
      test: ["CMD", "test", "-f", "/tmp/ready"]
`;

type Gate = 'healthy' | 'completed';
const EDGES: { dependent: string; dependency: string; gate: Gate }[] = [
  { dependent: 'migrate', dependency: 'db', gate: 'healthy' },
  { dependent: 'api', dependency: 'db', gate: 'healthy' },
  { dependent: 'api', dependency: 'migrate', gate: 'completed' },
  { dependent: 'web', dependency: 'api', gate: 'healthy' },
  { dependent: 'quickdep', dependency: 'quick', gate: 'healthy' },
];

const isHealthy = (service: string) => (e: EngineEvent) =>
  e.type === 'container' && e.attributes[LABEL.service] === service && e.action === 'health_status: healthy';

let dir: string;
let log: EventLog;
let result: UpResult;
/** When tug issued each service's start call (its progress `working` event; host clock, ms). */
const startIssued = new Map<string, number>();

describe('up ordering on the real engine', () => {
  it('no dependent starts before its dependency is healthy (or, for a job, exited 0)', () => {
    const latencies: string[] = [];
    for (const { dependent, dependency, gate } of EDGES) {
      const start = log.first(dependent, 'start');
      const ready = gate === 'healthy'
        ? log.first(dependency, 'health_status: healthy')
        : log.first(dependency, 'die', (e) => e.attributes.exitCode === '0');
      expect(start, `${dependent} started ${ms(ready - start).toFixed(0)} ms before ${dependency} was ${gate}\n${log.describe()}`)
        .toBeGreaterThan(ready);
      // Split into tug's reaction (gate event → start call issued; the engine runs on this host,
      // so both clocks are the same, to Date.now()'s 1 ms resolution) and the engine's own start
      // call (issued → start event).
      const issued = startIssued.get(dependent);
      const split = issued === undefined ? '' : ` (tug reacted in ${(issued - ms(ready)).toFixed(0)} ms, engine start took ${(ms(start) - issued).toFixed(0)} ms)`;
      latencies.push(`${dependency} ${gate === 'healthy' ? 'healthy' : 'exited 0'} → ${dependent} start: ${ms(start - ready).toFixed(0)} ms${split}`);
    }
    // Each dependent started exactly once: no premature start that was later undone.
    for (const s of new Set(EDGES.map((e) => e.dependent))) expect(log.of(s, 'start'), s).toHaveLength(1);
    console.log(`[up-order] engine-stamped latency from a gate opening to the dependent's start event:\n  ${latencies.join('\n  ')}`);
  });

  it('independent services start without waiting for each other\'s health', () => {
    const quickStart = log.first('quick', 'start');
    const slowStart = log.first('slow', 'start');
    const quickHealthy = log.first('quick', 'health_status: healthy');
    const slowHealthy = log.first('slow', 'health_status: healthy');
    // Whatever order they were issued in, both were running before either became healthy:
    // a runner that serialised them on health would have one start after the other's healthy.
    expect(Math.max(quickStart, slowStart), log.describe()).toBeLessThan(Math.min(quickHealthy, slowHealthy));
    // And the slow one held back nothing outside its own subtree: quick's dependent was up
    // before slow was healthy.
    expect(log.first('quickdep', 'start'), log.describe()).toBeLessThan(slowHealthy);
    console.log(`[up-order] quick/slow start skew ${ms(Math.abs(quickStart - slowStart)).toFixed(0)} ms; ` +
      `quickdep started ${ms(slowHealthy - log.first('quickdep', 'start')).toFixed(0)} ms before slow was healthy`);
  });

  it('returns every container, all running except the finished job', async () => {
    expect(Object.keys(result.containers).sort()).toEqual(['api', 'db', 'migrate', 'quick', 'quickdep', 'slow', 'web']);
    expect(result.unchanged).toBe(false);
    for (const [service, list] of Object.entries(result.containers)) {
      expect(list, service).toHaveLength(1);
      const c = await inspect(list[0]!.id);
      expect(c.Name, service).toBe(`/${list[0]!.name}`);
      expect(c.Config.Labels[LABEL.service]).toBe(service);
      if (service === 'migrate') expect(c.State, service).toMatchObject({ Status: 'exited', ExitCode: 0 });
      else expect(c.State.Status, service).toBe('running');
    }
  });

  it('`tug ps --format json` lists the containers with their health, one Compose-shaped object a line', async () => {
    const r = await tug(['ps', '--format', 'json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ID: string; Service: string; State: string; Health: string; ExitCode: number });
    const byService = Object.fromEntries(rows.map((row) => [row.Service, row]));
    // Without -a only running containers are listed: the finished job is not.
    expect(Object.keys(byService).sort()).toEqual(['api', 'db', 'quick', 'quickdep', 'slow', 'web']);
    for (const s of ['api', 'db', 'quick', 'slow', 'web']) expect(byService[s], s).toMatchObject({ State: 'running', Health: 'healthy' });
    // Compose's Health is empty for a container without a healthcheck.
    expect(byService.quickdep).toMatchObject({ State: 'running', Health: '' });
    // Compose's ID is the short id unless --no-trunc.
    for (const row of rows) expect(row.ID).toBe(result.containers[row.Service]![0]!.id.slice(0, 12));

    const all = await tug(['ps', '-a', '--format', 'json', '--no-trunc'], dir);
    expect(all.code, all.stderr).toBe(0);
    const job = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ID: string; Service: string; State: string; ExitCode: number })
      .find((row) => row.Service === 'migrate');
    expect(job).toMatchObject({ State: 'exited', ExitCode: 0, ID: result.containers.migrate![0]!.id });
  });
});
