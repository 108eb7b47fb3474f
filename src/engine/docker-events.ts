/**
 * The engine's event stream. Subscribing resolves only once the engine has subscribed, so a
 * caller that subscribes first and inspects second misses no transition.
 */
import type { Readable } from 'node:stream';
import { EngineUnreachableError } from '../errors.js';
import type { DockerClient } from './docker-client.js';
import { toEvent } from './docker-map.js';
import { empty, jsonLines } from './docker-streams.js';
import { LABEL, type EngineEvent, type EventFilter } from './engine.js';

export async function subscribe(client: DockerClient, filter: EventFilter, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>> {
  const { docker } = await client.get();
  const filters: Record<string, string[]> = {};
  if (filter.project !== undefined) filters.label = [`${LABEL.project}=${filter.project}`];
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
    for await (const e of jsonLines(res)) {
      if (signal.aborted) return; // a chunk may hold several events; none after the abort
      yield toEvent(e);
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
