import { describe, expect, it } from 'vitest';
import type { Engine, PullProgress } from '../../src/engine/engine.js';
import { ensureImages, type PullFlag } from '../../src/run/images.js';
import { Pool } from '../../src/run/pool.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import type { Project, Service } from '../../src/stack/model.js';
import { FakeEngine } from '../fake-engine.js';
import { makeService } from '../support.js';

/** `present` images exist locally; pulls report `layers` as their progress. */
function fakeEngine(present: string[], layers: PullProgress[] = []) {
  const engine = new FakeEngine({ images: present });
  engine.onPull(/./, { progress: layers });
  const calls = {
    get pulled() {
      return engine.callsTo('images.pull').map((c) => c.args[0]);
    },
    get built() {
      return engine.callsTo('images.build').map((c) => c.args[0]);
    },
  };
  return { engine, calls };
}

function project(services: Service[]): Project {
  return {
    name: 'p', working_dir: '/w', config_files: [], services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabled_services: {}, networks: {}, volumes: {}, configs: {}, secrets: {}, profiles: [],
  };
}

async function run(p: Project, engine: Engine, opts: { pull?: PullFlag; build?: boolean } = {}) {
  const events: ProgressEvent[] = [];
  await ensureImages(engine, p, Object.keys(p.services), opts, (e) => events.push(e), new Pool(4));
  return events;
}

describe('ensureImages', () => {
  it('pulls a missing image once however many services use it, and skips present ones', async () => {
    const p = project([makeService('a', { image: 'x:1' }), makeService('b', { image: 'x:1' }), makeService('c', { image: 'here:1' })]);
    const { engine, calls } = fakeEngine(['here:1']);
    await run(p, engine);
    expect(calls.pulled).toEqual(['x:1']);
  });

  it('always pulls with pull_policy always, and refuses a missing image with never', async () => {
    const { engine, calls } = fakeEngine(['x:1']);
    await run(project([makeService('a', { image: 'x:1', pull_policy: 'always' })]), engine);
    expect(calls.pulled).toEqual(['x:1']);
    const never = project([makeService('a', { image: 'gone:1', pull_policy: 'never' })]);
    await expect(run(never, fakeEngine([]).engine)).rejects.toMatchObject({ code: 'image_missing', exitCode: 5 });
  });

  it('builds a build-only service under <project>-<service>, and rebuilds with --build', async () => {
    const svc = makeService('api', { build: { context: '/w/api', args: { A: '1', B: null } } });
    const { engine, calls } = fakeEngine([]);
    await run(project([svc]), engine);
    expect(calls.built.map((b) => [b.tags[0], b.context, b.args])).toEqual([['p-api', '/w/api', { A: '1' }]]);
    const present = fakeEngine(['p-api']);
    await run(project([svc]), present.engine);
    expect(present.calls.built).toEqual([]);
    await run(project([svc]), present.engine, { build: true });
    expect(present.calls.built).toHaveLength(1);
  });

  it('reports pull progress as one line per image, summed over layers', async () => {
    const layers = [
      { id: 'l1', status: 'Downloading', current: 1e6, total: 4e6 },
      { id: 'l2', status: 'Downloading', current: 2e6, total: 6e6 },
    ];
    const events = await run(project([makeService('a', { image: 'x:1' })]), fakeEngine([], layers).engine);
    const working = events.filter((e) => e.action === 'pull' && e.state === 'working' && e.message);
    // The second layer arrives within the throttle window, so only the first sum is shown.
    expect(working.map((e) => e.message)).toEqual(['1.0/4.0 MB']);
    expect(events.some((e) => e.action === 'pull' && e.state === 'done')).toBe(true);
  });
});
