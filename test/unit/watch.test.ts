import { afterEach, describe, expect, it } from 'vitest';
import { EngineUnreachableError } from '../../src/errors.js';
import { ConditionFailed, ContainerWatch, type WatchTiming } from '../../src/run/watch.js';
import { composeContainer, FakeEngine } from '../fake-engine.js';

const fakes: FakeEngine[] = [];
/** Project p's engine; its containers' health moves only when the test says (`setHealth`). */
function fakeEngine() {
  const f = new FakeEngine({ images: ['busybox'] });
  f.onContainer({ project: 'p' }, { health: 'never' });
  fakes.push(f);
  return f;
}
const defaults = { ...ContainerWatch.timing };
/** Shorter re-reads for one test (restored after it). */
function timing(t: Partial<WatchTiming>): void {
  Object.assign(ContainerWatch.timing, t);
}
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
  ContainerWatch.timing = { ...defaults };
});

describe('ContainerWatch', () => {
  it('opens a healthy gate on the health event, not before', async () => {
    const f = fakeEngine();
    const db = f.addContainer(composeContainer('p', 'db', 1, { state: 'created', healthcheck: true }));
    const w = await ContainerWatch.open(f, 'p');
    await f.containers.start(db);
    w.markStarted(db);
    w.expectHealth(db);
    let open = false;
    const gate = w.waitFor(db, 'healthy').then(() => (open = true));
    await f.flushEvents();
    await new Promise((r) => setTimeout(r, 10));
    // Started, probing: `starting` is no event, and no gate opens on it.
    expect(open).toBe(false);
    f.setHealth(db, 'healthy');
    await gate;
    expect(open).toBe(true);
    w.close();
  });

  it('fails a healthy gate when the container turns unhealthy or dies', async () => {
    const f = fakeEngine();
    const a = f.addContainer(composeContainer('p', 'a', 1, { healthcheck: true }));
    const b = f.addContainer(composeContainer('p', 'b', 1, { healthcheck: true }));
    const w = await ContainerWatch.open(f, 'p');
    const unhealthy = w.waitFor(a, 'healthy');
    const died = w.waitFor(b, 'healthy');
    f.setHealth(a, 'unhealthy');
    f.kill(b, 3);
    await expect(unhealthy).rejects.toMatchObject({ state: 'unhealthy' });
    const err = await died.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionFailed);
    expect(err).toMatchObject({ state: 'exited', exitCode: 3 });
    w.close();
  });

  it('completes only on exit code 0', async () => {
    const f = fakeEngine();
    f.onContainer('p-job-1', { exit: { code: 0, afterMs: 1 } });
    f.onContainer('p-job2-1', { exit: { code: 1, afterMs: 1 } });
    const job = f.addContainer(composeContainer('p', 'job', 1, { state: 'created' }));
    const job2 = f.addContainer(composeContainer('p', 'job2', 1, { state: 'created' }));
    const w = await ContainerWatch.open(f, 'p');
    const ok = w.waitFor(job, 'completed');
    const bad = w.waitFor(job2, 'completed');
    await f.containers.start(job);
    await f.containers.start(job2);
    await expect(ok).resolves.toBeUndefined();
    await expect(bad).rejects.toMatchObject({ exitCode: 1 });
    w.close();
  });

  it('ignores what happens to another project\'s containers', async () => {
    const f = fakeEngine();
    const other = f.addContainer(composeContainer('q', 'db', 1));
    const w = await ContainerWatch.open(f, 'p');
    const seen: string[] = [];
    w.listeners.add((e) => seen.push(`${e.action} ${e.attributes.name}`));
    const gate = w.waitFor(other, 'exited');
    f.kill(other, 1);
    const mine = f.addContainer(composeContainer('p', 'db', 1));
    f.kill(mine, 0);
    await f.flushEvents();
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['die p-db-1']);
    let settled = false;
    void gate.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    w.close();
  });

  it('answers at once from seeded state, so nothing that happened before subscribing is missed', async () => {
    const f = fakeEngine();
    const x = f.addContainer(composeContainer('p', 'x', 1, { health: 'healthy' }));
    const y = f.addContainer(composeContainer('p', 'y', 1, { state: 'exited', exitCode: 0 }));
    const w = await ContainerWatch.open(f, 'p');
    w.seed(await f.containers.inspect(x));
    await expect(w.waitFor(x, 'healthy')).resolves.toBeUndefined();
    w.seed(await f.containers.inspect(y));
    await expect(w.waitFor(y, 'completed')).resolves.toBeUndefined();
    w.close();
  });

  it('a stream that breaks for good (the engine cannot be subscribed to again) fails the waiters saying so, instead of hanging', async () => {
    const f = fakeEngine();
    timing({ resubscribeDelaysMs: [0, 10, 10] });
    const db = f.addContainer(composeContainer('p', 'db', 1, { healthcheck: true }));
    const w = await ContainerWatch.open(f, 'p');
    const pending = w.waitFor(db, 'healthy');
    f.failNext('events.subscribe', new EngineUnreachableError('cannot reach the Docker engine at fake://: connect ENOENT'), { times: Infinity });
    f.breakEvents(new Error('engine went away'));
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineUnreachableError);
    expect(err).toMatchObject({ exitCode: 4 });
    expect((err as Error).message).toMatch(/^the Docker engine at fake:\/\/ stopped or cannot be reached: its event stream closed and could not be opened again \(connect ENOENT\)/);
    // And so does any wait after that.
    await expect(w.waitFor(db, 'started')).rejects.toBe(err);
    w.close();
  });

  it('a stream that breaks is subscribed to again, and a transition made meanwhile is read back: the gate still opens', async () => {
    const f = fakeEngine();
    const db = f.addContainer(composeContainer('p', 'db', 1, { healthcheck: true }));
    const w = await ContainerWatch.open(f, 'p');
    w.expectHealth(db);
    const seen: string[] = [];
    w.listeners.add((e) => seen.push(e.action));
    let open = false;
    const gate = w.waitFor(db, 'healthy').then(() => (open = true));
    // The stream breaks, and the health turns while nobody is subscribed: its event reaches no one.
    f.delay('events.subscribe', 30);
    f.breakEvents(new Error('engine went away'));
    f.setHealth(db, 'healthy');
    await f.flushEvents();
    expect(open).toBe(false);
    await gate;
    expect(w.resubscribed).toBe(1);
    expect(seen).not.toContain('health_status: healthy');
    // Subscribed again first, inspected after: nothing can fall in between.
    const calls = f.calls.map((c) => c.method);
    expect(calls.lastIndexOf('events.subscribe')).toBeLessThan(calls.lastIndexOf('containers.inspect'));
    // And the new stream is followed.
    const died = w.waitFor(db, 'exited');
    f.kill(db, 0);
    await died;
    w.close();
  });

  it('an event that never comes (dropped) does not hold a gate: the container is inspected again while waited on', async () => {
    const f = fakeEngine();
    timing({ rereadMs: 20 });
    const db = f.addContainer(composeContainer('p', 'db', 1, { healthcheck: true }));
    const w = await ContainerWatch.open(f, 'p');
    w.expectHealth(db);
    f.dropEvents((e) => e.action.startsWith('health_status'));
    const gate = w.waitFor(db, 'healthy');
    f.setHealth(db, 'healthy');
    await gate;
    expect(f.delivered.filter((e) => e.event.action.startsWith('health_status'))).toEqual([]);
    w.close();
  });

  it('a container removed while waited on fails the wait (removed), from its destroy event or, when that is lost, from inspect', async () => {
    const f = fakeEngine();
    timing({ rereadMs: 20 });
    const a = f.addContainer(composeContainer('p', 'a', 1, { state: 'created', healthcheck: true }));
    const b = f.addContainer(composeContainer('p', 'b', 1, { state: 'created' }));
    const w = await ContainerWatch.open(f, 'p');
    const healthy = w.waitFor(a, 'healthy');
    const started = w.waitFor(b, 'started');
    await f.outside.containers.remove(a, { force: true });
    f.dropEvents((e) => e.action === 'destroy');
    await f.outside.containers.remove(b, { force: true });
    await expect(healthy).rejects.toMatchObject({ state: 'removed', message: 'was removed' });
    await expect(started).rejects.toMatchObject({ state: 'removed' });
    w.close();
  });

  it('a starting health whose next probe is an hour away fails the wait (stalled) instead of waiting for it', async () => {
    const f = fakeEngine();
    timing({ rereadMs: 20 });
    const hour = 3600e9;
    const db = f.addContainer(composeContainer('p', 'db', 1, { healthcheck: { Test: ['CMD', 'true'], Interval: hour } }));
    const ok = f.addContainer(composeContainer('p', 'ok', 1, { healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 } }));
    const w = await ContainerWatch.open(f, 'p');
    const t0 = Date.now();
    const err = await w.waitFor(db, 'healthy').catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(ConditionFailed);
    expect(err).toMatchObject({ state: 'stalled' });
    expect((err as Error).message).toMatch(/^stays "health: starting": its next health probe is due in (59m5\ds|1h0m0s) \(healthcheck interval 1h0m0s\)$/);
    // A probe due within the bound is waited for.
    let settled = false;
    const waiting = w.waitFor(ok, 'healthy').then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    f.setHealth(ok, 'healthy');
    await waiting;
    w.close();
  });

  it('rejects waiters on abort', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f, 'p');
    const ctl = new AbortController();
    const pending = w.waitFor('db', 'healthy', ctl.signal);
    ctl.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
    w.close();
  });
});
