import { describe, expect, it } from 'vitest';
import { ExitCode, TugError } from '../../src/errors.js';
import { CycleError, DependencyGraph, type Edge } from '../../src/graph/graph.js';
import { renderGraph } from '../../src/graph/render.js';
import type { Condition, DependsOn, Service } from '../../src/stack/model.js';
import { makeService } from '../support.js';

const svc = makeService;

function dep(condition: Condition = 'service_started', more: Partial<DependsOn> = {}): DependsOn {
  return { condition, required: true, restart: false, ...more };
}

/** Services from a compact spec: `{ web: ['db', 'cache'] }` means web depends_on db and cache. */
function stack(spec: Record<string, string[]>): Record<string, Service> {
  const out: Record<string, Service> = {};
  for (const [name, deps] of Object.entries(spec)) {
    out[name] = svc(name, { depends_on: Object.fromEntries(deps.map((d) => [d, dep()])) });
  }
  return out;
}

function graph(spec: Record<string, string[]>): DependencyGraph {
  return DependencyGraph.fromServices(stack(spec));
}

function expectRespectsEdges(g: DependencyGraph, order: string[]): void {
  const pos = new Map(order.map((n, i) => [n, i]));
  expect(order).toHaveLength(g.services().length);
  expect(new Set(order)).toEqual(new Set(g.services()));
  for (const name of g.services()) {
    for (const e of g.edgesFrom(name)) expect(pos.get(e.to)!).toBeLessThan(pos.get(e.from)!);
  }
}

function cycleErrorOf(fn: () => unknown): CycleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CycleError) return err;
    throw err;
  }
  throw new Error('expected a CycleError');
}

describe('DependencyGraph edges', () => {
  it('takes depends_on with its condition, required and restart', () => {
    const g = DependencyGraph.fromServices({
      web: svc('web', {
        depends_on: {
          db: dep('service_healthy', { restart: true }),
          migrate: dep('service_completed_successfully'),
          cache: dep('service_started', { required: false }),
        },
      }),
      db: svc('db'),
      migrate: svc('migrate'),
      cache: svc('cache'),
    });
    expect(g.edgesFrom('web')).toEqual<Edge[]>([
      { from: 'web', to: 'db', condition: 'service_healthy', required: true, restart: true, kind: 'depends_on' },
      {
        from: 'web',
        to: 'migrate',
        condition: 'service_completed_successfully',
        required: true,
        restart: false,
        kind: 'depends_on',
      },
      { from: 'web', to: 'cache', condition: 'service_started', required: false, restart: false, kind: 'depends_on' },
    ]);
    expect(g.edgesTo('db')).toEqual([g.edgesFrom('web')[0]]);
    expect(g.edgesFrom('db')).toEqual([]);
    expect(g.unknownEdges).toEqual([]);
  });

  it('takes links, with or without an alias, as started + required', () => {
    const g = DependencyGraph.fromServices({
      web: svc('web', { links: ['db', 'cache:redis', 'db:database'] }),
      db: svc('db'),
      cache: svc('cache'),
    });
    expect(g.edgesFrom('web')).toEqual<Edge[]>([
      { from: 'web', to: 'db', condition: 'service_started', required: true, restart: false, kind: 'links' },
      { from: 'web', to: 'cache', condition: 'service_started', required: true, restart: false, kind: 'links' },
    ]);
  });

  it('takes network_mode service:NAME but not other network modes', () => {
    const g = DependencyGraph.fromServices({
      sidecar: svc('sidecar', { network_mode: 'service:app', networks: {} }),
      host: svc('host', { network_mode: 'host' }),
      other: svc('other', { network_mode: 'container:abc123' }),
      app: svc('app'),
    });
    expect(g.edgesFrom('sidecar')).toEqual<Edge[]>([
      { from: 'sidecar', to: 'app', condition: 'service_started', required: true, restart: false, kind: 'network_mode' },
    ]);
    expect(g.edgesFrom('host')).toEqual([]);
    expect(g.edgesFrom('other')).toEqual([]);
    expect(g.unknownEdges).toEqual([]);
  });

  it('takes volumes_from services with any mode, but not container: entries', () => {
    const g = DependencyGraph.fromServices({
      app: svc('app', { volumes_from: ['data', 'logs:ro', 'cfg:rw', 'container:abc', 'container:def:ro'] }),
      data: svc('data'),
      logs: svc('logs'),
      cfg: svc('cfg'),
    });
    expect(g.edgesFrom('app').map((e) => [e.to, e.kind, e.condition, e.required])).toEqual([
      ['data', 'volumes_from', 'service_started', true],
      ['logs', 'volumes_from', 'service_started', true],
      ['cfg', 'volumes_from', 'service_started', true],
    ]);
    expect(g.unknownEdges).toEqual([]);
  });

  it('keeps edges of different kinds to the same service, in kind order', () => {
    const g = DependencyGraph.fromServices({
      app: svc('app', {
        depends_on: { db: dep('service_healthy') },
        links: ['db'],
        network_mode: 'service:db',
        volumes_from: ['db:ro'],
      }),
      db: svc('db'),
    });
    expect(g.edgesFrom('app').map((e) => e.kind)).toEqual(['depends_on', 'links', 'network_mode', 'volumes_from']);
    expect(g.edgesTo('db')).toHaveLength(4);
    expect(g.topoOrder()).toEqual(['db', 'app']);
  });

  it('collects edges to unknown services separately without crashing', () => {
    const g = DependencyGraph.fromServices({
      web: svc('web', {
        depends_on: { db: dep(), ghost: dep('service_healthy') },
        links: ['phantom:p'],
        network_mode: 'service:nowhere',
        volumes_from: ['missing:ro'],
      }),
      db: svc('db'),
    });
    expect(g.edgesFrom('web').map((e) => e.to)).toEqual(['db']);
    expect(g.unknownEdges.map((e) => [e.from, e.to, e.kind])).toEqual([
      ['web', 'ghost', 'depends_on'],
      ['web', 'phantom', 'links'],
      ['web', 'nowhere', 'network_mode'],
      ['web', 'missing', 'volumes_from'],
    ]);
    expect(g.edgesTo('ghost')).toEqual([]);
    expect(g.edgesFrom('ghost')).toEqual([]);
    expect(g.topoOrder()).toEqual(['db', 'web']);
    expect(g.findCycle()).toBeUndefined();
    expect(g.dependenciesOf(['web'])).toEqual(new Set(['web', 'db']));
    expect(renderGraph(g, 'text')).toBe('db\nweb\n  -> db (service_started)\n');
  });

  it('lists services in insertion order', () => {
    expect(graph({ web: ['db'], db: [], cache: [] }).services()).toEqual(['web', 'db', 'cache']);
  });

  it('lists dependents in the insertion order of the dependents', () => {
    const g = graph({ a: ['db'], db: [], b: ['db'], c: ['db'] });
    expect(g.edgesTo('db').map((e) => e.from)).toEqual(['a', 'b', 'c']);
  });
});

describe('DependencyGraph.findCycle', () => {
  it('returns undefined for an acyclic graph', () => {
    expect(graph({ web: ['api', 'db'], api: ['db'], db: [] }).findCycle()).toBeUndefined();
    expect(graph({}).findCycle()).toBeUndefined();
  });

  it('reports a self-loop as a -> a', () => {
    const g = graph({ x: [], a: ['a'] });
    expect(g.findCycle()).toEqual(['a', 'a']);
    const err = cycleErrorOf(() => g.topoOrder());
    expect(err.message).toBe('dependency cycle: a -> a');
    expect(err.cycle).toEqual(['a', 'a']);
  });

  it('reports a network_mode pointing at itself as a self-loop', () => {
    const g = DependencyGraph.fromServices({ a: svc('a', { network_mode: 'service:a' }) });
    expect(g.findCycle()).toEqual(['a', 'a']);
  });

  it('reports a 3-cycle as a closed path following the edges', () => {
    const g = graph({ a: ['b'], b: ['c'], c: ['a'] });
    expect(g.findCycle()).toEqual(['a', 'b', 'c', 'a']);
  });

  it('starts from the cycle member that comes first in insertion order', () => {
    // Same cycle as above, declared in a different order; the edges decide the direction.
    expect(graph({ c: ['a'], b: ['c'], a: ['b'] }).findCycle()).toEqual(['c', 'a', 'b', 'c']);
    expect(graph({ b: ['c'], a: ['b'], c: ['a'] }).findCycle()).toEqual(['b', 'c', 'a', 'b']);
  });

  it('ignores services that only lead into a cycle', () => {
    const g = graph({ entry: ['x'], x: ['y'], y: ['z'], z: ['y'] });
    expect(g.findCycle()).toEqual(['y', 'z', 'y']);
  });

  it('picks the shortest cycle through the first cyclic service', () => {
    const g = graph({ a: ['b', 'c'], b: ['d'], d: ['a'], c: ['a'] });
    expect(g.findCycle()).toEqual(['a', 'c', 'a']);
  });

  it('is the cycle of the CycleError thrown by topoOrder and reverseOrder', () => {
    const g = graph({ web: ['api'], api: ['db'], db: ['api'] });
    const err = cycleErrorOf(() => g.topoOrder());
    expect(err).toBeInstanceOf(TugError);
    expect(err.code).toBe('dependency_cycle');
    expect(err.exitCode).toBe(ExitCode.invalidStack);
    expect(err.name).toBe('CycleError');
    expect(err.cycle).toEqual(['api', 'db', 'api']);
    expect(err.message).toBe('dependency cycle: api -> db -> api');
    expect(cycleErrorOf(() => g.reverseOrder()).cycle).toEqual(['api', 'db', 'api']);
  });
});

describe('DependencyGraph ordering', () => {
  it('puts dependencies before dependents', () => {
    const g = graph({ web: ['api', 'cache'], api: ['db', 'cache'], worker: ['db'], db: [], cache: [] });
    const order = g.topoOrder();
    expectRespectsEdges(g, order);
    expect(order).toEqual(['db', 'cache', 'api', 'web', 'worker']);
  });

  it('keeps insertion order when it is already a valid order', () => {
    const g = graph({ db: [], cache: [], api: ['db'], web: ['api', 'cache'], worker: ['db'] });
    expect(g.topoOrder()).toEqual(['db', 'cache', 'api', 'web', 'worker']);
  });

  it('breaks ties by insertion order, not by declaration order of dependencies', () => {
    const g = graph({ a: [], b: [], c: [], web: ['c', 'a', 'b'] });
    expect(g.topoOrder()).toEqual(['a', 'b', 'c', 'web']);
    const h = graph({ web: ['c', 'a'], z: [], c: [], a: [] });
    expect(h.topoOrder()).toEqual(['c', 'a', 'web', 'z']);
  });

  it('reverses for stopping', () => {
    const g = graph({ web: ['api'], api: ['db'], db: [], cache: [] });
    expect(g.topoOrder()).toEqual(['db', 'api', 'web', 'cache']);
    expect(g.reverseOrder()).toEqual(['cache', 'web', 'api', 'db']);
  });

  it('handles an empty graph', () => {
    expect(graph({}).topoOrder()).toEqual([]);
    expect(graph({}).reverseOrder()).toEqual([]);
  });
});

describe('DependencyGraph closures', () => {
  const g = DependencyGraph.fromServices({
    web: svc('web', { depends_on: { api: dep('service_healthy', { restart: true }), cache: dep() } }),
    api: svc('api', { depends_on: { db: dep('service_healthy', { restart: true }) }, links: ['queue'] }),
    worker: svc('worker', { depends_on: { db: dep() }, volumes_from: ['api'] }),
    db: svc('db'),
    cache: svc('cache'),
    queue: svc('queue'),
    lone: svc('lone'),
  });

  it('dependenciesOf includes the names and everything they need, in insertion order', () => {
    expect([...g.dependenciesOf(['web'])]).toEqual(['web', 'api', 'db', 'cache', 'queue']);
    expect([...g.dependenciesOf(['worker'])]).toEqual(['api', 'worker', 'db', 'queue']);
    expect([...g.dependenciesOf(['db'])]).toEqual(['db']);
    expect([...g.dependenciesOf(['lone', 'cache'])]).toEqual(['cache', 'lone']);
    expect([...g.dependenciesOf([])]).toEqual([]);
  });

  it('dependenciesOf skips names that are not services', () => {
    expect([...g.dependenciesOf(['nope', 'api'])]).toEqual(['api', 'db', 'queue']);
  });

  it('dependentsOf follows every edge kind backwards', () => {
    expect([...g.dependentsOf(['db'])]).toEqual(['web', 'api', 'worker']);
    expect([...g.dependentsOf(['queue'])]).toEqual(['web', 'api', 'worker']);
    expect([...g.dependentsOf(['cache'])]).toEqual(['web']);
    expect([...g.dependentsOf(['web'])]).toEqual([]);
    expect([...g.dependentsOf(['nope'])]).toEqual([]);
  });

  it('dependentsOf includes a named service only when it depends on another named one', () => {
    expect([...g.dependentsOf(['api', 'db'])]).toEqual(['web', 'api', 'worker']);
    expect([...g.dependentsOf(['api', 'lone'])]).toEqual(['web', 'worker']);
  });

  it('dependentsOf with onlyRestart follows only depends_on edges with restart: true', () => {
    expect([...g.dependentsOf(['db'], { onlyRestart: true })]).toEqual(['web', 'api']);
    expect([...g.dependentsOf(['api'], { onlyRestart: true })]).toEqual(['web']);
    expect([...g.dependentsOf(['queue'], { onlyRestart: true })]).toEqual([]);
    expect([...g.dependentsOf(['cache'], { onlyRestart: true })]).toEqual([]);
  });

  it('terminates on cyclic graphs', () => {
    const c = graph({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] });
    expect([...c.dependenciesOf(['d'])]).toEqual(['a', 'b', 'c', 'd']);
    expect([...c.dependentsOf(['a'])]).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('DependencyGraph at scale', () => {
  const N = 2000;

  it('handles a 2,000-service chain without recursion', () => {
    // s0 depends on s1 ... s1998 depends on s1999: the deepest possible walk.
    const spec: Record<string, string[]> = {};
    for (let i = 0; i < N; i++) spec[`s${i}`] = i + 1 < N ? [`s${i + 1}`] : [];
    const g = graph(spec);
    const order = g.topoOrder();
    expect(order[0]).toBe(`s${N - 1}`);
    expect(order[N - 1]).toBe('s0');
    expectRespectsEdges(g, order);
    expect(g.reverseOrder()[0]).toBe('s0');
    expect(g.findCycle()).toBeUndefined();
    expect(g.dependenciesOf(['s0']).size).toBe(N);
    expect(g.dependentsOf([`s${N - 1}`]).size).toBe(N - 1);
    expect(renderGraph(g, 'text').split('\n')).toHaveLength(2 * N);
  });

  it('finds the cycle closing a 2,000-service chain', () => {
    const spec: Record<string, string[]> = {};
    for (let i = 0; i < N; i++) spec[`s${i}`] = [`s${(i + 1) % N}`];
    const g = graph(spec);
    const cycle = g.findCycle()!;
    expect(cycle).toHaveLength(N + 1);
    expect(cycle[0]).toBe('s0');
    expect(cycle[1]).toBe('s1');
    expect(cycle[N]).toBe('s0');
    expect(cycleErrorOf(() => g.topoOrder()).cycle).toEqual(cycle);
    expect(g.dependentsOf(['s0']).size).toBe(N);
  });

  it('handles a 2,000-service wide fan in both directions', () => {
    const spec: Record<string, string[]> = { hub: [] };
    const leaves: string[] = [];
    for (let i = 0; i < N; i++) leaves.push(`leaf${i}`);
    for (const leaf of leaves) spec[leaf] = ['hub'];
    spec['gateway'] = [...leaves];
    const g = graph(spec);
    const order = g.topoOrder();
    expect(order).toEqual(['hub', ...leaves, 'gateway']);
    expectRespectsEdges(g, order);
    expect(g.edgesTo('hub')).toHaveLength(N);
    expect(g.dependentsOf(['hub']).size).toBe(N + 1);
    expect(g.dependenciesOf(['gateway']).size).toBe(N + 2);
    expect(g.findCycle()).toBeUndefined();
  });
});

describe('renderGraph', () => {
  const g = DependencyGraph.fromServices({
    web: svc('web', {
      depends_on: {
        api: dep('service_healthy', { restart: true }),
        cache: dep('service_started', { required: false }),
      },
    }),
    api: svc('api', { depends_on: { db: dep('service_healthy') }, links: ['db:database'] }),
    db: svc('db'),
    cache: svc('cache'),
  });

  it('renders text in dependency order', () => {
    expect(renderGraph(g, 'text')).toBe(
      [
        'db',
        'api',
        '  -> db (service_healthy)',
        '  -> db (service_started, via links)',
        'cache',
        'web',
        '  -> api (service_healthy, restart: true)',
        '  -> cache (service_started, required: false)',
        '',
      ].join('\n'),
    );
  });

  it('renders json: services in order and every edge with its condition', () => {
    const parsed = JSON.parse(renderGraph(g, 'json')) as { services: string[]; edges: { from: string; to: string; condition: string }[] };
    expect(parsed.services).toEqual(['db', 'api', 'cache', 'web']);
    expect(parsed.edges).toContainEqual(expect.objectContaining({ from: 'web', to: 'api', condition: 'service_healthy', restart: true }));
    expect(parsed.edges).toHaveLength(g.services().flatMap((s) => g.edgesFrom(s)).length);
  });

  it('renders dot', () => {
    expect(renderGraph(g, 'dot')).toBe(
      [
        'digraph tug {',
        '  "db";',
        '  "api";',
        '  "cache";',
        '  "web";',
        '  "api" -> "db" [label="service_healthy"];',
        '  "api" -> "db" [label="service_started, via links"];',
        '  "web" -> "api" [label="service_healthy, restart: true"];',
        '  "web" -> "cache" [label="service_started, required: false", style=dashed];',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('renders mermaid', () => {
    expect(renderGraph(g, 'mermaid')).toBe(
      [
        'flowchart TD',
        '  s0["db"]',
        '  s1["api"]',
        '  s2["cache"]',
        '  s3["web"]',
        '  s1 -->|"service_healthy"| s0',
        '  s1 -->|"service_started, via links"| s0',
        '  s3 -->|"service_healthy, restart: true"| s1',
        '  s3 -.->|"service_started, required: false"| s2',
        '',
      ].join('\n'),
    );
  });

  it('quotes awkward names in dot', () => {
    const h = DependencyGraph.fromServices({
      'my.app-1': svc('my.app-1', { depends_on: { db_2: dep() } }),
      db_2: svc('db_2'),
    });
    expect(renderGraph(h, 'dot')).toContain('"my.app-1" -> "db_2" [label="service_started"];');
    expect(renderGraph(h, 'mermaid')).toContain('s1["my.app-1"]');
  });

  it('still renders a cyclic graph, in insertion order', () => {
    const c = graph({ a: ['b'], b: ['a'] });
    expect(renderGraph(c, 'text')).toBe('a\n  -> b (service_started)\nb\n  -> a (service_started)\n');
  });

  it('renders an empty graph', () => {
    expect(renderGraph(graph({}), 'text')).toBe('');
    expect(renderGraph(graph({}), 'dot')).toBe('digraph tug {\n}\n');
    expect(renderGraph(graph({}), 'mermaid')).toBe('flowchart TD\n');
  });
});
