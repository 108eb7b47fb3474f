import { describe, expect, it } from 'vitest';
import type { Engine, EngineEvent } from '../../src/engine/engine.js';
import { ConditionFailed, ContainerWatch } from '../../src/run/watch.js';

/** An event source the test drives by hand; `fail()` breaks the stream like a dying engine. */
function fakeEngine() {
  const queue: EngineEvent[] = [];
  let wake: (() => void) | undefined;
  let broken: Error | undefined;
  const engine = {
    async events(_f: unknown, signal: AbortSignal) {
      return (async function* () {
        while (!signal.aborted) {
          if (broken) throw broken;
          const e = queue.shift();
          if (e) yield e;
          else await new Promise<void>((r) => (wake = r));
        }
      })();
    },
  } as unknown as Engine;
  let t = 0;
  return {
    engine,
    push(id: string, action: string, attributes: Record<string, string> = {}) {
      queue.push({ type: 'container', action, id, attributes, timeNano: ++t });
      wake?.();
    },
    fail(err: Error) {
      broken = err;
      wake?.();
    },
  };
}

describe('ContainerWatch', () => {
  it('opens a healthy gate on the health event, not before', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f.engine, 'p');
    w.markStarted('db');
    w.expectHealth('db');
    let open = false;
    const gate = w.waitFor('db', 'healthy').then(() => (open = true));
    f.push('db', 'health_status: starting');
    await new Promise((r) => setTimeout(r, 10));
    expect(open).toBe(false);
    f.push('db', 'health_status: healthy');
    await gate;
    expect(open).toBe(true);
    w.close();
  });

  it('fails a healthy gate when the container turns unhealthy or dies', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f.engine, 'p');
    const unhealthy = w.waitFor('a', 'healthy');
    const died = w.waitFor('b', 'healthy');
    f.push('a', 'health_status: unhealthy');
    f.push('b', 'die', { exitCode: '3' });
    await expect(unhealthy).rejects.toMatchObject({ state: 'unhealthy' });
    const err = await died.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionFailed);
    expect(err).toMatchObject({ state: 'exited', exitCode: 3 });
    w.close();
  });

  it('completes only on exit code 0', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f.engine, 'p');
    const ok = w.waitFor('job', 'completed');
    const bad = w.waitFor('job2', 'completed');
    f.push('job', 'start');
    f.push('job', 'die', { exitCode: '0' });
    f.push('job2', 'die', { exitCode: '1' });
    await expect(ok).resolves.toBeUndefined();
    await expect(bad).rejects.toMatchObject({ exitCode: 1 });
    w.close();
  });

  it('answers at once from seeded state, so nothing that happened before subscribing is missed', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f.engine, 'p');
    w.seed({ id: 'x', state: 'running', health: 'healthy', exitCode: 0 });
    await expect(w.waitFor('x', 'healthy')).resolves.toBeUndefined();
    w.seed({ id: 'y', state: 'exited', health: 'none', exitCode: 0 });
    await expect(w.waitFor('y', 'completed')).resolves.toBeUndefined();
    w.close();
  });

  it('rejects waiters when the event stream breaks, instead of hanging', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f.engine, 'p');
    const pending = w.waitFor('db', 'healthy');
    f.fail(new Error('engine went away'));
    await expect(pending).rejects.toThrow('engine went away');
    w.close();
  });

  it('rejects waiters on abort', async () => {
    const f = fakeEngine();
    const w = await ContainerWatch.open(f.engine, 'p');
    const ctl = new AbortController();
    const pending = w.waitFor('db', 'healthy', ctl.signal);
    ctl.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
    w.close();
  });
});
