/**
 * The engine-side defences, on the fake engine: create-or-adopt when two `up`s race without a
 * shared lock; anonymous volumes labelled, and removed by scale-down, `rm -v` and `down -v`;
 * the engine's refusals (a port or a name taken, a leftover task, a network with endpoints)
 * as tug errors with their own codes, exit 5 and a hint that names what is in the way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EngineApiError } from '../../src/engine/api-error.js';
import { ExitCode, TugError } from '../../src/errors.js';
import { LABEL } from '../../src/labels.js';
import { configHash } from '../../src/run/compile.js';
import { down } from '../../src/run/down.js';
import { planRm, rm, start } from '../../src/run/lifecycle.js';
import { up } from '../../src/run/up.js';
import type { Project, Service } from '../../src/stack/model.js';
import { apiError, composeContainer, FakeEngine } from '../fake-engine.js';
import { makeService } from '../support.js';

const fakes: FakeEngine[] = [];
function engine(...args: ConstructorParameters<typeof FakeEngine>): FakeEngine {
  const f = new FakeEngine(...args);
  fakes.push(f);
  return f;
}
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
});

function project(services: Service[], extra: Partial<Project> = {}): Project {
  return {
    name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'], disabled_services: {},
    networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    ...extra,
  };
}

const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'busybox', ...extra });

async function failure(p: Promise<unknown>): Promise<TugError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TugError);
  return err as TugError;
}

/** The stack the racers bring up: two networks (one joined after create below API 1.44), a named volume, three services. */
function racingStack(): Project {
  return project([
    svc('db', { volumes: [{ type: 'volume', source: 'data', target: '/data' }, { type: 'volume', target: '/cache' }], networks: { default: null, back: null } }),
    svc('api', { depends_on: { db: { condition: 'service_started', required: true, restart: false } }, networks: { default: null, back: null } }),
    svc('web', { depends_on: { api: { condition: 'service_started', required: true, restart: false } } }),
  ], { networks: { default: { name: 'p_default' }, back: { name: 'p_back' } }, volumes: { data: { name: 'p_data' } } });
}

describe('two ups without a lock converge (create-or-adopt)', () => {
  it('both succeed: one network of each name, one volume, one container per service, started', async () => {
    const fake = engine({ images: ['busybox'] });
    // Each create waits a little, so both runs plan against an empty engine and then collide.
    fake.delay('networks.create', 5);
    fake.delay('containers.create', 5);
    const p = racingStack();
    const results = await Promise.allSettled([up(fake, p, {}), up(fake, p, {})]);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
    expect(fake.containerNames()).toEqual(['p-api-1', 'p-db-1', 'p-web-1']);
    for (const n of ['p_default', 'p_back']) expect((await fake.outside.networks.list({ name: n })).length).toBe(1);
    expect((await fake.outside.volumes.list({ name: 'p_data' })).length).toBe(1);
    // Both really tried: the collisions happened and were adopted, not avoided.
    expect(fake.callsTo('networks.create').length).toBe(4);
    expect(fake.callsTo('containers.create').length).toBe(6);
    for (const c of await fake.outside.containers.list({ labels: [`${LABEL.project}=p`] })) {
      expect(c.state).toBe('running');
      expect((await fake.outside.containers.inspect(c.id)).state).toBe('running');
    }
    // The container joined after create is on both networks once, whoever connected it.
    const db = fake.container('p-db-1')!;
    expect(db.mounts.filter((m) => m.destination === '/cache')).toHaveLength(1);
  });

  it('two recreates of one replica at once converge on one replacement', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = project([svc('web', { volumes: [{ type: 'volume', target: '/scratch' }] })]);
    await up(fake, p, {});
    const anon = fake.container('p-web-1')!.mounts[0]!.name;
    fake.delay('containers.create', 5);
    const results = await Promise.allSettled([up(fake, p, { forceRecreate: true }), up(fake, p, { forceRecreate: true })]);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
    expect(fake.containerNames()).toEqual(['p-web-1']);
    expect(fake.container('p-web-1')?.state).toBe('running');
    expect(fake.container('p-web-1')!.mounts[0]!.name).toBe(anon);
  });

  it('a network of the name that is not the project\'s is never adopted: network_conflict, exit 5, naming it', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.addNetwork('p_default', { owner: 'someone' });
    const err = await failure(up(fake, project([svc('web')]), {}));
    expect(err.code).toBe('network_conflict');
    expect(err.exitCode).toBe(ExitCode.serviceFailed);
    expect(err.message).toContain('p_default');
    expect(err.hint).toMatch(/external: true/);
    expect(fake.containerNames()).toEqual([]);
  });

  it('a volume of the name that is not the project\'s is never used behind the user\'s back: volume_conflict', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.addVolume('p_data', { owner: 'someone' });
    const p = project([svc('web', { volumes: [{ type: 'volume', source: 'data', target: '/data' }] })], { volumes: { data: { name: 'p_data' } } });
    const err = await failure(up(fake, p, {}));
    expect(err.code).toBe('volume_conflict');
    expect(err.exitCode).toBe(ExitCode.serviceFailed);
    expect(err.hint).toMatch(/external: true/);
  });

  it('the project\'s volume made meanwhile by another command is adopted', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = project([svc('web', { volumes: [{ type: 'volume', source: 'data', target: '/data' }] })], { volumes: { data: { name: 'p_data' } } });
    // Made between planning (which saw none) and the create.
    fake.before('volumes.inspect', () => fake.addVolume('p_data', { [LABEL.project]: 'p', [LABEL.volume]: 'data' }), { times: 1 });
    await up(fake, p, {});
    expect(fake.container('p-web-1')?.state).toBe('running');
  });

  it('a name held by this replica made from another configuration, or by a foreign container, is a name_conflict naming it', async () => {
    const fake = engine({ images: ['busybox'] });
    const web = svc('web');
    // Created meanwhile (after planning) with another config hash.
    fake.before('containers.create', () => void fake.addContainer(composeContainer('p', 'web', 1, { configHash: 'other' })), { times: 1 });
    const err = await failure(up(fake, project([web]), {}));
    expect(err.code).toBe('name_conflict');
    expect(err.exitCode).toBe(ExitCode.serviceFailed);
    expect(err.message).toMatch(/p-web-1 .*project p, service web, made from another configuration/);

    const fake2 = engine({ images: ['busybox'] });
    fake2.before('containers.create', () => void fake2.addContainer({ name: 'p-web-1', image: 'busybox' }), { times: 1 });
    const err2 = await failure(up(fake2, project([web]), {}));
    expect(err2.code).toBe('name_conflict');
    expect(err2.message).toMatch(/which tug did not make/);
    expect(err2.hint).toContain('docker rm -f p-web-1');
  });

  it('the same replica made meanwhile with the same configuration is adopted and started once', async () => {
    const fake = engine({ images: ['busybox'] });
    const web = svc('web');
    fake.before('containers.create', () => void fake.addContainer(composeContainer('p', 'web', 1, { configHash: configHash(web), state: 'created' })), { times: 1 });
    const events: string[] = [];
    await up(fake, project([web]), { onProgress: (e) => void (e.state === 'done' && e.message && events.push(e.message)) });
    expect(fake.container('p-web-1')?.state).toBe('running');
    expect(events.some((m) => /adopted/.test(m))).toBe(true);
  });
});

describe('anonymous volumes are labelled and do not leak', () => {
  const stack = () => project([svc('web', { volumes: [{ type: 'volume', source: 'data', target: '/data' }, { type: 'volume', target: '/scratch' }] })],
    { volumes: { data: { name: 'p_data' } } });
  const anonymous = async (fake: FakeEngine) => (await fake.outside.volumes.list({ labels: [`${LABEL.project}=p`] }))
    .filter((v) => v.labels[LABEL.volume] === undefined).map((v) => v.name).sort();

  it('each carries the project and the service; a scale-down removes the removed replicas\' own, even carried over by a recreate', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = stack();
    await up(fake, p, { scale: { web: 3 } });
    const three = await anonymous(fake);
    expect(three).toHaveLength(3);
    for (const name of three) {
      expect((await fake.outside.volumes.inspect(name))?.labels).toMatchObject({ [LABEL.project]: 'p', [LABEL.service]: 'web' });
    }
    // A recreate carries each replica's anonymous volume over, mounted by name.
    await up(fake, p, { scale: { web: 3 }, forceRecreate: true });
    expect(await anonymous(fake)).toEqual(three);
    await up(fake, p, { scale: { web: 1 } });
    const kept = fake.container('p-web-1')!.mounts.find((m) => m.destination === '/scratch')!.name!;
    expect(await anonymous(fake)).toEqual([kept]);
    // The named volume is never touched.
    expect(await fake.outside.volumes.inspect('p_data')).toBeDefined();
  });

  it('rm -v removes the anonymous volumes, also one mounted by name, and says which; never a named one', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = stack();
    await up(fake, p, {});
    await up(fake, p, { forceRecreate: true });
    const anon = await anonymous(fake);
    expect(anon).toHaveLength(1);
    await fake.outside.containers.stop('p-web-1');
    const r = await rm(fake, p, await planRm(fake, p, {}), { volumes: true });
    expect(r.volumes).toEqual(anon);
    expect(await anonymous(fake)).toEqual([]);
    expect(await fake.outside.volumes.inspect('p_data')).toBeDefined();
  });

  it('down -v removes every volume labelled as the project\'s, and reports them all', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = stack();
    await up(fake, p, {});
    await up(fake, p, { forceRecreate: true });
    fake.addVolume('other_data', { [LABEL.project]: 'other' });
    fake.addVolume('mine-by-hand', {});
    const anon = await anonymous(fake);
    const r = await down(fake, 'p', p, { volumes: true });
    expect(r.removedVolumes.sort()).toEqual([...anon, 'p_data'].sort());
    expect(await fake.outside.volumes.list({ labels: [`${LABEL.project}=p`] })).toEqual([]);
    expect((await fake.outside.volumes.list({})).map((v) => v.name).sort()).toEqual(['mine-by-hand', 'other_data']);
  });
});

describe('engine refusals are tug errors with their own codes (exit 5) and hints', () => {
  it('classifies by status and message in one place', () => {
    const cases: [number, string, string][] = [
      [500, 'driver failed programming external connectivity on endpoint x (abc): Bind for 0.0.0.0:8080 failed: port is already allocated', 'port_allocated'],
      [500, 'Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use', 'port_allocated'],
      [409, 'Conflict. The container name "/p-web-1" is already in use by container "0123456789abcdef". You have to remove (or rename) that container to be able to reuse that name.', 'name_conflict'],
      [400, 'network p_default is ambiguous (2 matches found on name)', 'network_ambiguous'],
      [400, '3 matches found based on name: network p_default is ambiguous', 'network_ambiguous'],
      [500, 'task 0123456789abcdef0123: already exists', 'task_exists'],
      [500, 'container "0123456789abcdef0123456789abcdef": already exists', 'task_exists'],
      [403, 'error while removing network: network p_default id 0123 has active endpoints', 'network_in_use'],
    ];
    for (const [status, message, code] of cases) {
      const e = new EngineApiError(`starting container x: ${message}`, status);
      expect([e.code, e.exitCode, Boolean(e.hint)], message).toEqual([code, ExitCode.serviceFailed, true]);
    }
    // Anything else is still the engine's error, exit 1.
    const other = new EngineApiError('creating container x: something else', 500);
    expect([other.code, other.exitCode]).toEqual(['engine_error', ExitCode.internal]);
  });

  it('a network name found ambiguous while a racer removes its twin is retried; one that stays is network_ambiguous', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.failNext('containers.start', apiError(400, 'network p_default is ambiguous (2 matches found on name)'), { times: 2 });
    await up(fake, project([svc('web')]), {});
    expect(fake.container('p-web-1')?.state).toBe('running');

    const stuck = engine({ images: ['busybox'] });
    stuck.failNext('containers.start', apiError(400, 'network p_default is ambiguous (2 matches found on name)'), { times: 100 });
    const err = await failure(up(stuck, project([svc('web')]), {}));
    expect(err.code).toBe('network_ambiguous');
    expect(err.exitCode).toBe(ExitCode.serviceFailed);
    expect(err.hint).toMatch(/docker network rm/);
  }, 10_000);

  it('a port already allocated names the container that publishes it', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.addContainer({ name: 'squatter', body: { Image: 'busybox', ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } } });
    fake.failNext('containers.start', apiError(500, 'driver failed programming external connectivity on endpoint p-web-1 (ab): Bind for 0.0.0.0:8080 failed: port is already allocated', 'starting container p-web-1'));
    const err = await failure(up(fake, project([svc('web')]), {}));
    expect(err.code).toBe('port_allocated');
    expect(err.exitCode).toBe(ExitCode.serviceFailed);
    expect(err.hint).toMatch(/host port 8080 is published by squatter/);
  });

  it('a port held by no container says it is another process on the host', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.failNext('containers.start', apiError(500, 'Error starting userland proxy: listen tcp4 0.0.0.0:9090: bind: address already in use'));
    const err = await failure(up(fake, project([svc('web')]), {}));
    expect(err.code).toBe('port_allocated');
    expect(err.hint).toMatch(/no container publishes host port 9090: another process/);
  });

  it('"task already exists" (a task that outlived a killed engine) is retried, and the start goes through', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.addContainer(composeContainer('p', 'web', 1, { configHash: configHash(svc('web')), state: 'exited' }));
    fake.failNext('containers.start', apiError(500, 'task 0123456789abcdef: already exists'), { times: 2 });
    await start(fake, project([svc('web')]), {});
    expect(fake.callsTo('containers.start')).toHaveLength(3);
    expect(fake.container('p-web-1')?.state).toBe('running');
  });

  it('one that does not go away ends with task_exists, exit 5, and how to clean up', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.failNext('containers.start', apiError(500, 'container "0123456789abcdef": already exists'), { times: 10 });
    const err = await failure(up(fake, project([svc('web')]), {}));
    expect(err.code).toBe('task_exists');
    expect(err.exitCode).toBe(ExitCode.serviceFailed);
    expect(err.hint).toMatch(/docker rm -f/);
    expect(fake.callsTo('containers.start')).toHaveLength(4);
  }, 10_000);

  it('down disconnects the project\'s own containers from a network it removes (an orphan left running)', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = project([svc('web')]);
    await up(fake, p, {});
    const net = (await fake.outside.networks.list({ name: 'p_default' }))[0]!;
    fake.addContainer(composeContainer('p', 'gone', 1, { body: { Image: 'busybox', HostConfig: { NetworkMode: 'p_default' } } }));
    const r = await down(fake, 'p', p, {});
    expect(r.removedNetworks).toEqual(['p_default']);
    expect(fake.callsTo('networks.disconnect').map((c) => [c.args[0], c.target])).toEqual([[net.id, 'p_default']]);
    // The orphan itself is left (no --remove-orphans), running, off the network.
    expect(fake.container('p-gone-1')?.state).toBe('running');
  });

  it('a foreign container on the project\'s network is never disconnected: down says what is left and why, exit 5', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = project([svc('web')]);
    await up(fake, p, {});
    fake.addContainer({ name: 'visitor', image: 'busybox', body: { Image: 'busybox', HostConfig: { NetworkMode: 'p_default' } } });
    const err = await failure(down(fake, 'p', p, { volumes: true }));
    expect(err.code).toBe('network_in_use');
    expect(err.exitCode).toBe(ExitCode.serviceFailed);
    expect(err.message).toMatch(/network p_default: still attached: visitor \([0-9a-f]{12}\), not of project p/);
    expect(err.hint).toContain('docker network disconnect p_default visitor');
    expect(fake.callsTo('networks.disconnect')).toEqual([]);
    expect(fake.container('visitor')?.state).toBe('running');
    // Everything else went.
    expect(fake.containerNames()).toEqual(['visitor']);
  });

  it('an endpoint the engine still counts with no container attached is reported as the engine\'s fault, with the fix', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = project([svc('web')]);
    await up(fake, p, {});
    fake.failNext('networks.remove', apiError(403, 'error while removing network: network p_default id 0123 has active endpoints'), { times: 100 });
    const err = await failure(down(fake, 'p', p, {}));
    expect(err.code).toBe('network_in_use');
    expect(err.message).toContain('network p_default: the engine says it has active endpoints, yet no container is attached to it');
    expect(err.hint).toMatch(/restart the Docker engine/);
    expect(fake.containerNames()).toEqual([]);
  });
});
