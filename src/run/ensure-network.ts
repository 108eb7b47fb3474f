/**
 * Create-or-adopt for a project network, safe against racers that share no lock.
 *
 * Docker's duplicate check for networks is not atomic: three creates at once made three
 * networks of one name on Docker 20.10, and a container cannot be created on (or started
 * with) a name the engine finds twice. Each racer therefore settles twins of the project's
 * own, and only ever removes the one it made itself (never another's, which may already carry
 * containers). The keeper is the twin with the most containers attached, then the oldest: a
 * racer that saw no twin when it listed (the other create was not committed yet) has gone on
 * to attach containers to its own, and that one must win. A racer whose own twin is kept
 * waits for the others to give theirs up; if they do not within a second (the twin belongs to
 * a racer that already went on) it gives up its own while empty. Should every racer give up at
 * once, none is left and the next round creates one again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineApiError } from '../engine/api-error.js';
import type { Engine, NetworkSummary } from '../engine/engine.js';
import type { networkSpec } from '../engine/request/index.js';
import { ServiceFailedError } from '../errors.js';
import { ownedBy } from '../labels.js';
import type { Project } from '../stack/model.js';
import { ambiguousNetwork, describeNetworks } from './refusals.js';

/** How long a keeper waits for the other racers' twins to go before it gives up its own. */
const YIELD_AFTER_MS = 1_000;
/** How long twins may persist before the ambiguity is reported (someone else's doing). */
const GIVE_UP_MS = 5_000;
const ROUNDS = 4;

/** "made" when this call created the network kept, "adopted" when it is another's (or was there). */
export async function ensureNetwork(engine: Engine, project: Project, key: string, body: ReturnType<typeof networkSpec>): Promise<'made' | 'adopted'> {
  for (let round = 1; ; round++) {
    const r = await settleOnce(engine, project, key, body);
    if (r !== 'none left') return r;
    if (round === ROUNDS) {
      throw new ServiceFailedError('network_ambiguous', `network ${body.Name} was removed as fast as it was created, ${ROUNDS} times`,
        'another command keeps removing it (a down running at the same time?): run up again once it has finished');
    }
  }
}

async function settleOnce(engine: Engine, project: Project, key: string, body: ReturnType<typeof networkSpec>): Promise<'made' | 'adopted' | 'none left'> {
  let made: string | undefined;
  try {
    made = await engine.networks.create(body);
  } catch (err) {
    // 409: one of that name exists (another command made it since we looked, or it is not ours).
    if (!(err instanceof EngineApiError && err.status === 409)) throw err;
  }
  const start = Date.now();
  for (;;) {
    const same = await engine.networks.list({ name: body.Name });
    // The name filter matches substrings: only this very name counts.
    const exact = same.filter((n) => n.name === body.Name);
    const ours = exact.filter((n) => ownedBy(n.labels, project.name, 'network', key));
    const foreign = exact.filter((n) => !ours.includes(n));
    if (ours.length === 0 && foreign.length === 0) return 'none left';
    if (ours.length === 0) {
      throw new ServiceFailedError('network_conflict', `network ${body.Name} exists but is not project ${project.name}'s (${describeNetworks(foreign)})`,
        `remove it (docker network rm ${body.Name}), or use it as it is: declare networks.${key} external: true with name: ${body.Name}`);
    }
    // A twin that is not the project's never goes away by itself.
    if (foreign.length > 0) throw ambiguousNetwork(body.Name, await withContainers(engine, exact));
    if (ours.length === 1) return made === ours[0]!.id ? 'made' : 'adopted';

    const twins = await withContainers(engine, ours);
    const keep = [...twins].sort(keeperFirst)[0]!;
    const mine = made === undefined ? undefined : twins.find((n) => n.id === made);
    const waited = Date.now() - start;
    if (mine && mine.containers.length === 0 && (mine.id !== keep.id || waited > YIELD_AFTER_MS)) {
      await engine.networks.remove(mine.id).catch((err: unknown) => {
        if (!(err instanceof EngineApiError && err.status === 404)) throw err;
      });
      made = undefined;
      continue;
    }
    if (waited > GIVE_UP_MS) throw ambiguousNetwork(body.Name, twins);
    await sleep(100);
  }
}

/** Listings leave attached containers out; inspect says. A twin gone meanwhile is dropped. */
async function withContainers(engine: Engine, list: NetworkSummary[]): Promise<NetworkSummary[]> {
  const seen = await Promise.all(list.map((n) => engine.networks.inspect(n.id)));
  return seen.filter((n): n is NetworkSummary => n !== undefined);
}

/** Most containers attached first, then the oldest, then by id: every racer orders alike. */
export function keeperFirst(a: NetworkSummary, b: NetworkSummary): number {
  if (a.containers.length !== b.containers.length) return b.containers.length - a.containers.length;
  const ta = createdNs(a.created);
  const tb = createdNs(b.created);
  return ta < tb ? -1 : ta > tb ? 1 : a.id.localeCompare(b.id);
}

/** RFC 3339 with any number of fraction digits (Go drops trailing zeros) as nanoseconds; 0 when unknown. */
function createdNs(created: string | undefined): bigint {
  const m = created ? /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(created) : null;
  const whole = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(whole)) return 0n;
  return BigInt(whole) * 1_000_000n + BigInt((m[2] ?? '0').padEnd(9, '0').slice(0, 9));
}
