import { describe, expect, it } from 'vitest';
import { checkSignal } from '../../src/cli/commands/kill.js';
import { forceFlagAfterRm } from '../../src/cli/argv.js';
import { parseReplicas } from '../../src/cli/commands/scale.js';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { TugError } from '../../src/errors.js';
import { DependencyGraph } from '../../src/graph/graph.js';
import {
  checkScale, checkServiceNames, containersFor, planRemove, planRestart, planStart, selectContainers,
} from '../../src/plan/lifecycle.js';
import { planUp } from '../../src/plan/up.js';
import type { DependsOn, Project, Service } from '../../src/stack/model.js';
import { makeService } from '../support.js';

const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'busybox', ...extra });
const on = (condition: DependsOn['condition'], opts: Partial<DependsOn> = {}): DependsOn => ({ condition, required: true, restart: false, ...opts });

function project(services: Service[], disabled: Service[] = []): Project {
  return {
    name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])), disabled_services: Object.fromEntries(disabled.map((s) => [s.name, s])),
    networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [],
  };
}

let seq = 0;
function container(service: string, number: number, extra: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    id: `${service}-${number}`, name: `p-${service}-${number}`, service, number, oneoff: false, state: 'running',
    status: 'Up', health: 'none', configHash: 'h', image: 'busybox', labels: {}, created: seq++, ports: [], ...extra,
  };
}

function refusal(fn: () => unknown): TugError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TugError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

/** db ← api (healthy, restart) ← web (started, restart); db ← worker (healthy, no restart); job ← api (completed). */
const stack = project([
  svc('db', { healthcheck: { test: ['CMD', 'true'] } }),
  svc('job'),
  svc('api', { depends_on: { db: on('service_healthy', { restart: true }), job: on('service_completed_successfully') } }),
  svc('web', { depends_on: { api: on('service_started', { restart: true }) } }),
  svc('worker', { depends_on: { db: on('service_healthy') } }),
]);
const graph = DependencyGraph.fromServices(stack.services);
const everything = () => [
  container('db', 1), container('job', 1, { state: 'exited', status: 'Exited (0) 1 minute ago' }), container('api', 1),
  container('web', 1), container('web', 2), container('worker', 1),
];

describe('planRestart', () => {
  it('restarts a dependency with its restart: true dependents, transitively, but not the others', () => {
    const plan = planRestart(graph, everything(), { services: ['db'] });
    expect(plan.services).toEqual(['db', 'api', 'web']);
    expect(plan.start.map((s) => [s.service, s.containers.map((c) => c.number)])).toEqual([['db', [1]], ['api', [1]], ['web', [1, 2]]]);
    expect(plan.missing).toEqual([]);
  });

  it('stops dependents before their dependencies', () => {
    const plan = planRestart(graph, everything(), { services: ['db'] });
    const after = Object.fromEntries(plan.stop.map((s) => [s.container.id, s.after]));
    expect(after).toEqual({ 'db-1': ['api-1'], 'api-1': ['web-1', 'web-2'], 'web-1': [], 'web-2': [] });
  });

  it('with --no-deps restarts only the named services', () => {
    const plan = planRestart(graph, everything(), { services: ['db'], noDeps: true });
    expect(plan.services).toEqual(['db']);
    expect(plan.stop.map((s) => [s.container.id, s.after])).toEqual([['db-1', []]]);
  });

  it('with no services restarts everything in dependency order, the completed job too', () => {
    const plan = planRestart(graph, everything());
    expect(plan.services).toEqual(['db', 'job', 'api', 'web', 'worker']);
    // Only running containers are stopped; the job is started again all the same.
    expect(plan.stop.map((s) => s.container.id)).not.toContain('job-1');
    expect(plan.start.find((s) => s.service === 'job')!.containers.map((c) => c.id)).toEqual(['job-1']);
    const after = Object.fromEntries(plan.stop.map((s) => [s.container.id, s.after]));
    expect(after['db-1']).toEqual(['api-1', 'worker-1']);
  });

  it('restarts a dependent on its own without touching what it depends on', () => {
    const plan = planRestart(graph, everything(), { services: ['api'] });
    expect(plan.services).toEqual(['api', 'web']);
    expect(plan.stop.find((s) => s.container.id === 'api-1')!.after).toEqual(['web-1', 'web-2']);
  });

  it('reports a dependency without a started container before anything is stopped', () => {
    const cs = everything().filter((c) => c.service !== 'db');
    expect(planRestart(graph, cs, { services: ['api'] }).missing).toEqual([{ service: 'api', dependency: 'db', required: true }]);
    const created = [...cs, container('db', 1, { state: 'created' })];
    expect(planRestart(graph, created, { services: ['worker'] }).missing).toEqual([{ service: 'worker', dependency: 'db', required: true }]);
    // Restarting the dependency too: it is started, so it can be waited on.
    expect(planRestart(graph, created, { services: ['db'] }).missing).toEqual([]);
  });

  it('ignores services without containers and one-off containers', () => {
    const plan = planRestart(graph, [container('db', 1), container('db', 2, { oneoff: true })], { services: ['db'] });
    expect(plan.services).toEqual(['db']);
    expect(plan.start[0]!.containers.map((c) => c.id)).toEqual(['db-1']);
  });
});

describe('planStart', () => {
  const stopped = (c: ContainerSummary) => ({ ...c, state: c.state === 'running' ? 'exited' as const : c.state, status: c.service === 'job' ? c.status : 'Exited (137) 2 seconds ago' });

  it('starts the named services and their dependencies, dependencies first, and keeps a completed job done', () => {
    const plan = planStart(graph, everything().map(stopped), { services: ['web'] });
    expect(plan.scope).toEqual(['db', 'job', 'api', 'web']);
    expect(plan.start.map((s) => s.service)).toEqual(['db', 'api', 'web']);
    expect(plan.empty).toEqual([]);
    expect(plan.missing).toEqual([]);
  });

  it('runs a completed job again when it is named', () => {
    expect(planStart(graph, everything().map(stopped), { services: ['job'] }).start.map((s) => s.service)).toEqual(['job']);
  });

  it('leaves running containers alone', () => {
    const cs = everything().map((c) => (c.id === 'web-2' ? stopped(c) : c));
    const plan = planStart(graph, cs);
    expect(plan.start.map((s) => [s.service, s.containers.map((c) => c.id)])).toEqual([['web', ['web-2']]]);
  });

  it('lists the services without any container', () => {
    const plan = planStart(graph, [], { services: ['api'] });
    expect(plan.empty).toEqual(['db', 'job', 'api']);
    expect(plan.start).toEqual([]);
  });
});

describe('planRemove', () => {
  const cs = [container('a', 1, { state: 'exited' }), container('a', 2), container('b', 1, { state: 'created' }), container('c', 1, { state: 'paused' })];

  it('removes stopped containers and leaves running ones without -s', () => {
    const plan = planRemove(cs);
    expect(plan.remove.map((c) => c.id)).toEqual(['a-1', 'b-1']);
    expect(plan.skipped.map((c) => c.id)).toEqual(['a-2', 'c-1']);
    expect(plan.stopFirst).toEqual([]);
  });

  it('with -s stops the running ones first and removes everything', () => {
    const plan = planRemove(cs, { stop: true });
    expect(plan.remove.map((c) => c.id)).toEqual(['a-1', 'a-2', 'b-1', 'c-1']);
    expect(plan.stopFirst.map((c) => c.id)).toEqual(['a-2', 'c-1']);
  });
});

describe('selecting containers', () => {
  const p = project([svc('a'), svc('b')], [svc('dbg')]);
  const cs = [container('b', 1), container('a', 2), container('a', 1), container('gone', 1), container('dbg', 1), container('a', 9, { oneoff: true })];

  it('takes the project\'s services, never an orphan, one-offs only when asked', () => {
    expect(selectContainers(p, cs).map((c) => c.id)).toEqual(['a-1', 'a-2', 'b-1', 'dbg-1']);
    expect(selectContainers(p, cs, { services: ['a'], oneoff: true }).map((c) => c.id)).toEqual(['a-1', 'a-2', 'a-9']);
  });

  it('kills running and paused containers, pauses running ones, unpauses paused ones', () => {
    const mixed = [container('a', 1), container('a', 2, { state: 'paused' }), container('a', 3, { state: 'exited' })];
    expect(containersFor('kill', mixed).map((c) => c.number)).toEqual([1, 2]);
    expect(containersFor('pause', mixed).map((c) => c.number)).toEqual([1]);
    expect(containersFor('unpause', mixed).map((c) => c.number)).toEqual([2]);
  });

  it('refuses unknown service names with a suggestion, and explains an inactive profile', () => {
    const e = refusal(() => checkServiceNames(p, ['aa']));
    expect(e).toMatchObject({ code: 'unknown_service', exitCode: 2 });
    expect(refusal(() => checkServiceNames(p, ['dbgg'], { allowDisabled: true })).hint).toContain('"dbg"');
    expect(refusal(() => checkServiceNames(p, ['dbg'])).hint).toContain('profile');
    expect(() => checkServiceNames(p, ['dbg'], { allowDisabled: true })).not.toThrow();
  });
});

describe('scale', () => {
  const p = project([
    svc('web'),
    svc('named', { container_name: 'fixed' }),
    svc('port', { ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }] }),
    svc('range', { ports: [{ target: 80, published: '8000-8002', protocol: 'tcp', mode: 'ingress' }] }),
    svc('any', { ports: [{ target: 80, protocol: 'tcp', mode: 'ingress' }] }),
  ]);

  it('refuses more than one replica of a service with container_name or a fixed host port, as a usage error', () => {
    expect(refusal(() => checkScale(p, { named: 2 }))).toMatchObject({ code: 'container_name_with_scale', exitCode: 2 });
    expect(refusal(() => checkScale(p, { port: 2 }))).toMatchObject({ code: 'host_port_with_scale', exitCode: 2 });
    expect(refusal(() => checkScale(p, { range: 4 })).message).toContain('room for 3 replicas');
    expect(refusal(() => checkScale(p, { nope: 1 }))).toMatchObject({ code: 'unknown_service', exitCode: 2 });
  });

  it('accepts what can be run: one or no replica, a large enough range, engine-picked ports', () => {
    expect(() => checkScale(p, { named: 1, port: 0, range: 3, any: 5, web: 10 })).not.toThrow();
  });

  it('parses SERVICE=N and refuses anything else', () => {
    expect(parseReplicas(['web=3', 'db=0'])).toEqual({ web: 3, db: 0 });
    for (const bad of ['web', 'web=', 'web=-1', 'web=1.5', '=2']) expect(() => parseReplicas([bad])).toThrow(/invalid replica count/);
  });

  it('scales down through planUp: out-of-date first, then the highest numbers; back up after the highest left', () => {
    const q = project([svc('web')]);
    const g = DependencyGraph.fromServices(q.services);
    const three = [container('web', 1), container('web', 2), container('web', 3)];
    const toOne = planUp(q, g, { containers: three, networks: [], volumes: [] }, () => 'h', { targets: ['web'], scale: { web: 1 } }).services[0]!;
    expect(toOne.remove.map((c) => c.number)).toEqual([3, 2]);
    expect(toOne.replicas.map((r) => [r.kind, r.number])).toEqual([['keep', 1]]);
    const stale = [container('web', 1, { configHash: 'old' }), container('web', 2), container('web', 3)];
    const staleFirst = planUp(q, g, { containers: stale, networks: [], volumes: [] }, () => 'h', { targets: ['web'], scale: { web: 2 } }).services[0]!;
    expect(staleFirst.remove.map((c) => c.number)).toEqual([1]);
    const toZero = planUp(q, g, { containers: three, networks: [], volumes: [] }, () => 'h', { targets: ['web'], scale: { web: 0 } }).services[0]!;
    expect(toZero.remove.map((c) => c.number)).toEqual([3, 2, 1]);
    expect(toZero.replicas).toEqual([]);
    const back = planUp(q, g, { containers: [], networks: [], volumes: [] }, () => 'h', { targets: ['web'], scale: { web: 1 } }).services[0]!;
    expect(back.replicas).toEqual([{ kind: 'create', number: 1 }]);
  });
});

describe('rm -f', () => {
  it('means --force after the verb and --file before it', () => {
    expect(forceFlagAfterRm(['rm', '-f'])).toEqual(['rm', '--force']);
    expect(forceFlagAfterRm(['-f', 'a.yaml', 'rm', '-sfv', 'web'])).toEqual(['-f', 'a.yaml', 'rm', '--force', '-sv', 'web']);
    expect(forceFlagAfterRm(['-p', 'rm', 'rm', '-f'])).toEqual(['-p', 'rm', 'rm', '--force']);
    expect(forceFlagAfterRm(['--progress', 'plain', 'rm', '-s', '--', '-f'])).toEqual(['--progress', 'plain', 'rm', '-s', '--', '-f']);
  });

  it('leaves every other verb alone', () => {
    expect(forceFlagAfterRm(['up', '-f', 'x'])).toEqual(['up', '-f', 'x']);
    expect(forceFlagAfterRm(['-f', 'rm', 'up'])).toEqual(['-f', 'rm', 'up']);
  });
});

describe('kill -s', () => {
  it('takes signal names with or without SIG, real-time signals and numbers', () => {
    expect(checkSignal('SIGKILL')).toBe('SIGKILL');
    expect(checkSignal('term')).toBe('SIGTERM');
    expect(checkSignal('RTMIN+3')).toBe('SIGRTMIN+3');
    expect(checkSignal('9')).toBe('9');
  });

  it('refuses anything else as a usage error, with a suggestion', () => {
    expect(refusal(() => checkSignal('SIGKIL'))).toMatchObject({ exitCode: 2, hint: 'did you mean SIGKILL?' });
    expect(refusal(() => checkSignal('0')).exitCode).toBe(2);
    expect(refusal(() => checkSignal('SIG KILL')).exitCode).toBe(2);
  });
});
