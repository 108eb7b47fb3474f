/**
 * Create-or-adopt of a project network by racers sharing no lock, on an engine whose duplicate
 * check is not atomic (Docker 20.10 made three networks of one name for three creates at
 * once). The engine here is a small one of networks only, whose creates never refuse a
 * duplicate and whose twins appear when the test says: the orders the real engine produced.
 */
import { describe, expect, it } from 'vitest';
import type { Engine, NetworkSummary } from '../../src/engine/engine.js';
import { networkSpec } from '../../src/engine/request/index.js';
import { LABEL } from '../../src/labels.js';
import { ensureNetwork, keeperFirst } from '../../src/run/ensure-network.js';
import type { Project } from '../../src/stack/model.js';

const project: Project = {
  name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'], disabled_services: {},
  networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [], services: {},
};
const body = networkSpec(project, 'default');
const ours = { [LABEL.project]: 'p', [LABEL.network]: 'default' };

class Networks {
  readonly all = new Map<string, NetworkSummary>();
  removed: string[] = [];
  private n = 0;
  /** Created times: each create gets the next tick, unless the test gives one. */
  private clock = 1000;

  add(opts: { created?: number; containers?: string[]; labels?: Record<string, string> } = {}): string {
    const id = `net${++this.n}`.padEnd(64, '0');
    const t = opts.created ?? this.clock++;
    this.all.set(id, { id, name: body.Name, created: `2026-12-06T20:00:00.${String(t).padStart(9, '0')}Z`, labels: opts.labels ?? { ...ours }, driver: 'bridge', containers: opts.containers ?? [] });
    return id;
  }

  engine(): Engine {
    const nets = {
      create: async () => this.add(),
      // Listings leave the attached containers out, as Docker's does.
      list: async (f: { name?: string }) => [...this.all.values()].filter((n) => !f.name || n.name.includes(f.name)).map((n) => ({ ...n, containers: [] })),
      inspect: async (id: string) => this.all.get(id),
      remove: async (id: string) => {
        this.removed.push(id);
        this.all.delete(id);
      },
    };
    return { networks: nets } as unknown as Engine;
  }
}

describe('ensureNetwork with racers that share no lock', () => {
  it('a twin another racer already put a container on wins over an older one of ours, which is removed again', async () => {
    // The other racer listed before our create was committed, saw only its own, and went on.
    const net = new Networks();
    const theirs = net.add({ created: 5000, containers: ['c1'] });
    const r = await ensureNetwork(net.engine(), project, 'default', body);
    expect(r).toBe('adopted');
    expect([...net.all.keys()]).toEqual([theirs]);
    expect(net.removed).toHaveLength(1);
    expect(net.removed[0]).not.toBe(theirs);
  });

  it('three racers at once settle on one network, made by one of them, adopted by the others', async () => {
    const net = new Networks();
    const e = net.engine();
    const results = await Promise.all([1, 2, 3].map(() => ensureNetwork(e, project, 'default', body)));
    expect(net.all.size).toBe(1);
    expect(results.filter((r) => r === 'made')).toHaveLength(1);
    expect(results.filter((r) => r === 'adopted')).toHaveLength(2);
  });

  it('an empty younger twin whose racer went on is waited for, then ours gives way and theirs is adopted', async () => {
    const net = new Networks();
    const theirs = net.add({ created: 9999 });
    const r = await ensureNetwork(net.engine(), project, 'default', body);
    expect(r).toBe('adopted');
    expect([...net.all.keys()]).toEqual([theirs]);
  });

  it('never removes a twin it did not make, and a twin that is not the project\'s is reported at once', async () => {
    const net = new Networks();
    const foreign = net.add({ labels: {} });
    const err = await ensureNetwork(net.engine(), project, 'default', body).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network_ambiguous' });
    expect(net.all.has(foreign)).toBe(true);
    expect(net.removed).toEqual([]);
  });

  it('orders keepers alike for every racer: most containers, then oldest, then id', () => {
    const a: NetworkSummary = { id: 'a', name: 'x', created: '2026-12-06T20:00:01.5Z', labels: {}, driver: 'bridge', containers: [] };
    const b: NetworkSummary = { ...a, id: 'b', created: '2026-12-06T20:00:01.25Z' };
    const c: NetworkSummary = { ...a, id: 'c', created: '2026-12-06T20:00:09Z', containers: ['x'] };
    const d: NetworkSummary = { ...b, id: '0' };
    expect([a, b, c, d].sort(keeperFirst).map((n) => n.id)).toEqual(['c', '0', 'b', 'a']);
  });
});
