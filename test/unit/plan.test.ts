import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { DependencyGraph } from '../../src/graph/graph.js';
import { planStop } from '../../src/plan/down.js';
import { planUp, type Observed } from '../../src/plan/up.js';
import type { Project, Service } from '../../src/stack/model.js';
import { makeService } from '../support.js';

const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'busybox', ...extra });

function project(services: Service[]): Project {
  return {
    name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])), disabled_services: {},
    networks: { default: { name: 'p_default' } }, volumes: { data: { name: 'p_data' } }, configs: {}, secrets: {}, profiles: [],
  };
}

let seq = 0;
function container(service: string, number: number, extra: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    id: `id-${service}-${number}-${seq++}`, name: `p-${service}-${number}`, service, number, oneoff: false, state: 'running',
    status: 'Up', health: 'none', configHash: 'h', image: 'busybox', labels: {}, created: seq, ports: [], ...extra,
  };
}

const none: Observed = { containers: [], networks: [], volumes: [] };
const dep = (condition: 'service_started' | 'service_healthy' = 'service_started', restart = false) => ({ condition, required: true, restart });

describe('planUp', () => {
  const p = project([
    svc('db', { volumes: [{ type: 'volume', source: 'data', target: '/data' }] }),
    svc('api', { depends_on: { db: dep('service_healthy') } }),
    svc('web', { depends_on: { api: dep('service_started', true) }, scale: 2 }),
  ]);
  const g = DependencyGraph.fromServices(p.services);

  it('creates everything on an empty engine, dependencies first, numbered from 1', () => {
    const plan = planUp(p, g, none, () => 'h');
    expect(plan.services.map((s) => s.service)).toEqual(['db', 'api', 'web']);
    expect(plan.services[2]!.replicas).toEqual([{ kind: 'create', number: 1 }, { kind: 'create', number: 2 }]);
    expect(plan.networks).toEqual(['default']);
    expect(plan.volumes).toEqual(['data']);
  });

  it('changes nothing when everything runs with the same hash', () => {
    const observed: Observed = {
      containers: [container('db', 1), container('api', 1), container('web', 1), container('web', 2)],
      networks: [{ id: 'n', name: 'p_default', labels: {}, driver: 'bridge', containers: [] }],
      volumes: [{ name: 'p_data', labels: {}, driver: 'local' }],
    };
    const plan = planUp(p, g, observed, () => 'h');
    expect(plan.services.flatMap((s) => s.replicas.map((r) => r.kind))).toEqual(['keep', 'keep', 'keep', 'keep']);
    expect(plan.networks).toEqual([]);
    expect(plan.volumes).toEqual([]);
    expect(plan.services.every((s) => s.remove.length === 0)).toBe(true);
  });

  it('recreates a changed service and restarts the dependents that declared restart: true', () => {
    const observed: Observed = { ...none, containers: [container('db', 1), container('api', 1), container('web', 1), container('web', 2)] };
    const plan = planUp(p, g, observed, (s) => (s === 'api' ? 'new' : 'h'));
    const kinds = Object.fromEntries(plan.services.map((s) => [s.service, s.replicas.map((r) => r.kind)]));
    expect(kinds).toEqual({ db: ['keep'], api: ['recreate'], web: ['restart', 'restart'] });
  });

  it('does not restart dependents without restart: true', () => {
    const observed: Observed = { ...none, containers: [container('db', 1), container('api', 1), container('web', 1), container('web', 2)] };
    const plan = planUp(p, g, observed, (s) => (s === 'db' ? 'new' : 'h'));
    const kinds = Object.fromEntries(plan.services.map((s) => [s.service, s.replicas.map((r) => r.kind)]));
    expect(kinds).toEqual({ db: ['recreate'], api: ['keep'], web: ['keep', 'keep'] });
  });

  it('starts stopped containers that are up to date', () => {
    const observed: Observed = { ...none, containers: [container('db', 1, { state: 'exited' })] };
    const plan = planUp(p, g, observed, () => 'h', { targets: ['db'] });
    expect(plan.services.map((s) => [s.service, s.replicas[0]!.kind])).toEqual([['db', 'start']]);
  });

  it('brings up the dependencies of a named service, or only the service with noDeps', () => {
    expect(planUp(p, g, none, () => 'h', { targets: ['api'] }).services.map((s) => s.service)).toEqual(['db', 'api']);
    expect(planUp(p, g, none, () => 'h', { targets: ['api'], noDeps: true }).services.map((s) => s.service)).toEqual(['api']);
  });

  it('scales down out-of-date then highest-numbered replicas, and numbers new ones after the highest', () => {
    const cs = [container('web', 1), container('web', 2, { configHash: 'old' }), container('web', 3), container('web', 4)];
    const down = planUp(p, g, { ...none, containers: cs }, () => 'h', { targets: ['web'], noDeps: true, scale: { web: 2 } });
    const web = down.services[0]!;
    expect(web.remove.map((c) => c.number)).toEqual([2, 4]);
    expect(web.replicas.map((r) => [r.kind, r.number])).toEqual([['keep', 1], ['keep', 3]]);
    const upMore = planUp(p, g, { ...none, containers: [container('web', 1), container('web', 3)] }, () => 'h', { targets: ['web'], noDeps: true, scale: { web: 4 } });
    expect(upMore.services[0]!.replicas.map((r) => [r.kind, r.number])).toEqual([['keep', 1], ['keep', 3], ['create', 4], ['create', 5]]);
  });

  it('honours force-recreate and no-recreate', () => {
    const observed: Observed = { ...none, containers: [container('db', 1)] };
    expect(planUp(p, g, observed, () => 'h', { targets: ['db'], forceRecreate: true }).services[0]!.replicas[0]!.kind).toBe('recreate');
    expect(planUp(p, g, observed, () => 'changed', { targets: ['db'], noRecreate: true }).services[0]!.replicas[0]!.kind).toBe('keep');
  });

  it('keeps a completed job that others wait on, but starts an ordinary stopped service', () => {
    const q = project([svc('job'), svc('app', { depends_on: { job: { condition: 'service_completed_successfully', required: true, restart: false } } }), svc('other')]);
    const observed: Observed = { ...none, containers: [
      container('job', 1, { state: 'exited', status: 'Exited (0) 3 seconds ago' }),
      container('app', 1),
      container('other', 1, { state: 'exited', status: 'Exited (0) 3 seconds ago' }),
    ] };
    const kinds = planUp(q, DependencyGraph.fromServices(q.services), observed, () => 'h').services.map((s) => [s.service, s.replicas[0]!.kind]);
    expect(kinds).toEqual([['job', 'keep'], ['app', 'keep'], ['other', 'start']]);
    const failed: Observed = { ...observed, containers: [container('job', 1, { state: 'exited', status: 'Exited (1) 3 seconds ago' })] };
    expect(planUp(q, DependencyGraph.fromServices(q.services), failed, () => 'h', { targets: ['job'] }).services[0]!.replicas[0]!.kind).toBe('start');
  });

  it('finds orphans but not one-off containers', () => {
    const observed: Observed = { ...none, containers: [container('gone', 1), container('db', 1, { oneoff: true })] };
    expect(planUp(p, g, observed, () => 'h').orphans.map((c) => c.service)).toEqual(['gone']);
  });

  it('never plans to create external networks or volumes', () => {
    const q = project([svc('a', { networks: { ext: null }, volumes: [{ type: 'volume', source: 'vol', target: '/v' }] })]);
    q.networks.ext = { name: 'shared', external: true };
    q.volumes.vol = { name: 'shared-vol', external: true };
    const plan = planUp(q, DependencyGraph.fromServices(q.services), none, () => 'h');
    expect(plan.networks).toEqual([]);
    expect(plan.volumes).toEqual([]);
  });
});

describe('planStop', () => {
  it('stops each container after the containers of services that depend on it', () => {
    const db = container('db', 1);
    const api = container('api', 1, { labels: { 'com.docker.compose.depends_on': 'db:service_healthy:false' } });
    const web1 = container('web', 1, { labels: { 'com.docker.compose.depends_on': 'api:service_started:true' } });
    const web2 = container('web', 2, { labels: { 'com.docker.compose.depends_on': 'api:service_started:true' } });
    const other = container('other', 1);
    const steps = Object.fromEntries(planStop([db, api, web1, web2, other]).map((s) => [s.container.id, s.after]));
    expect(steps[db.id]).toEqual([api.id]);
    expect(steps[api.id]!.sort()).toEqual([web1.id, web2.id].sort());
    expect(steps[web1.id]).toEqual([]);
    expect(steps[other.id]).toEqual([]);
  });
});
