/**
 * The lifecycle verbs through the CLI on the real engine: restart, stop, start, pause,
 * unpause, kill, scale and rm. Orders are proven from the engine's own event timestamps,
 * never from tug's report. The steps build on each other and run in order.
 */
import { describe, expect, it } from 'vitest';
import { type EngineEvent } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { up } from '../../src/run/up.js';
import { EventLog, IMAGE, dockerExec, e2eScope, inspect, load, rand, tug } from './helpers.js';
import { listContainers, listVolumes } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
    await up(engine, await load(dir), { wait: true });
  },
});
const { engine } = scope;
const project = scope.project('lifecycle');

const sleeper = `
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]`;

const STACK = `
name: ${project}
services:
  db:${sleeper}
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      retries: 3
  app:${sleeper}
    depends_on:
      db: { condition: service_healthy, restart: true }
  side:${sleeper}
    depends_on:
      db: { condition: service_healthy }
  store:${sleeper}
    volumes:
      - data:/data
  fixed:${sleeper}
    container_name: ${project}-fixed
volumes:
  data: {}
`;

let dir: string;

/** Runs the CLI while recording the project's engine events; every event it caused is in the log. */
async function recorded(args: string[]): Promise<{ log: EventLog; code: number | null; stderr: string }> {
  const log = await EventLog.record(engine, project);
  try {
    const r = await tug([...args, '--progress', 'plain'], dir);
    await log.flush();
    return { log, code: r.code, stderr: r.stderr };
  } finally {
    await log.stop();
  }
}

/** Lifecycle events of the project's own containers, without flush markers and probe execs. */
function lifecycle(log: EventLog): EngineEvent[] {
  return log.events.filter((e) => e.type === 'container' && e.attributes[LABEL.service] !== '_flush' && !e.action.startsWith('exec_'));
}

const touched = (log: EventLog, service: string) =>
  lifecycle(log).filter((e) => e.attributes[LABEL.service] === service && ['start', 'restart', 'stop', 'die', 'kill'].includes(e.action));

/** The engine time of the first `health_status: healthy` of `service` after `after`. */
function healthyAfter(log: EventLog, service: string, after: number): number {
  return log.first(service, 'health_status: healthy', (e) => e.timeNano > after);
}

async function containers(service?: string) {
  const list = await listContainers(engine, { project, all: true });
  return list.filter((c) => !c.oneoff && (service === undefined || c.service === service)).sort((a, b) => a.number - b.number);
}

async function state(service: string): Promise<string> {
  return (await containers(service))[0]!.state;
}

describe('lifecycle verbs on the real engine', () => {
  it('restart db restarts app (restart: true) only after db is healthy again, and leaves side alone', async () => {
    const before = Object.fromEntries((await containers()).map((c) => [c.service, c.id]));
    const { log, code, stderr } = await recorded(['restart', 'db']);
    expect(code, stderr).toBe(0);
    const dbStart = log.first('db', 'start');
    const dbHealthy = healthyAfter(log, 'db', dbStart);
    const appStart = log.first('app', 'start');
    expect(appStart, log.describe()).toBeGreaterThan(dbHealthy);
    // app went down before db did: its dependency is never pulled from under it.
    expect(log.first('app', 'stop')).toBeLessThan(log.first('db', 'kill'));
    expect(touched(log, 'side')).toEqual([]);
    // Restarted in place, not replaced.
    expect(Object.fromEntries((await containers()).map((c) => [c.service, c.id]))).toEqual(before);
  });

  it('restart --no-deps db leaves app running', async () => {
    const { log, code, stderr } = await recorded(['restart', '--no-deps', 'db']);
    expect(code, stderr).toBe(0);
    expect(touched(log, 'db').map((e) => e.action)).toContain('start');
    expect(touched(log, 'app')).toEqual([]);
  });

  it('stop stops only the named services, as Compose does', async () => {
    const { code, stderr } = await recorded(['stop', 'side']);
    expect(code, stderr).toBe(0);
    expect(await state('side')).toBe('exited');
    expect(await state('db')).toBe('running');
    expect(await state('app')).toBe('running');
  });

  it('stop stops dependents before their dependencies; start brings them back gated on health', async () => {
    const stopped = await recorded(['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    for (const s of ['db', 'app', 'store', 'fixed']) expect(await state(s), s).toBe('exited');
    expect(stopped.log.first('app', 'stop'), stopped.log.describe()).toBeLessThan(stopped.log.first('db', 'kill'));

    const started = await recorded(['start']);
    expect(started.code, started.stderr).toBe(0);
    for (const s of ['db', 'app', 'side', 'store', 'fixed']) expect(await state(s), s).toBe('running');
    const dbHealthy = healthyAfter(started.log, 'db', started.log.first('db', 'start'));
    expect(started.log.first('app', 'start'), started.log.describe()).toBeGreaterThan(dbHealthy);
    expect(started.log.first('side', 'start'), started.log.describe()).toBeGreaterThan(dbHealthy);
  });

  it('start with everything running does nothing', async () => {
    const { log, code, stderr } = await recorded(['start']);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('Nothing to do');
    expect(lifecycle(log).filter((e) => e.action === 'start')).toEqual([]);
  });

  it('pause and unpause', async () => {
    let r = await tug(['pause', 'app'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await state('app')).toBe('paused');
    expect((await inspect((await containers('app'))[0]!.id)).State.Paused).toBe(true);
    r = await tug(['unpause', 'app'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await state('app')).toBe('running');
  });

  it('kill -s SIGKILL leaves exit code 137', async () => {
    const r = await tug(['kill', '-s', 'SIGKILL', 'side'], dir);
    expect(r.code, r.stderr).toBe(0);
    const details = await inspect((await containers('side'))[0]!.id);
    expect(details.State.Status).toBe('exited');
    expect(details.State.ExitCode).toBe(137);
  });

  it('scale 1 → 3 → 1 numbers replicas after the highest and removes the highest; 0 → 1 keeps the named volume', async () => {
    const names = async () => (await containers('store')).map((c) => c.name);
    let r = await tug(['scale', 'store=3'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await names()).toEqual([1, 2, 3].map((n) => `${project}-store-${n}`));

    r = await tug(['scale', 'store=1'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await names()).toEqual([`${project}-store-1`]);

    const marker = rand();
    await dockerExec((await containers('store'))[0]!.id, `echo ${marker} > /data/f`);
    r = await tug(['scale', 'store=0'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await names()).toEqual([]);
    expect(r.stderr).toContain('named volumes are kept');
    expect((await listVolumes(engine, { project })).map((v) => v.name)).toContain(`${project}_data`);
    // Still the project's service: `ps -a` shows it, without containers.
    const ps = await tug(['ps', '-a', 'store'], dir);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/^-\s+store\s+none\s+no containers$/m);

    r = await tug(['scale', 'store=1'], dir);
    expect(r.code, r.stderr).toBe(0);
    const [store] = await containers('store');
    expect(store!.name).toBe(`${project}-store-1`);
    expect((await dockerExec(store!.id, 'cat /data/f')).trim()).toBe(marker);
  });

  it('scale of a service with container_name refuses before touching anything', async () => {
    const before = await containers();
    const r = await tug(['scale', 'fixed=2'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot scale service "fixed" to 2`);
    expect(r.stderr).toContain('container_name');
    expect((await containers()).map((c) => c.id)).toEqual(before.map((c) => c.id));
  });

  it('rm without -f and without a terminal refuses and says what it would remove', async () => {
    const side = (await containers('side'))[0]!;
    expect(side.state).toBe('exited');
    const r = await tug(['rm', 'side'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Going to remove ${side.name}`);
    expect(r.stderr).toContain('without confirmation: stdin is not a terminal');
    expect(r.stderr).toContain('pass -f');
    expect((await containers('side')).map((c) => c.id)).toEqual([side.id]);
  });

  it('rm -s -f stops and removes running containers; rm -f removes a stopped one', async () => {
    let r = await tug(['rm', '-s', '-f', 'app'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await containers('app')).toEqual([]);
    r = await tug(['rm', '-f', 'side'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await containers('side')).toEqual([]);
    expect(await state('db')).toBe('running');
  });
});
