import { afterEach, describe, expect, it } from 'vitest';
import { ConditionFailed, ContainerWatch } from '../../src/run/watch.js';
import { composeContainer, FakeEngine } from '../fake-engine.js';

const fakes: FakeEngine[] = [];
/** Project p's engine; its containers' health moves only when the test says (`setHealth`). */
function fakeEngine() {
  const f = new FakeEngine({ images: ['busybox'] });
  f.onContainer({ project: 'p' }, { health: 'never' });
  fakes.push(f);
  return f;
}
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
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

  it('rejects waiters when the event stream breaks, instead of hanging', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f, 'p');
    const pending = w.waitFor('db', 'healthy');
    f.breakEvents(new Error('engine went away'));
    await expect(pending).rejects.toThrow('engine went away');
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
