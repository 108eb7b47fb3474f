/**
 * `up`'s dependency gates when things go wrong around them, on the fake engine: the event
 * stream breaking mid-gate (re-subscribed, state read again, the gate still opens), the engine
 * stopping mid-gate (reported as the engine, exit 4, not as a dependency that "exited with code
 * 143"), and waits that cannot end (bounded by --wait-timeout as a whole; without it, a health
 * probe an hour away or a dependency removed is reported, not waited on).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineUnreachableError } from '../../src/errors.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import { up } from '../../src/run/up.js';
import { ContainerWatch } from '../../src/run/watch.js';
import type { DependsOn, Project, Service } from '../../src/stack/model.js';
import { FakeEngine } from '../fake-engine.js';
import { makeService } from '../support.js';

const fakes: FakeEngine[] = [];
function engine(): FakeEngine {
  const f = new FakeEngine({ images: ['busybox'] });
  fakes.push(f);
  return f;
}
const defaults = { ...ContainerWatch.timing };
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
  ContainerWatch.timing = { ...defaults };
});

function project(services: Service[]): Project {
  return {
    name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'], disabled_services: {},
    networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
  };
}

function svc(name: string, extra: Partial<Service> = {}): Service {
  return makeService(name, { image: 'busybox', ...extra });
}

function needs(deps: Record<string, DependsOn['condition']>): Record<string, DependsOn> {
  return Object.fromEntries(Object.entries(deps).map(([d, condition]) => [d, { condition, required: true, restart: false }]));
}

/** db (probed every `interval`) ← app (service_healthy). */
const stack = (interval = '1s') => project([
  svc('db', { healthcheck: { test: ['CMD', 'true'], interval } }),
  svc('app', { depends_on: needs({ db: 'service_healthy' }) }),
]);

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const appWaits = (events: ProgressEvent[]) => () => events.some((e) => e.service === 'app' && e.action === 'wait' && e.state === 'working');

describe('the engine going away mid-gate', () => {
  it('the event stream breaking is subscribed to again and read back: app starts once db is healthy, even if that happened meanwhile', async () => {
    const fake = engine();
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const events: ProgressEvent[] = [];
    const run = up(fake, stack(), { onProgress: (e) => events.push(e) });
    await until('app waiting for db', appWaits(events));
    // The stream breaks; db turns healthy before tug has subscribed again, so its event is lost to it.
    fake.delay('events.subscribe', 20);
    fake.breakEvents();
    fake.setHealth('p-db-1', 'healthy');
    const r = await run;
    expect(Object.keys(r.containers).sort()).toEqual(['app', 'db']);
    expect(fake.container('p-app-1')?.state).toBe('running');
    expect(fake.callsTo('events.subscribe')).toHaveLength(2);
  });

  it('the engine stopping (its containers exit 143, then it cannot be reached): exit 4 saying so, not "db exited with code 143"', async () => {
    const fake = engine();
    ContainerWatch.timing.resubscribeDelaysMs = [0, 10];
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const events: ProgressEvent[] = [];
    const run = up(fake, stack(), { onProgress: (e) => events.push(e) }).catch((e: unknown) => e);
    await until('app waiting for db', appWaits(events));
    // As a Docker engine stops: it closes its API, stops the containers (SIGTERM: 143), and its event stream ends.
    const gone = () => new EngineUnreachableError('cannot reach the Docker engine at fake://: connect ENOENT /var/run/docker.sock');
    for (const m of ['containers.inspect', 'containers.start', 'containers.list', 'events.subscribe', 'system.info', 'containers.logs'] as const) {
      fake.failNext(m, gone(), { times: Infinity });
    }
    fake.kill('p-db-1', 143);
    await fake.flushEvents();
    fake.breakEvents();
    const err = await run;
    expect(err).toBeInstanceOf(EngineUnreachableError);
    expect(err).toMatchObject({ exitCode: 4 });
    expect((err as Error).message).toMatch(/^the Docker engine at fake:\/\/ stopped or cannot be reached: service "app" was waiting for "db", whose container exited with code 143 meanwhile/);
  });
});

describe('timers that a garbage collection must not lose', () => {
  // Node 20: a signal made by AbortSignal.any() from an AbortSignal.timeout() that nothing else
  // holds never aborts once a collection has run (the timeout is only weakly held).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  it('--wait on a service without a healthcheck ends after its settle window, however often the heap is collected meanwhile', async () => {
    const fake = engine();
    const collecting = setInterval(gc, 50);
    try {
      const t0 = Date.now();
      const outcome = await Promise.race([
        up(fake, project([svc('web')]), { wait: true }).then(() => 'done'),
        new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
      ]);
      expect(outcome).toBe('done');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      clearInterval(collecting);
    }
  }, 10_000);

  it('--wait-timeout ends the wait however often the heap is collected meanwhile', async () => {
    const fake = engine();
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const collecting = setInterval(gc, 50);
    try {
      const outcome = await Promise.race([
        up(fake, stack(), { wait: true, waitTimeoutSeconds: 0.5 }).then(() => 'done', (e: { code?: string }) => e.code),
        new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
      ]);
      expect(outcome).toBe('wait_timeout');
    } finally {
      clearInterval(collecting);
    }
  }, 10_000);
});

describe('every wait bounded', () => {
  it('--wait-timeout bounds the gates, not only the final wait: the failure names the closed gate and the dependency\'s state', async () => {
    const fake = engine();
    // Probed every second, never healthy: a wait that could end, but does not in time.
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const t0 = Date.now();
    const err = await up(fake, stack(), { wait: true, waitTimeoutSeconds: 0.3 }).catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toMatchObject({ code: 'wait_timeout', exitCode: 5 });
    expect((err as Error).message).toBe(
      'service "app" did not start within 0.3s (--wait-timeout): it was still waiting for "db" (service_healthy); p-db-1 is running, health: starting (no probe has run yet)');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    // What was started stays as it is; app was never started.
    expect(fake.container('p-db-1')?.state).toBe('running');
    expect(fake.container('p-app-1')?.state).toBe('created');
  });

  it('without --wait-timeout, a dependency whose next health probe is an hour away is reported, not waited on', async () => {
    const fake = engine();
    ContainerWatch.timing.rereadMs = 20;
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const t0 = Date.now();
    const err = await up(fake, stack('1h')).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toMatchObject({ code: 'service_failed', exitCode: 5 });
    expect((err as Error).message).toMatch(
      /^service "app" cannot start: its dependency "db" stays "health: starting": its next health probe is due in (59m5\ds|1h0m0s) \(healthcheck interval 1h0m0s\) \(condition service_healthy\)/);
    expect((err as { hint?: string }).hint).toMatch(/lower its healthcheck interval/);
  });

  it('without --wait-timeout, a dependency removed while app waits for it is reported', async () => {
    const fake = engine();
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const events: ProgressEvent[] = [];
    const run = up(fake, stack(), { onProgress: (e) => events.push(e) }).catch((e: unknown) => e);
    await until('app waiting for db', appWaits(events));
    await fake.outside.containers.remove(fake.container('p-db-1')!.id, { force: true });
    const err = await run;
    expect(err).toMatchObject({ exitCode: 5 });
    // Removed by force while running: its die comes first, then its destroy.
    expect((err as Error).message).toMatch(/^service "app" cannot start: its dependency "db" (exited with code 137|was removed)/);
  });

  it('a dependency removed with its events lost is still found out (inspect answers 404)', async () => {
    const fake = engine();
    ContainerWatch.timing.rereadMs = 20;
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const events: ProgressEvent[] = [];
    const run = up(fake, stack(), { onProgress: (e) => events.push(e) }).catch((e: unknown) => e);
    await until('app waiting for db', appWaits(events));
    fake.dropEvents((e) => e.attributes.name === 'p-db-1');
    await fake.outside.containers.remove(fake.container('p-db-1')!.id, { force: true });
    const err = await run;
    expect(err).toMatchObject({ exitCode: 5 });
    expect((err as Error).message).toMatch(/^service "app" cannot start: its dependency "db" was removed \(condition service_healthy\)/);
  });
});
