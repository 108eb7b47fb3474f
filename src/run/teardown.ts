/**
 * Taking things away without leaking or overreaching: a container with the anonymous volumes
 * it mounted (its own, or those it took over from the container it replaced, which it mounts
 * by name and which the engine's `rm -v` therefore leaves), and a network that still has
 * endpoints. Only what carries the project's labels is ever removed or disconnected.
 */
import { EngineApiError, unlessGone } from '../engine/api-error.js';
import type { Engine, NetworkSummary, VolumeSummary } from '../engine/engine.js';
import { ServiceFailedError } from '../errors.js';
import { LABEL } from '../labels.js';

/** An anonymous volume tug made for the project: its labels name the project and no volume key. */
export function isAnonymousOf(v: VolumeSummary, project: string): boolean {
  return v.labels[LABEL.project] === project && v.labels[LABEL.volume] === undefined;
}

/**
 * Removes a container and its anonymous volumes, never a named one; resolves with the names of
 * the volumes that went. The engine removes the volumes it made without a name; the ones
 * mounted by name are removed here when their labels say they are the project's anonymous
 * volumes and no other container uses them.
 */
export async function removeWithAnonymousVolumes(engine: Engine, project: string, id: string, opts: { force?: boolean } = {}): Promise<string[]> {
  const details = await unlessGone(engine.containers.inspect(id));
  const mounted = [...new Set((details?.mounts ?? []).filter((m) => m.type === 'volume' && m.name).map((m) => m.name!))];
  const before = new Map<string, VolumeSummary | undefined>();
  for (const name of mounted) before.set(name, await engine.volumes.inspect(name));
  await engine.containers.remove(id, { force: opts.force ?? false, volumes: true });
  const removed: string[] = [];
  for (const name of mounted) {
    const was = before.get(name);
    if (!was) continue;
    if (!(await engine.volumes.inspect(name))) {
      removed.push(name); // the engine removed it with the container: it had no name of its own
      continue;
    }
    if (!isAnonymousOf(was, project)) continue;
    try {
      await engine.volumes.remove(name);
      removed.push(name);
    } catch (err) {
      // Still mounted by another container (409): it is not this one's to remove.
      if (err instanceof EngineApiError && err.status === 404) removed.push(name);
      else if (!(err instanceof EngineApiError && err.status === 409)) throw err;
    }
  }
  return removed;
}

/** What `removeNetwork` could not remove, and why. */
export interface NetworkLeft {
  network: string;
  /** Containers not of the project still attached: tug never disconnects them. */
  foreign: string[];
  /** The engine's refusal when it was not about endpoints. */
  error?: Error;
  /** The engine still counts an endpoint that no container holds (its own fault). */
  stale?: boolean;
}

/**
 * Removes a project's network. One with active endpoints has the project's own containers
 * (and endpoints whose container is gone, which belong to no one) disconnected, then is
 * removed again; a container of anyone else attached to it is never disconnected: the network
 * is left, and the answer says which containers keep it.
 */
export async function removeNetwork(engine: Engine, project: string, n: NetworkSummary): Promise<NetworkLeft | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      await engine.networks.remove(n.id);
      return undefined;
    } catch (err) {
      if (err instanceof EngineApiError && err.status === 404) return undefined;
      if (!(err instanceof EngineApiError && err.refusal === 'network_in_use')) return { network: n.name, foreign: [], error: err as Error };
      if (attempt >= 3) {
        const still = await engine.networks.inspect(n.id);
        if (still && still.containers.length === 0) {
          // Seen on Docker 20.10 after a few hundred containers left one network at once under
          // heavy load: the engine counts an endpoint no container holds, until it restarts.
          return { network: n.name, foreign: [], stale: true, error: err as Error };
        }
        return { network: n.name, foreign: [], error: err as Error };
      }
    }
    const now = await engine.networks.inspect(n.id);
    if (!now) return undefined;
    const foreign: string[] = [];
    for (const id of now.containers) {
      const c = await unlessGone(engine.containers.inspect(id));
      const name = now.endpointNames?.[id] ?? c?.name ?? id;
      if (c && c.labels[LABEL.project] !== project) {
        foreign.push(`${c.name} (${c.id.slice(0, 12)})`);
        continue;
      }
      // The project's own (an orphan left running, a one-off), or an endpoint left by a
      // container that no longer exists.
      await engine.networks.disconnect(n.id, c ? c.id : name, { force: true }).catch((e: unknown) => {
        if (!(e instanceof EngineApiError && (e.status === 404 || /not connected/i.test(e.message)))) throw e;
      });
    }
    if (foreign.length > 0) return { network: n.name, foreign };
  }
}

/** The networks left after `down`, as one error (exit 5) saying what keeps each. */
export function networksLeftError(project: string, left: NetworkLeft[]): ServiceFailedError {
  const lines = left.map((l) => (l.foreign.length
    ? `network ${l.network}: still attached: ${l.foreign.join(', ')}, not of project ${project} (tug never disconnects or removes another's container)`
    : l.stale
      ? `network ${l.network}: the engine says it has active endpoints, yet no container is attached to it (a fault of the engine's own)`
      : `network ${l.network}: ${l.error?.message ?? 'the engine refused to remove it'}`));
  const first = left.find((l) => l.foreign.length > 0);
  const hint = first
    ? `disconnect them yourself if they should go (docker network disconnect ${first.network} ${first.foreign[0]!.split(' ')[0]}), then run tug down again`
    : left.some((l) => l.stale)
      // Measured on Docker 20.10 with the docker CLI alone: 200 containers of one network
      // stopped 8 or 48 at a time left it counting endpoints in 5 of 10 rounds, one at a time
      // in none of 3. The count is the engine's (moby/moby#42119); it is recounted at start.
      ? 'the engine lost count of the network\'s endpoints (a Docker Engine fault when many of its containers stop at once, moby/moby#42119): '
        + 'restart the Docker engine, then run tug down again (nothing of yours is attached; tug up reuses the network meanwhile). '
        + 'tug --parallel 1 down stops containers one at a time, which avoided it in every trial here'
      : 'run tug down again once the engine has let go of them';
  return new ServiceFailedError('network_in_use', `${left.length === 1 ? 'a network was' : `${left.length} networks were`} not removed:\n  ${lines.join('\n  ')}`, hint);
}
