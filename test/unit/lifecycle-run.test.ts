/**
 * The restart/start runner against a simulated engine whose events arrive late, as a real
 * engine's can: the order of engine calls is asserted, and a `die` delivered after the stop
 * call returned must not fail the gate of the container's next life.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerDetails, Engine, EngineEvent } from '../../src/engine/engine.js';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { LABEL } from '../../src/labels.js';
import { restart, start } from '../../src/run/lifecycle.js';
import type { DependsOn, Project, Service } from '../../src/stack/model.js';
import { makeService } from '../support.js';

const on = (condition: DependsOn['condition'], restartToo = false): DependsOn => ({ condition, required: true, restart: restartToo });

const stack: Project = {
  name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'], disabled_services: {},
  networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [],
  services: Object.fromEntries([
    makeService('db', { image: 'busybox', healthcheck: { test: ['CMD', 'true'] } }),
    makeService('api', { image: 'busybox', depends_on: { db: on('service_healthy', true) } }),
    makeService('worker', { image: 'busybox', depends_on: { db: on('service_healthy') } }),
  ].map((s: Service) => [s.name, s])),
};

function simulatedEngine(initial: ContainerSummary[], opts: { eventDelayMs?: number } = {}) {
  const containers = new Map(initial.map((c) => [c.id, { ...c }]));
  const calls: string[] = [];
  const queue: EngineEvent[] = [];
  let wake: (() => void) | undefined;
  let t = 0;
  const emit = (id: string, action: string) =>
    setTimeout(() => {
      queue.push({ type: 'container', action, id, attributes: { [LABEL.service]: containers.get(id)!.service, exitCode: '143' }, timeNano: ++t });
      calls.push(`event ${action} ${id}`);
      wake?.();
    }, opts.eventDelayMs ?? 5);
  const engine = {
    async events(_f: unknown, signal: AbortSignal) {
      return (async function* () {
        while (!signal.aborted) {
          const e = queue.shift();
          if (e) yield e;
          else await new Promise<void>((r) => (wake = r));
        }
      })();
    },
    async listContainers() {
      return [...containers.values()].map((c) => ({ ...c }));
    },
    async inspectContainer(id: string): Promise<Partial<ContainerDetails>> {
      const c = containers.get(id)!;
      return { ...c, exitCode: c.state === 'exited' ? 143 : 0, config: {}, healthLog: [], mounts: [] };
    },
    async stopContainer(id: string) {
      calls.push(`stop ${id}`);
      containers.get(id)!.state = 'exited';
      emit(id, 'die');
    },
    async startContainer(id: string) {
      calls.push(`start ${id}`);
      const c = containers.get(id)!;
      c.state = 'running';
      emit(id, 'start');
      if (stack.services[c.service]!.healthcheck) setTimeout(() => emit(id, 'health_status: healthy'), 20);
    },
  } as unknown as Engine;
  return { engine, calls };
}

const running = (service: string, extra: Partial<ContainerSummary> = {}): ContainerSummary => ({
  id: service, name: `p-${service}-1`, service, number: 1, oneoff: false, state: 'running', status: 'Up',
  health: service === 'db' ? 'healthy' : 'none', image: 'busybox', labels: {}, created: 0, ports: [], ...extra,
});

const index = (calls: string[], entry: string) => {
  const i = calls.indexOf(entry);
  if (i < 0) throw new Error(`no "${entry}" in:\n${calls.join('\n')}`);
  return i;
};

describe('restart (simulated engine)', () => {
  it('stops the restart: true dependent first and starts it only once the dependency is healthy again', async () => {
    const { engine, calls } = simulatedEngine([running('db'), running('api'), running('worker')], { eventDelayMs: 30 });
    const result = await restart(engine, stack, { services: ['db'] });
    expect(result.services).toEqual(['db', 'api']);
    expect(index(calls, 'stop api')).toBeLessThan(index(calls, 'stop db'));
    // The late die of the stop is seen before the start, so it cannot fail the new life's gate.
    expect(index(calls, 'event die db')).toBeLessThan(index(calls, 'start db'));
    expect(index(calls, 'event health_status: healthy db')).toBeLessThan(index(calls, 'start api'));
    expect(calls.filter((c) => c.endsWith(' worker'))).toEqual([]);
  });

  it('with --no-deps leaves the dependent running', async () => {
    const { engine, calls } = simulatedEngine([running('db'), running('api'), running('worker')]);
    await restart(engine, stack, { services: ['db'], noDeps: true });
    expect(calls.filter((c) => !c.startsWith('event'))).toEqual(['stop db', 'start db']);
  });

  it('refuses before stopping anything when a dependency has no container to wait on', async () => {
    const { engine, calls } = simulatedEngine([running('api')]);
    await expect(restart(engine, stack, { services: ['api'] })).rejects.toMatchObject({ code: 'dependency_missing', exitCode: 5 });
    expect(calls).toEqual([]);
  });

  it('leaves a dependent running when a dependency it does not restart is unhealthy', async () => {
    const { engine, calls } = simulatedEngine([running('db', { health: 'unhealthy' }), running('api')]);
    await expect(restart(engine, stack, { services: ['api'] })).rejects.toMatchObject({ exitCode: 5 });
    expect(calls.filter((c) => !c.startsWith('event'))).toEqual([]);
  });

  it('says there is nothing to restart when nothing exists', async () => {
    const { engine } = simulatedEngine([]);
    await expect(restart(engine, stack)).rejects.toMatchObject({ code: 'no_containers', exitCode: 5 });
  });
});

describe('start (simulated engine)', () => {
  it('starts stopped containers dependencies first, each gate on the event stream', async () => {
    const stopped = (s: string) => running(s, { state: 'exited', status: 'Exited (143) 1 second ago', health: 'none' });
    const { engine, calls } = simulatedEngine([stopped('db'), stopped('api'), running('worker')]);
    const result = await start(engine, stack);
    expect(result.containers).toEqual(['p-db-1', 'p-api-1']);
    expect(index(calls, 'event health_status: healthy db')).toBeLessThan(index(calls, 'start api'));
    expect(calls).not.toContain('start worker');
  });

  it('fails with "no containers to start; run tug up" when none exist', async () => {
    const { engine } = simulatedEngine([]);
    await expect(start(engine, stack)).rejects.toThrow('no containers to start; run tug up');
  });
});
