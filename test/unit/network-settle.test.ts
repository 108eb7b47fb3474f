/**
 * `down` of a network whose containers were all just removed: Docker 20.10 may still report
 * "active endpoints" for a moment while it releases them, with no container attached (seen by
 * the load test, test/e2e/load.test.ts, after 200 services). tug waits for it, bounded, instead
 * of failing the `down` with exit 5 after four immediate retries.
 */
import { describe, expect, it } from 'vitest';
import { EngineApiError } from '../../src/engine/api-error.js';
import type { Engine, NetworkSummary } from '../../src/engine/engine.js';
import { removeNetwork } from '../../src/run/teardown.js';

const net: NetworkSummary = { id: 'n1', name: 'p_default', labels: {}, driver: 'bridge', containers: [] };

/** An engine refusing `refusals` times with "active endpoints" while listing no container. */
function lingering(refusals: number, attached: string[] = []) {
  const calls: string[] = [];
  const engine = {
    networks: {
      remove: async () => {
        calls.push('remove');
        if (refusals-- > 0) throw new EngineApiError('error while removing network: network p_default id n1 has active endpoints', 403);
      },
      inspect: async () => ({ ...net, containers: attached }),
      disconnect: async () => void calls.push('disconnect'),
    },
    containers: { inspect: async () => ({ id: 'c1', name: 'other', labels: {} }) },
  } as unknown as Engine;
  return { engine, calls };
}

describe('removing a network the engine is still letting go of', () => {
  it('is asked again after a pause until the engine lets go', async () => {
    const { engine, calls } = lingering(6);
    expect(await removeNetwork(engine, 'p', net, { settleMs: [1, 1, 1, 1, 1, 1] })).toBeUndefined();
    expect(calls).toEqual(Array(7).fill('remove'));
  });

  it('gives up once the pauses are spent, saying so', async () => {
    const { engine, calls } = lingering(100);
    const left = await removeNetwork(engine, 'p', net, { settleMs: [1, 1] });
    expect(left?.network).toBe('p_default');
    expect(left?.foreign).toEqual([]);
    expect(left?.error?.message).toBe('the engine still reports active endpoints, with no container attached');
    expect(calls).toEqual(Array(3).fill('remove'));
  });

  it('a container of someone else attached is still never disconnected: no waiting for it', async () => {
    const { engine, calls } = lingering(100, ['c1']);
    const left = await removeNetwork(engine, 'p', net, { settleMs: [1, 1] });
    expect(left?.foreign).toEqual(['other (c1)']);
    expect(calls).toEqual(['remove']);
  });
});
