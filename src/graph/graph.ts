/**
 * The service dependency graph. Stacks with thousands of services are real (generated stacks,
 * test fixtures), so every walk here is iterative and linear in services + edges: a recursive
 * DFS would overflow the stack on a long chain, and re-scanning edge arrays would go quadratic.
 */

import { ExitCode, TugError } from '../errors.js';
import { serviceDependencies, type Dependency } from '../stack/dependencies.js';
import type { Service } from '../stack/model.js';
import { findCycleIndices } from '../util/cycles.js';

/** `from` depends on `to`. */
export interface Edge extends Dependency {
  from: string;
}

export class CycleError extends TugError {
  /** The cycle as a closed path: first and last entries are the same service. */
  readonly cycle: string[];
  constructor(cycle: string[]) {
    super('dependency_cycle', `dependency cycle: ${cycle.join(' -> ')}`, { exitCode: ExitCode.invalidStack });
    this.cycle = cycle;
  }
}

export class DependencyGraph {
  /** Edges whose target is not a service of the graph; kept for the validator to report. */
  readonly unknownEdges: readonly Edge[];

  // Services are numbered by insertion order; the index doubles as the tie-breaker everywhere.
  private readonly names: string[];
  private readonly index: Map<string, number>;
  private readonly out: Edge[][];
  private readonly in: Edge[][];
  // Dependency indices per service sorted by insertion order, for orderings that must be stable.
  private readonly depsSorted: number[][];

  private constructor(names: string[], edges: Edge[], unknownEdges: Edge[]) {
    this.names = names;
    this.index = new Map(names.map((n, i) => [n, i]));
    this.out = names.map(() => []);
    this.in = names.map(() => []);
    this.unknownEdges = unknownEdges;
    for (const e of edges) {
      this.out[this.at(e.from)]!.push(e);
      this.in[this.at(e.to)]!.push(e);
    }
    // A bucket pass over targets in index order sorts every adjacency list at once in O(V+E).
    this.depsSorted = names.map(() => []);
    for (let t = 0; t < names.length; t++) {
      for (const e of this.in[t]!) this.depsSorted[this.at(e.from)]!.push(t);
    }
  }

  static fromServices(services: Record<string, Service>): DependencyGraph {
    const names = Object.keys(services);
    const known = new Set(names);
    const edges: Edge[] = [];
    const unknown: Edge[] = [];

    for (const from of names) {
      for (const dep of serviceDependencies(services[from]!)) {
        const edge: Edge = { from, ...dep };
        (known.has(edge.to) ? edges : unknown).push(edge);
      }
    }
    return new DependencyGraph(names, edges, unknown);
  }

  /** Service names in insertion order. */
  services(): string[] {
    return [...this.names];
  }

  /** The dependencies of `name`, in declaration order. */
  edgesFrom(name: string): readonly Edge[] {
    const i = this.index.get(name);
    return i === undefined ? [] : this.out[i]!;
  }

  /** The dependents of `name`, in the insertion order of the dependents. */
  edgesTo(name: string): readonly Edge[] {
    const i = this.index.get(name);
    return i === undefined ? [] : this.in[i]!;
  }

  /**
   * A cycle as a closed path (`['a', 'b', 'c', 'a']`), or undefined when the graph is acyclic.
   * It runs through the earliest-inserted service that lies on any cycle, starts there, and is
   * a shortest such cycle (ties broken by insertion order), so the message is stable and short.
   */
  findCycle(): string[] | undefined {
    return findCycleIndices(this.depsSorted)?.map((i) => this.names[i]!);
  }

  /**
   * Dependencies before dependents. Stable: a stack already written in dependency order comes
   * back unchanged; otherwise services keep insertion order and each service's dependencies are
   * pulled forward to just before it (earliest-inserted dependency first).
   * @throws CycleError
   */
  topoOrder(): string[] {
    const n = this.names.length;
    // 0 unvisited, 1 on the DFS path, 2 emitted.
    const state = new Uint8Array(n);
    const cursor = new Uint32Array(n);
    const order: string[] = [];
    const stack: number[] = [];
    for (let root = 0; root < n; root++) {
      if (state[root] !== 0) continue;
      state[root] = 1;
      stack.push(root);
      while (stack.length > 0) {
        const u = stack[stack.length - 1]!;
        const deps = this.depsSorted[u]!;
        if (cursor[u]! < deps.length) {
          const w = deps[cursor[u]!++]!;
          if (state[w] === 1) throw new CycleError(this.findCycle()!);
          if (state[w] === 0) {
            state[w] = 1;
            stack.push(w);
          }
        } else {
          stack.pop();
          state[u] = 2;
          order.push(this.names[u]!);
        }
      }
    }
    return order;
  }

  /** Dependents before dependencies: the order to stop in. @throws CycleError */
  reverseOrder(): string[] {
    return this.topoOrder().reverse();
  }

  /**
   * `names` plus everything they transitively depend on: what `up web` must bring up.
   * Names that are not services are skipped (the caller reports them). Insertion order.
   */
  dependenciesOf(names: string[]): Set<string> {
    return this.closure(names, (i) => this.out[i]!, (e) => e.to, true);
  }

  /**
   * Services that transitively depend on any of `names`, i.e. reach one of them through at
   * least one edge; a name itself is included only if it is also a dependent of another (or of
   * itself, through a cycle). With `onlyRestart`, only `depends_on` edges declaring
   * `restart: true` are followed: what must restart when the named services are replaced.
   * Insertion order.
   */
  dependentsOf(names: string[], opts: { onlyRestart?: boolean } = {}): Set<string> {
    const follow = opts.onlyRestart
      ? (i: number) => this.in[i]!.filter((e) => e.kind === 'depends_on' && e.restart)
      : (i: number) => this.in[i]!;
    return this.closure(names, follow, (e) => e.from, false);
  }

  private closure(
    names: string[],
    edgesOf: (i: number) => readonly Edge[],
    next: (e: Edge) => string,
    includeStart: boolean,
  ): Set<string> {
    const reached = new Uint8Array(this.names.length);
    const stack: number[] = [];
    for (const name of new Set(names)) {
      const i = this.index.get(name);
      if (i === undefined) continue;
      if (includeStart) reached[i] = 1;
      stack.push(i);
    }
    // Without includeStart a start node may be walked a second time when an edge reaches it;
    // that happens at most once per start node, so the walk stays linear.
    while (stack.length > 0) {
      const u = stack.pop()!;
      for (const e of edgesOf(u)) {
        const w = this.at(next(e));
        if (reached[w]) continue;
        reached[w] = 1;
        stack.push(w);
      }
    }
    const result = new Set<string>();
    for (let i = 0; i < this.names.length; i++) if (reached[i]) result.add(this.names[i]!);
    return result;
  }

  private at(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`unknown service in graph: ${name}`);
    return i;
  }
}
