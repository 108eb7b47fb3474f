/**
 * Planning `down`/`stop`: which containers stop only after which others. The order comes
 * from the containers' own `depends_on` labels, so a project can be taken down even when its
 * files have changed or are gone.
 */
import { groupByService, type ContainerSummary } from './observed.js';
import { LABEL } from '../labels.js';

/** `svc:condition:restart,...` as Compose writes it → the services this one depends on. */
export function dependsOnLabel(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((e) => e.split(':')[0]!).filter(Boolean);
}

export interface StopStep {
  container: ContainerSummary;
  /** Ids of the containers that must be stopped first: the replicas of its dependents. */
  after: string[];
}

/** Each container stops once every container of every service that depends on it has stopped. */
export function planStop(containers: ContainerSummary[]): StopStep[] {
  const byService = groupByService(containers);
  const dependents = new Map<string, Set<string>>();
  for (const [service, list] of byService) {
    for (const dep of new Set(list.flatMap((c) => dependsOnLabel(c.labels[LABEL.dependsOn])))) {
      if (dep === service) continue;
      const set = dependents.get(dep) ?? new Set();
      set.add(service);
      dependents.set(dep, set);
    }
  }
  return containers.map((c) => ({
    container: c,
    // One-off containers depend on the services but nothing waits for them.
    after: [...(dependents.get(c.service) ?? [])].flatMap((s) => (byService.get(s) ?? []).map((d) => d.id)).filter((id) => id !== c.id),
  }));
}
