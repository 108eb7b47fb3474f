import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DependencyGraph } from '../../src/graph/graph.js';
import { serviceDependencies } from '../../src/stack/dependencies.js';
import type { Project, Service } from '../../src/stack/model.js';
import { checkProject } from '../../src/stack/semantic.js';
import { findCycle, findCycleIndices } from '../../src/util/cycles.js';
import { makeService } from '../support.js';

/** Every node's distance-limited BFS: the shortest cycle through `start`, or undefined. */
function shortestCycleLength(succ: number[][], start: number): number | undefined {
  const dist = new Map<number, number>([[start, 0]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head]!;
    for (const w of succ[u]!) {
      if (w === start) return dist.get(u)! + 1;
      if (!dist.has(w)) {
        dist.set(w, dist.get(u)! + 1);
        queue.push(w);
      }
    }
  }
  return undefined;
}

const graphArb = fc
  .integer({ min: 0, max: 8 })
  .chain((n) => fc.array(fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, n - 1) }), { maxLength: 3 }), { minLength: n, maxLength: n }))
  .map((succ) => succ.map((s) => [...s].sort((a, b) => a - b)));

describe('findCycleIndices', () => {
  it('is undefined for an acyclic graph and for no graph at all', () => {
    expect(findCycleIndices([[1, 2], [2], []])).toBeUndefined();
    expect(findCycleIndices([])).toBeUndefined();
  });

  it('reports a self-loop as a cycle of one', () => {
    expect(findCycleIndices([[], [1]])).toEqual([1, 1]);
  });

  it('returns a closed path following the edges, from the lowest node on any cycle', () => {
    expect(findCycleIndices([[1], [2], [0]])).toEqual([0, 1, 2, 0]);
    expect(findCycleIndices([[1], [2], [1]])).toEqual([1, 2, 1]);
  });

  it('is a shortest cycle through that node, ties going to the successor listed first', () => {
    expect(findCycleIndices([[1, 2], [2], [0]])).toEqual([0, 2, 0]);
    expect(findCycleIndices([[1, 2], [0], [0]])).toEqual([0, 1, 0]);
    expect(findCycleIndices([[2, 1], [0], [0]])).toEqual([0, 2, 0]);
  });

  it('handles a 5,000-node chain without recursion', () => {
    const n = 5000;
    const succ = Array.from({ length: n }, (_, i) => [(i + 1) % n]);
    const cycle = findCycleIndices(succ)!;
    expect(cycle).toHaveLength(n + 1);
    expect(cycle[0]).toBe(0);
    expect(cycle[n]).toBe(0);
  });

  it('always answers a real, shortest cycle through the lowest cyclic node (property)', () => {
    fc.assert(
      fc.property(graphArb, (succ) => {
        const cycle = findCycleIndices(succ);
        const cyclic = succ.map((_, v) => shortestCycleLength(succ, v) !== undefined);
        const first = cyclic.indexOf(true);
        if (first < 0) return cycle === undefined;
        if (!cycle || cycle[0] !== first || cycle[cycle.length - 1] !== first) return false;
        for (let i = 0; i + 1 < cycle.length; i++) if (!succ[cycle[i]!]!.includes(cycle[i + 1]!)) return false;
        return cycle.length - 1 === shortestCycleLength(succ, first);
      }),
    );
  });
});

describe('findCycle (by name)', () => {
  it('numbers the nodes in key order, whatever order successors are listed in', () => {
    const g = new Map([['c', ['a']], ['a', ['c', 'b']], ['b', ['a']]]);
    // From c (first key); a's successors are tried in key order: c before b.
    expect(findCycle(g)).toEqual(['c', 'a', 'c']);
  });

  it('ignores successors that are not nodes', () => {
    expect(findCycle(new Map([['a', ['nowhere']], ['b', ['a']]]))).toBeUndefined();
    expect(findCycle(new Map([['a', ['nowhere', 'b']], ['b', ['a']]]))).toEqual(['a', 'b', 'a']);
  });
});

describe('the stack check and the dependency graph find the same cycle', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const target = fc.constantFrom(...names, 'ghost');
  const serviceArb = fc.record({
    depends_on: fc.uniqueArray(target, { maxLength: 2 }),
    links: fc.array(fc.tuple(target, fc.boolean()).map(([t, alias]) => (alias ? `${t}:alias` : t)), { maxLength: 2 }),
    network_mode: fc.option(target, { nil: undefined }),
    volumes_from: fc.array(fc.oneof(target, fc.constant('container:x'), target.map((t) => `${t}:ro`)), { maxLength: 2 }),
  });
  const stackArb = fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 5 }).chain((present) =>
    fc.tuple(...present.map(() => serviceArb)).map((specs) => {
      const services: Record<string, Service> = {};
      present.forEach((name, i) => {
        const s = specs[i]!;
        services[name] = makeService(name, {
          image: 'x',
          depends_on: Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started', required: true, restart: false }])),
          links: s.links,
          volumes_from: s.volumes_from,
          ...(s.network_mode ? { network_mode: `service:${s.network_mode}`, networks: {} } : {}),
        });
      });
      return services;
    }),
  );

  it('holds for random stacks using every kind of dependency (property)', () => {
    fc.assert(
      fc.property(stackArb, (services) => {
        const fromGraph = DependencyGraph.fromServices(services).findCycle();
        const project: Project = {
          name: 'p', working_dir: '/p', config_files: ['/p/compose.yaml'], services, disabled_services: {},
          networks: {}, volumes: {}, configs: {}, secrets: {}, profiles: [],
        };
        const problem = checkProject(project, () => undefined).problems.find((p) => p.code === 'dependency_cycle');
        expect(problem?.message).toBe(fromGraph ? `dependency cycle: ${fromGraph.join(' -> ')}` : undefined);
        if (problem) expect(problem.location).toEqual({ file: '/p/compose.yaml', line: 0, col: 0 });
      }),
    );
  });

  it('serviceDependencies gives the graph its edges', () => {
    const web = makeService('web', {
      depends_on: { db: { condition: 'service_healthy', required: false, restart: true } },
      links: ['db', 'db:database', 'cache'],
      volumes_from: ['container:x', 'data:ro'],
      network_mode: 'service:vpn',
    });
    expect(serviceDependencies(web)).toEqual([
      { to: 'db', condition: 'service_healthy', required: false, restart: true, kind: 'depends_on' },
      { to: 'db', condition: 'service_started', required: true, restart: false, kind: 'links' },
      { to: 'cache', condition: 'service_started', required: true, restart: false, kind: 'links' },
      { to: 'vpn', condition: 'service_started', required: true, restart: false, kind: 'network_mode' },
      { to: 'data', condition: 'service_started', required: true, restart: false, kind: 'volumes_from' },
    ]);
  });
});
