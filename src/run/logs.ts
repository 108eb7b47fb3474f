/**
 * A project's log lines as one async iterable, for programs (a test harness reading what a
 * service printed). Without `follow`, containers come one after another, in service and
 * replica order; with it, lines come as the containers print them.
 */
import type { Engine } from '../engine/engine.js';
import { ps } from './ps.js';

export interface ProjectLogLine {
  service: string;
  /** The container's name, e.g. `webapp-db-1`. */
  container: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ProjectLogOptions {
  services?: string[];
  /** Lines from the end of each container's log; default all. */
  tail?: number | 'all';
  /** Keep reading until `signal` aborts (or the consumer stops iterating). */
  follow?: boolean;
  signal?: AbortSignal;
}

export async function* logs(engine: Engine, projectName: string, opts: ProjectLogOptions = {}): AsyncGenerator<ProjectLogLine> {
  const containers = await ps(engine, projectName, { all: true, services: opts.services });
  // Ours as well as the caller's: leaving the loop early must end the engine's streams too.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const sources = containers.map((c) => lines(engine, c, { tail: opts.tail ?? 'all', follow: opts.follow ?? false, signal }));
  try {
    if (opts.follow) yield* merge(sources);
    else for (const s of sources) yield* s;
  } finally {
    stop.abort();
  }
}

async function* lines(
  engine: Engine,
  c: { id: string; name: string; service: string },
  opts: { tail: number | 'all'; follow: boolean; signal: AbortSignal },
): AsyncGenerator<ProjectLogLine> {
  for await (const l of engine.containers.logs(c.id, opts)) yield { service: c.service, container: c.name, stream: l.stream, text: l.text };
}

/** Items of several iterables in the order they arrive. */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pull = (i: number) => iterators[i]!.next().then((r) => ({ i, r }));
  const pending = new Map(iterators.map((_, i) => [i, pull(i)] as const));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, pull(i));
      yield r.value;
    }
  } finally {
    // Left early: reads still in flight end with the abort; their outcome no longer matters.
    for (const p of pending.values()) p.catch(() => {});
  }
}
