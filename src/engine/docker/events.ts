/**
 * The engine's event stream. Subscribing resolves only once the engine has subscribed, so a
 * caller that subscribes first and inspects second misses no transition.
 */
import type { Readable } from 'node:stream';
import { EngineUnreachableError } from '../../errors.js';
import type { DockerClient } from './client.js';
import { labelFilters, readEvent } from './map.js';
import { empty, jsonLines } from './streams.js';
import type { EngineEvent, EventFilter } from '../types.js';

export async function subscribe(client: DockerClient, filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>> {
  const { docker } = await client.get();
  const filters = labelFilters(filter.labels);
  if (filter.type?.length) filters.type = filter.type;
  if (filter.containers?.length) filters.container = filter.containers;
  if (signal.aborted) return empty();
  let res: Readable;
  try {
    // Resolves on the response headers, which the engine sends only after subscribing.
    res = (await client.call('subscribing to engine events', () =>
      docker.getEvents({ filters, abortSignal: signal }))) as unknown as Readable;
  } catch (e) {
    if (signal.aborted) return empty();
    throw e;
  }
  const stop = (): void => void res.destroy();
  signal.addEventListener('abort', stop, { once: true });
  return eventStream(client, res, signal, stop);
}

async function* eventStream(client: DockerClient, res: Readable, signal: AbortSignal, stop: () => void): AsyncGenerator<EngineEvent> {
  try {
    // Until iteration starts the response stays paused, so early events wait in its buffer.
    for await (const raw of jsonLines(res)) {
      if (signal.aborted) return; // a chunk may hold several events; none after the abort
      const e = readEvent(raw);
      if (e) yield e; // a kind of event tug does not know is none of its business
    }
  } catch (e) {
    if (signal.aborted) return;
    throw client.wrap(e, 'reading engine events');
  } finally {
    signal.removeEventListener('abort', stop);
    res.destroy();
  }
  if (!signal.aborted) {
    throw new EngineUnreachableError(`the Docker engine at ${client.target} closed the event stream`, client.hint());
  }
}
