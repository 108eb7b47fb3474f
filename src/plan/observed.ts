/**
 * What the engine runs for a project, seen through Compose's labels: which service and
 * replica a container is, whether it is a one-off, which config it was made from. The engine
 * seam lists containers generically; this is where their labels get their meaning.
 */
import type { ContainerDetails, ContainerInfo } from '../engine/engine.js';
import { LABEL } from '../labels.js';

/** A container of a project: the engine's listing plus what its labels say. */
export interface ContainerSummary extends ContainerInfo {
  service: string;
  /** Replica number (`com.docker.compose.container-number`); 0 when the label is missing. */
  number: number;
  oneoff: boolean;
  configHash?: string;
}

/** An inspected container of a project. */
export type ProjectContainerDetails = ContainerDetails & ContainerSummary;

/** The three things that name a replica wherever tug reports or acts on one. */
export interface ReplicaRef {
  id: string;
  name: string;
  number: number;
}

export function fromLabels<T extends ContainerInfo>(c: T): T & ContainerSummary {
  const n = Number.parseInt(c.labels[LABEL.number] ?? '', 10);
  const hash = c.labels[LABEL.configHash];
  return {
    ...c,
    service: c.labels[LABEL.service] ?? '',
    number: Number.isFinite(n) ? n : 0,
    oneoff: c.labels[LABEL.oneoff] === 'True',
    ...(hash !== undefined ? { configHash: hash } : {}),
  };
}

/** A project's replicas (one-off containers left out) by service, lowest number first. */
export function replicasByService<T extends ContainerSummary>(list: readonly T[]): Map<string, T[]> {
  const out = groupByService(list.filter((c) => !c.oneoff));
  for (const group of out.values()) group.sort((a, b) => a.number - b.number);
  return out;
}

/** Containers by service, in the order given. */
export function groupByService<T extends { service: string }>(list: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const c of list) {
    const group = out.get(c.service);
    if (group) group.push(c);
    else out.set(c.service, [c]);
  }
  return out;
}
