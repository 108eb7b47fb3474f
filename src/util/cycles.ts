/**
 * Finding a cycle in a directed graph, with no model attached: nodes are numbered 0..n-1 and
 * the graph is given as successor lists. Generated stacks run to thousands of services, so the
 * walks are iterative (a recursive DFS would overflow the stack on a long chain) and linear in
 * nodes + edges.
 */

/**
 * A cycle of the graph as a closed path of node numbers (`[a, b, c, a]`), or undefined when the
 * graph is acyclic. `successors[u]` lists the nodes `u` has an edge to (each in 0..n-1).
 *
 * The cycle runs through the lowest-numbered node that lies on any cycle, starts there, and is
 * a shortest such cycle; among equally short ones the walk prefers successors listed earlier.
 * With every list in ascending order, the answer is therefore stable and short.
 */
export function findCycleIndices(successors: readonly (readonly number[])[]): number[] | undefined {
  const comp = components(successors);
  const n = successors.length;
  const compSize = new Array<number>(n).fill(0);
  for (const c of comp) compSize[c]!++;

  let start = -1;
  for (let v = 0; v < n && start < 0; v++) {
    if (compSize[comp[v]!]! > 1 || successors[v]!.includes(v)) start = v;
  }
  if (start < 0) return undefined;

  // BFS inside the start's component finds the shortest way back to it.
  const parent = new Array<number>(n).fill(-1);
  const queue = [start];
  parent[start] = start;
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head]!;
    for (const w of successors[u]!) {
      if (w === start) return closedPath(parent, start, u);
      if (comp[w] !== comp[start] || parent[w] !== -1) continue;
      parent[w] = u;
      queue.push(w);
    }
  }
  /* c8 ignore next */
  throw new Error('findCycle: component without a cycle');
}

/**
 * `findCycleIndices` over names: `graph` maps each node to its successors, and its key order
 * (a Map keeps insertion order) numbers the nodes, so it decides where the cycle starts and
 * breaks ties. Successors that are not keys of `graph` are ignored: an edge leaving the graph
 * closes no cycle.
 */
export function findCycle(graph: ReadonlyMap<string, Iterable<string>>): string[] | undefined {
  const names = [...graph.keys()];
  const index = new Map(names.map((n, i) => [n, i]));
  const successors = names.map((n) => {
    const out: number[] = [];
    for (const to of graph.get(n)!) {
      const i = index.get(to);
      if (i !== undefined) out.push(i);
    }
    return out.sort((a, b) => a - b);
  });
  return findCycleIndices(successors)?.map((i) => names[i]!);
}

function closedPath(parent: number[], start: number, last: number): number[] {
  const path: number[] = [start];
  for (let v = last; v !== start; v = parent[v]!) path.push(v);
  path.push(start);
  // Collected backwards from the closing edge; reverse to follow the edges forwards.
  return path.reverse();
}

/** Strongly connected component id per node: Tarjan's algorithm, iteratively. */
function components(successors: readonly (readonly number[])[]): Int32Array {
  const n = successors.length;
  const idx = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const cursor = new Uint32Array(n);
  const onStack = new Uint8Array(n);
  const sccStack: number[] = [];
  const callStack: number[] = [];
  let counter = 0;
  let compCount = 0;

  for (let root = 0; root < n; root++) {
    if (idx[root] !== -1) continue;
    idx[root] = low[root] = counter++;
    sccStack.push(root);
    onStack[root] = 1;
    callStack.push(root);
    while (callStack.length > 0) {
      const u = callStack[callStack.length - 1]!;
      const next = successors[u]!;
      if (cursor[u]! < next.length) {
        const w = next[cursor[u]!++]!;
        if (idx[w] === -1) {
          idx[w] = low[w] = counter++;
          sccStack.push(w);
          onStack[w] = 1;
          callStack.push(w);
        } else if (onStack[w]) {
          low[u] = Math.min(low[u]!, idx[w]!);
        }
        continue;
      }
      callStack.pop();
      const parent = callStack[callStack.length - 1];
      if (parent !== undefined) low[parent] = Math.min(low[parent]!, low[u]!);
      if (low[u] === idx[u]) {
        let w: number;
        do {
          w = sccStack.pop()!;
          onStack[w] = 0;
          comp[w] = compCount;
        } while (w !== u);
        compCount++;
      }
    }
  }
  return comp;
}
