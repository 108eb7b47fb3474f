/**
 * The engine's event stream. Subscribing resolves only once the engine has subscribed, so a
 * caller that subscribes first and inspects second misses no transition.
 *
 * Health events are transitions, as Docker sends them: Podman reports every probe, so a
 * `health_status` repeating the state last reported for that container (in this container's
 * life: `start` and `die` begin anew) is dropped here.
 */
import type { Readable } from 'node:stream';
import { EngineUnreachableError } from '../../errors.js';
import type { DockerClient } from './client.js';
import { eventHealth, labelFilters, readEvent, unixTime } from './map.js';
import { empty, jsonLines } from './streams.js';
import type { EngineEvent, EventFilter, HealthState } from '../types.js';

export async function subscribe(client: DockerClient, filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>> {
  const { docker } = await client.get();
  const filters = labelFilters(filter.labels);
  if (filter.type?.length) filters.type = filter.type;
  if (filter.containers?.length) filters.container = filter.containers;
  // The engine reads only Unix seconds; docker's CLI converts the other forms itself, as here.
  const window = {
    ...(filter.since !== undefined ? { since: unixTime(filter.since) } : {}),
    ...(filter.until !== undefined ? { until: unixTime(filter.until) } : {}),
  };
  if (signal.aborted) return empty();
  let res: Readable;
  try {
    // Resolves on the response headers, which the engine sends only after subscribing.
    res = (await client.call('subscribing to engine events', () =>
      // dockerode types since/until as numbers; a string keeps the nine digits of nanoseconds the engine wants.
      docker.getEvents({ filters, ...(window as object), abortSignal: signal }))) as unknown as Readable;
  } catch (e) {
    if (signal.aborted) return empty();
    throw e;
  }
  const stop = (): void => void res.destroy();
  signal.addEventListener('abort', stop, { once: true });
  return eventStream(client, res, signal, stop, filter.until !== undefined);
}

async function* eventStream(client: DockerClient, res: Readable, signal: AbortSignal, stop: () => void, bounded: boolean): AsyncGenerator<EngineEvent> {
  const transitions = healthTransitions();
  try {
    // Until iteration starts the response stays paused, so early events wait in its buffer.
    for await (const raw of jsonLines(res)) {
      if (signal.aborted) return; // a chunk may hold several events; none after the abort
      const e = readEvent(raw);
      // A kind of event tug does not know is none of its business; nor is a probe that changed nothing.
      if (e && transitions(e)) yield e;
    }
  } catch (e) {
    if (signal.aborted) return;
    throw client.wrap(e, 'reading engine events');
  } finally {
    signal.removeEventListener('abort', stop);
    res.destroy();
  }
  // With `until`, the engine ends the stream at that time: that is the answer, not a lost engine.
  if (!signal.aborted && !bounded) {
    throw new EngineUnreachableError(`the Docker engine at ${client.target} closed the event stream`, client.hint());
  }
}

/** A filter keeping every event but a container's health event that repeats its last reported state. */
export function healthTransitions(): (e: EngineEvent) => boolean {
  const last = new Map<string, HealthState>();
  return (e) => {
    if (e.type !== 'container') return true;
    const health = eventHealth(e.action);
    if (health === undefined) {
      if (e.action === 'start' || e.action === 'die' || e.action === 'destroy') last.delete(e.id);
      return true;
    }
    if (last.get(e.id) === health) return false;
    last.set(e.id, health);
    return true;
  };
}
