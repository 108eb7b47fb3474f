/**
 * What a service depends on: its `depends_on` entries and the implicit dependencies of
 * `links`, `network_mode: service:X` and `volumes_from`. The dependency graph and the stack's
 * own cycle check both read a service's dependencies from here, so they can never disagree.
 */
import type { Condition, Service } from './model.js';

export type DependencyKind = 'depends_on' | 'links' | 'network_mode' | 'volumes_from';

/** The service depends on `to`. */
export interface Dependency {
  to: string;
  condition: Condition;
  required: boolean;
  restart: boolean;
  kind: DependencyKind;
}

const SERVICE_PREFIX = 'service:';

/**
 * The dependencies of `svc`, in order: depends_on, links, network_mode, volumes_from, each in
 * declaration order. One per (target, kind): `links: [db, db:database]` is a single dependency.
 * Targets are not checked: one that names no service is the caller's to report or skip.
 */
export function serviceDependencies(svc: Service): Dependency[] {
  const out: Dependency[] = [];
  const seen = new Set<string>();
  const add = (dep: Dependency): void => {
    const key = `${dep.kind}\0${dep.to}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(dep);
  };

  for (const [to, dep] of Object.entries(svc.depends_on)) {
    add({ to, condition: dep.condition, required: dep.required, restart: dep.restart, kind: 'depends_on' });
  }
  // Implicit dependencies get the defaults Compose gives them: started, required, no restart.
  for (const link of svc.links ?? []) {
    const to = link.split(':', 1)[0] ?? '';
    add({ to, condition: 'service_started', required: true, restart: false, kind: 'links' });
  }
  if (svc.network_mode?.startsWith(SERVICE_PREFIX)) {
    const to = svc.network_mode.slice(SERVICE_PREFIX.length);
    add({ to, condition: 'service_started', required: true, restart: false, kind: 'network_mode' });
  }
  for (const entry of svc.volumes_from ?? []) {
    const to = entry.split(':', 1)[0] ?? '';
    // `container:NAME[:mode]` points at a container outside the stack.
    if (to === 'container') continue;
    add({ to, condition: 'service_started', required: true, restart: false, kind: 'volumes_from' });
  }
  return out;
}
