/**
 * Reading what the engine holds for a project: its containers (as Compose's labels describe
 * them), networks, volumes and events. The engine seam filters by raw labels; the project
 * vocabulary is applied here, once, for every verb.
 */
import type { Engine, EngineEvent, NetworkSummary, VolumeSummary } from '../engine/engine.js';
import { LABEL, oneoffLabel, projectLabel } from '../labels.js';
import { fromLabels, type ContainerSummary, type ProjectContainerDetails } from '../plan/observed.js';

export interface ContainerQuery {
  project?: string;
  service?: string;
  /** Stopped containers too. */
  all?: boolean;
  oneoff?: boolean;
  /** Further `key=value` label filters. */
  labels?: string[];
  /** Make sure running containers' health is known (see ContainerClient.list). */
  health?: boolean;
}

export async function listContainers(engine: Engine, q: ContainerQuery): Promise<ContainerSummary[]> {
  const labels = [...(q.labels ?? [])];
  if (q.project !== undefined) labels.push(projectLabel(q.project));
  if (q.service !== undefined) labels.push(`${LABEL.service}=${q.service}`);
  if (q.oneoff !== undefined) labels.push(oneoffLabel(q.oneoff));
  return (await engine.containers.list({ all: q.all ?? false, labels, ...(q.health ? { health: true } : {}) })).map(fromLabels);
}

export async function inspectContainer(engine: Engine, id: string): Promise<ProjectContainerDetails> {
  return fromLabels(await engine.containers.inspect(id));
}

/** The project's networks; with `name`, only the network of exactly that name. */
export function listNetworks(engine: Engine, q: { project?: string; name?: string }): Promise<NetworkSummary[]> {
  return engine.networks.list({ labels: q.project === undefined ? [] : [projectLabel(q.project)], name: q.name });
}

export function listVolumes(engine: Engine, q: { project?: string; name?: string }): Promise<VolumeSummary[]> {
  return engine.volumes.list({ labels: q.project === undefined ? [] : [projectLabel(q.project)], name: q.name });
}

/** The project's container events from now on (see EventClient.subscribe). */
export function containerEvents(engine: Engine, project: string, signal: AbortSignal, window: { since?: string; until?: string } = {}): Promise<AsyncIterable<EngineEvent>> {
  return engine.events.subscribe({ labels: [projectLabel(project)], type: ['container'], ...window }, signal);
}
