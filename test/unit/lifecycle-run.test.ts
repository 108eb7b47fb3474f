/**
 * The restart/start runner against a simulated engine whose events arrive late, as a real
 * engine's can: the order of engine calls is asserted, and a `die` delivered after the stop
 * call returned must not fail the gate of the container's next life.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { restart, start } from '../../src/run/lifecycle.js';
import type { DependsOn, Project, Service } from '../../src/stack/model.js';
import { composeContainer, FakeEngine, type ContainerSeed } from '../fake-engine.js';
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

const fakes: FakeEngine[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
});

/**
 * The engine with the given containers; its events reach subscribers `eventDelayMs` late
 * (default 5), and db's healthcheck passes 20 ms after each start. `calls` is what tug asked
 * of the engine that changes something (`stop db`) and the events it was sent
 * (`event die db`), in the order they happened.
 */
function simulatedEngine(initial: ContainerSeed[], opts: { eventDelayMs?: number } = {}) {
  const engine = new FakeEngine({ images: ['busybox'], eventDelayMs: opts.eventDelayMs ?? 5 });
  fakes.push(engine);
  engine.onContainer({ service: 'db' }, { health: { status: 'healthy', afterMs: 20 } });
  for (const c of initial) engine.addContainer(c);
  const serviceOf = (name: string | undefined) => /^p-(.+)-\d+$/.exec(name ?? '')?.[1] ?? name;
  const changes = new Set(['create', 'start', 'stop', 'kill', 'remove', 'rename', 'pause', 'unpause']);
  return {
    engine,
    calls(): string[] {
      return engine.history().flatMap((h) => {
        if (h.kind === 'event') return h.event.type === 'container' ? [`event ${h.event.action} ${h.event.attributes[LABEL.service]}`] : [];
        const [client, verb = ''] = h.method.split('.');
        return client === 'containers' && changes.has(verb) ? [`${verb} ${serviceOf(h.target)}`] : [];
      });
    },
  };
}

const running = (service: string, extra: Partial<ContainerSeed> = {}): ContainerSeed =>
  composeContainer('p', service, 1, { ...(service === 'db' ? { health: 'healthy' } : {}), ...extra });

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
    expect(index(calls(), 'stop api')).toBeLessThan(index(calls(), 'stop db'));
    // The die of the stop arrives well after the stop call returned...
    const stopped = engine.callsTo('containers.stop').find((c) => c.target === 'p-db-1')!;
    const died = engine.delivered.find((e) => e.event.action === 'die' && e.event.attributes.name === 'p-db-1')!;
    expect(died.at - stopped.at).toBeGreaterThanOrEqual(25);
    // ...and is seen before the start, so it cannot fail the new life's gate.
    expect(index(calls(), 'event die db')).toBeLessThan(index(calls(), 'start db'));
    expect(index(calls(), 'event health_status: healthy db')).toBeLessThan(index(calls(), 'start api'));
    expect(calls().filter((c) => c.endsWith(' worker'))).toEqual([]);
  });

  it('with --no-deps leaves the dependent running', async () => {
    const { engine, calls } = simulatedEngine([running('db'), running('api'), running('worker')]);
    await restart(engine, stack, { services: ['db'], noDeps: true });
    expect(calls().filter((c) => !c.startsWith('event'))).toEqual(['stop db', 'start db']);
  });

  it('refuses before stopping anything when a dependency has no container to wait on', async () => {
    const { engine, calls } = simulatedEngine([running('api')]);
    await expect(restart(engine, stack, { services: ['api'] })).rejects.toMatchObject({ code: 'dependency_missing', exitCode: 5 });
    expect(calls()).toEqual([]);
  });

  it('leaves a dependent running when a dependency it does not restart is unhealthy', async () => {
    const { engine, calls } = simulatedEngine([running('db', { health: 'unhealthy' }), running('api')]);
    await expect(restart(engine, stack, { services: ['api'] })).rejects.toMatchObject({ exitCode: 5 });
    expect(calls().filter((c) => !c.startsWith('event'))).toEqual([]);
  });

  it('says there is nothing to restart when nothing exists', async () => {
    const { engine } = simulatedEngine([]);
    await expect(restart(engine, stack)).rejects.toMatchObject({ code: 'no_containers', exitCode: 5 });
  });
});

describe('start (simulated engine)', () => {
  it('starts stopped containers dependencies first, each gate on the event stream', async () => {
    const stopped = (s: string) => running(s, { state: 'exited', exitCode: 143, health: 'none', healthcheck: s === 'db' });
    const { engine, calls } = simulatedEngine([stopped('db'), stopped('api'), running('worker')]);
    const result = await start(engine, stack);
    expect(result.containers).toEqual(['p-db-1', 'p-api-1']);
    expect(index(calls(), 'event health_status: healthy db')).toBeLessThan(index(calls(), 'start api'));
    expect(calls()).not.toContain('start worker');
  });

  it('fails with "no containers to start; run tug up" when none exist', async () => {
    const { engine } = simulatedEngine([]);
    await expect(start(engine, stack)).rejects.toThrow('no containers to start; run tug up');
  });
});
