/**
 * What tug does when the engine refuses, beyond the code and generic hint the seam gives each
 * refusal (engine/api-error.ts): a start that finds a port taken names who holds it; a start
 * that finds containerd still holding the container's task (an engine killed while the
 * container ran) is retried once the engine has had a moment to clean up; one that finds a
 * network name ambiguous is retried while another command removes the twin it just made
 * (see ensureNetwork), then reported naming every network of that name.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineApiError, publishedPort } from '../engine/api-error.js';
import type { Engine, NetworkSummary } from '../engine/engine.js';
import { LABEL } from '../labels.js';
import { ServiceFailedError } from '../errors.js';

export interface StartOptions {
  /** Waits between attempts while the engine reports a leftover task (default 0.5 s, 1 s, 2 s). */
  taskRetryMs?: number[];
  signal?: AbortSignal;
}

const TASK_RETRY_MS = [500, 1000, 2000];
/** Racers remove a twin network within milliseconds of making it; allow a few seconds in all. */
const AMBIGUOUS_RETRY_MS = [100, 200, 400, 800, 1500];

/**
 * Runs an engine call that names networks (a start, a connect), again while the engine finds
 * a network name ambiguous, for as long as a racing command may take to remove its twin; then
 * the refusal names the networks of that name and which one to remove.
 */
export async function whileAmbiguous<T>(engine: Engine, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof EngineApiError && err.refusal === 'network_ambiguous')) throw err;
      if (attempt < AMBIGUOUS_RETRY_MS.length) {
        await sleep(AMBIGUOUS_RETRY_MS[attempt]!, undefined, signal ? { signal } : undefined);
        continue;
      }
      throw await explainAmbiguous(engine, err);
    }
  }
}

/** The refusal with the networks of that name listed (which to remove), when they can be read. */
async function explainAmbiguous(engine: Engine, err: EngineApiError): Promise<Error> {
  const name = /network (\S+) is ambiguous/.exec(err.message)?.[1];
  if (!name) return err;
  try {
    const listed = await engine.networks.list({ name });
    // A listing does not say what is attached; inspecting by id does (and is never ambiguous).
    const same = await Promise.all(listed.map(async (n) => (await engine.networks.inspect(n.id)) ?? n));
    return same.length > 1 ? ambiguousNetwork(name, same) : err;
  } catch {
    return err;
  }
}

/**
 * Starts a container. "task already exists": Docker (since 19.03) deletes containerd's stale
 * object when a start fails on it, so the next start succeeds; tug waits a little and tries
 * again, up to three times, then gives up with the refusal's hint (remove and recreate).
 * A port already allocated is reported with the container that publishes it, when one does.
 */
export async function startContainer(engine: Engine, id: string, opts: StartOptions = {}): Promise<void> {
  const waits = opts.taskRetryMs ?? TASK_RETRY_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await whileAmbiguous(engine, () => engine.containers.start(id), opts.signal);
      return;
    } catch (err) {
      if (!(err instanceof EngineApiError)) throw err;
      if (err.refusal === 'task_exists' && attempt < waits.length) {
        await sleep(waits[attempt]!, undefined, opts.signal ? { signal: opts.signal } : undefined);
        continue;
      }
      if (err.refusal === 'port_allocated') throw await explainPort(engine, id, err);
      throw err;
    }
  }
}

/** The refusal, its hint naming the container that publishes the port (or saying none does). */
export async function explainPort(engine: Engine, id: string, err: EngineApiError): Promise<EngineApiError> {
  const port = publishedPort(err.message);
  if (port === undefined) return err;
  try {
    const holders = (await engine.containers.list({ all: false }))
      .filter((c) => c.id !== id && c.ports.some((p) => p.publicPort === port));
    if (holders.length === 0) {
      return err.withHint(`no container publishes host port ${port}: another process on the engine's host listens on it (ss -ltnp 'sport = :${port}' shows which); stop it, or publish another port`);
    }
    const names = holders.map((c) => {
      const project = c.labels[LABEL.project];
      return `${c.name}${project ? ` (project ${project}, service ${c.labels[LABEL.service] ?? '?'})` : ''}`;
    });
    return err.withHint(`host port ${port} is published by ${names.join(', ')}: stop ${holders.length === 1 ? 'it' : 'them'} (docker stop ${holders.map((c) => c.name).join(' ')}), or publish another port`);
  } catch {
    return err; // the hint is a courtesy: the refusal stands as it is
  }
}

export function describeNetworks(list: NetworkSummary[]): string {
  return list.map((n) => `${n.id.slice(0, 12)} (${n.labels[LABEL.project] ? `project ${n.labels[LABEL.project]}` : 'not made by tug or Compose'}${n.containers.length ? `, ${n.containers.length} container(s) attached` : ''})`).join(', ');
}

export function ambiguousNetwork(name: string, list: NetworkSummary[]): ServiceFailedError {
  const spare = list.find((n) => n.containers.length === 0) ?? list[list.length - 1]!;
  return new ServiceFailedError('network_ambiguous', `${list.length} networks are named ${name}: ${describeNetworks(list)}; the engine cannot tell which one a container means`,
    `remove all but one (those with no containers attached first), e.g.: docker network rm ${spare.id.slice(0, 12)}`);
}
