import { describe, expect, it } from 'vitest';
import { DependencyGraph } from '../../src/graph/graph.js';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { planUp } from '../../src/plan/up.js';
import { upDryRunEvents } from '../../src/run/dry-run.js';
import type { Project, Service } from '../../src/stack/model.js';
import { dryRunLine, renderDryRun } from '../../src/ui/dry-run.js';
import { makeService } from '../support.js';

const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'busybox', ...extra });
const project = (services: Service[]): Project => ({
  name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'],
  services: Object.fromEntries(services.map((s) => [s.name, s])), disabled_services: {},
  networks: { default: { name: 'p_default' } }, volumes: { data: { name: 'p_data' } }, configs: {}, secrets: {}, profiles: [],
});
const running = (service: string, number: number, hash: string): ContainerSummary => ({
  id: `id-${service}-${number}`, name: `p-${service}-${number}`, service, number, oneoff: false, state: 'running',
  status: 'Up', health: 'none', configHash: hash, image: 'busybox', labels: {}, created: 1, ports: [],
});
const spelled = (events: { resource: string; action: string; name: string }[]) => events.map((e) => `${e.resource} ${e.action} ${e.name}`);

describe('up --dry-run events (from the up plan)', () => {
  const p = project([svc('db', { volumes: [{ type: 'volume', source: 'data', target: '/data' }] }), svc('web', { depends_on: { db: { condition: 'service_started', required: true, restart: false } } })]);
  const g = DependencyGraph.fromServices(p.services);

  it('on an empty engine: network and volume made, each replica created then started, dependencies first', () => {
    const plan = planUp(p, g, { containers: [], networks: [], volumes: [] }, () => 'h');
    expect(spelled(upDryRunEvents(p, plan, [{ ref: 'busybox', service: 'db', action: 'pull' }]))).toEqual([
      'network create p_default', 'volume create p_data', 'image pull busybox',
      'container create p-db-1', 'container start p-db-1', 'container create p-web-1', 'container start p-web-1',
    ]);
  });

  it('a changed service is recreated (the old container removed), a current one kept; --no-start starts nothing', () => {
    const observed = { containers: [running('db', 1, 'old'), running('web', 1, 'h')], networks: [{ id: 'n', name: 'p_default', labels: {} }], volumes: [{ name: 'p_data', labels: {} }] };
    const plan = planUp(p, g, observed as never, () => 'h');
    expect(spelled(upDryRunEvents(p, plan, []))).toEqual(['container recreate p-db-1', 'container remove p-db-1', 'container start p-db-1']);
    expect(spelled(upDryRunEvents(p, plan, [], { noStart: true }))).toEqual(['container recreate p-db-1', 'container remove p-db-1']);
  });

  it('every event is a settled one marked dryRun', () => {
    const plan = planUp(p, g, { containers: [], networks: [], volumes: [] }, () => 'h');
    for (const e of upDryRunEvents(p, plan, [])) expect(e).toMatchObject({ state: 'done', dryRun: true });
  });
});

describe('dry-run rendering', () => {
  const e = { resource: 'container', name: 'p-web-1', action: 'create', state: 'done', time: 0 } as const;

  it('words each action as Compose\'s dry-run mode does', () => {
    expect(dryRunLine(e)).toBe('DRY-RUN MODE -  Container p-web-1  Created');
    expect(dryRunLine({ ...e, resource: 'network', name: 'p_default', action: 'remove' })).toBe('DRY-RUN MODE -  Network p_default  Removed');
    expect(dryRunLine({ ...e, action: 'pause' })).toBe('DRY-RUN MODE -  Container p-web-1  Paused');
  });

  it('prints JSON events marked dryRun under --progress json, nothing under quiet, and says when there is nothing to do', () => {
    const out: string[] = [];
    renderDryRun([e], 'json', (s) => out.push(s));
    expect(JSON.parse(out[0]!)).toMatchObject({ resource: 'container', name: 'p-web-1', action: 'create', dryRun: true });
    const quiet: string[] = [];
    renderDryRun([e], 'quiet', (s) => quiet.push(s));
    expect(quiet).toEqual([]);
    const none: string[] = [];
    renderDryRun([], 'auto', (s) => none.push(s));
    expect(none).toEqual(['DRY-RUN MODE -  Nothing to do\n']);
  });
});
