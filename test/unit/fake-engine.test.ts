/**
 * The fake engine against what the real engine does, so that tests written on it keep
 * meaning something: filters, name conflicts, the state machine's answers, event timing and
 * order, health, and enough of all of it to run tug's own up and down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EngineApiError } from '../../src/engine/api-error.js';
import type { EngineEvent } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { down } from '../../src/run/down.js';
import { restart } from '../../src/run/lifecycle.js';
import { up } from '../../src/run/up.js';
import type { Project } from '../../src/stack/model.js';
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

/** Reads a subscription into an array until `count` events came (or `ms` passed). */
async function collect(events: AsyncIterable<EngineEvent>, count: number, ms = 500): Promise<EngineEvent[]> {
  const out: EngineEvent[] = [];
  const it = events[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  while (out.length < count) {
    const next = await Promise.race([it.next(), new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(0, deadline - Date.now())))]);
    if (!next || next.done) break;
    out.push(next.value);
  }
  return out;
}

const actions = (events: EngineEvent[]) => events.map((e) => e.action);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fake engine: containers', () => {
  it('filters listings by key=value and bare key labels, running only unless all', async () => {
    const fake = engine();
    fake.addContainer(composeContainer('p', 'web', 1));
    fake.addContainer(composeContainer('p', 'web', 2, { state: 'exited', exitCode: 1 }));
    fake.addContainer(composeContainer('q', 'web', 1));
    fake.addContainer({ name: 'loose', labels: { other: 'x' } });
    const names = async (filter: Parameters<FakeEngine['containers']['list']>[0]) => (await fake.containers.list(filter)).map((c) => c.name).sort();
    expect(await names({ labels: [`${LABEL.project}=p`] })).toEqual(['p-web-1']);
    expect(await names({ all: true, labels: [`${LABEL.project}=p`, `${LABEL.service}=web`] })).toEqual(['p-web-1', 'p-web-2']);
    expect(await names({ all: true, labels: [LABEL.project] })).toEqual(['p-web-1', 'p-web-2', 'q-web-1']);
    expect(await names({ all: true, labels: ['other'] })).toEqual(['loose']);
    expect(await names({ all: true, labels: ['other=y'] })).toEqual([]);
    const stopped = (await fake.containers.list({ all: true, labels: [`${LABEL.number}=2`] }))[0]!;
    expect(stopped).toMatchObject({ state: 'exited', health: 'none' });
    expect(stopped.status).toMatch(/^Exited \(1\) /);
  });

  it('refuses a taken name with 409, as the engine words it; a rename frees the old name', async () => {
    const fake = engine({ images: ['busybox'] });
    const id = await fake.containers.create('app', { Image: 'busybox' });
    const err = await fake.containers.create('app', { Image: 'busybox' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineApiError);
    expect(err).toMatchObject({ status: 409 });
    expect((err as Error).message).toBe(`creating container app: Conflict. The container name "/app" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const other = await fake.containers.create('other', { Image: 'busybox' });
    await expect(fake.containers.rename(other, 'app')).rejects.toMatchObject({ status: 409 });
    await fake.containers.rename(id, 'app-old');
    await expect(fake.containers.create('app', { Image: 'busybox' })).resolves.toMatch(/^[0-9a-f]{64}$/);
    await expect(fake.containers.create('x1', { Image: 'nope:1' })).rejects.toMatchObject({ status: 404, message: 'creating container x1: No such image: nope:1' });
    // The engine's name rule: two characters at least, no spaces.
    await expect(fake.containers.create('x', { Image: 'busybox' })).rejects.toMatchObject({ status: 400 });
    await expect(fake.containers.create('a b', { Image: 'busybox' })).rejects.toMatchObject({ status: 400 });
  });

  it('answers like the engine: 404 for a missing container, a no-op start of a running one and stop of a stopped one', async () => {
    const fake = engine({ images: ['busybox'] });
    await expect(fake.containers.inspect('nope')).rejects.toMatchObject({ status: 404, message: 'inspecting container nope: No such container: nope' });
    const id = await fake.containers.create('c1', { Image: 'busybox' });
    expect(fake.container(id)).toMatchObject({ state: 'created', status: 'Created', health: 'none' });
    await fake.containers.stop(id);
    await fake.containers.start(id);
    await fake.containers.start(id);
    await expect(fake.containers.remove(id)).rejects.toMatchObject({ status: 409 });
    await expect(fake.containers.unpause(id)).rejects.toMatchObject({ status: 409 });
    await fake.containers.stop(id);
    await fake.containers.stop(id);
    await expect(fake.containers.kill(id)).rejects.toMatchObject({ status: 409 });
    await fake.flushEvents();
    expect(fake.emitted.filter((e) => e.event.type === 'container').map((e) => e.event.action)).toEqual(['create', 'start', 'kill', 'die', 'stop']);
    expect(fake.container(id)).toMatchObject({ state: 'exited', exitCode: 143 });
    await fake.containers.remove(id);
    expect(fake.container(id)).toBeUndefined();
  });

  it('commands: run forever, exit on their own, fail to start, ignore the stop signal; wait and restart policies', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.onContainer('job', { exit: { code: 3, afterMs: 5 } });
    fake.onContainer('broken', { startError: 'exec: "nope": executable file not found in $PATH' });
    fake.onContainer('stubborn', { signals: { SIGTERM: 'ignore' } });
    fake.onContainer('flaky', { exit: { code: 1, afterMs: 5 } });
    const job = await fake.containers.create('job', { Image: 'busybox' });
    const broken = await fake.containers.create('broken', { Image: 'busybox' });
    const stubborn = await fake.containers.create('stubborn', { Image: 'busybox', StopTimeout: 5 });
    const flaky = await fake.containers.create('flaky', { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await fake.containers.start(job);
    expect(await fake.containers.wait(job)).toBe(3);
    expect(fake.container(job)).toMatchObject({ state: 'exited', exitCode: 3 });
    await expect(fake.containers.start(broken)).rejects.toMatchObject({ status: 400 });
    expect(fake.container(broken)).toMatchObject({ state: 'created', exitCode: 127, error: 'exec: "nope": executable file not found in $PATH' });
    await fake.containers.start(stubborn);
    await fake.containers.stop(stubborn);
    expect(fake.container(stubborn)).toMatchObject({ state: 'exited', exitCode: 137 });
    await fake.containers.start(flaky);
    // Restarted twice (MaximumRetryCount), then left exited.
    for (const deadline = Date.now() + 2000; fake.emitted.filter((e) => e.event.id === flaky && e.event.action === 'die').length < 3;) {
      if (Date.now() > deadline) throw new Error('the flaky container did not die three times');
      await sleep(5);
    }
    await sleep(20);
    expect(fake.container(flaky)).toMatchObject({ state: 'exited', exitCode: 1 });
    const flakyEvents = fake.emitted.filter((e) => e.event.id === flaky).map((e) => e.event.action);
    expect(flakyEvents).toEqual(['create', 'start', 'die', 'start', 'die', 'start', 'die']);
    await fake.flushEvents();
    expect(fake.emitted.filter((e) => e.event.id === stubborn && e.event.action === 'kill').map((e) => e.event.attributes.signal)).toEqual(['15', '9']);
  });

  it('keeps logs with times: tail, since/until, follow until the container stops', async () => {
    const fake = engine();
    const id = fake.addContainer({ name: 'c1', logs: ['one', { stream: 'stderr', text: 'two' }] });
    const read = async (opts: Parameters<FakeEngine['containers']['logs']>[1]) => {
      const out: string[] = [];
      for await (const l of fake.containers.logs(id, opts)) out.push(`${l.stream}:${l.text}${l.time ? `@${l.time}` : ''}`);
      return out;
    };
    expect(await read({})).toEqual(['stdout:one', 'stderr:two']);
    expect(await read({ tail: 1 })).toEqual(['stderr:two']);
    expect(await read({ since: '1m', until: '1m' })).toEqual([]);
    expect((await read({ timestamps: true, tail: 1 }))[0]).toMatch(/^stderr:two@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const followed = read({ follow: true, tail: 0 });
    await sleep(5);
    fake.print(id, 'three');
    fake.kill(id, 0);
    expect(await followed).toEqual(['stdout:three']);
    await expect(read({})).resolves.toHaveLength(3);
    await expect(fake.containers.logs('nope', {})[Symbol.asyncIterator]().next()).rejects.toMatchObject({ status: 404 });
  });
});

describe('fake engine: events', () => {
  it('delivers only what happens after subscribing, with the labels, name and image as attributes', async () => {
    const fake = engine({ images: ['busybox'] });
    const early = await fake.containers.create('early', { Image: 'busybox', Labels: { a: '1' } });
    const ctl = new AbortController();
    const events = await fake.events.subscribe({ type: ['container'] }, ctl.signal);
    await fake.containers.start(early);
    fake.kill(early, 4);
    const got = await collect(events, 2);
    ctl.abort();
    expect(actions(got)).toEqual(['start', 'die']);
    expect(got[1]!.attributes).toEqual({ a: '1', name: 'early', image: 'busybox', exitCode: '4' });
  });

  it('keeps the stream in order when an event is held up, and filters by label and container', async () => {
    const fake = engine({ images: ['busybox'] });
    const a = await fake.containers.create('a1', { Image: 'busybox', Labels: { team: 'x' } });
    const b = await fake.containers.create('b1', { Image: 'busybox' });
    fake.delayEvents((e) => (e.action === 'start' && e.id === a ? 30 : 0));
    const ctl = new AbortController();
    const all = await fake.events.subscribe({}, ctl.signal);
    const team = await fake.events.subscribe({ labels: ['team=x'] }, ctl.signal);
    const onlyB = await fake.events.subscribe({ containers: ['b1'] }, ctl.signal);
    const t0 = Date.now();
    await fake.containers.start(a);
    await fake.containers.start(b);
    const got = await collect(all, 4);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(got.filter((e) => e.type === 'container').map((e) => `${e.action} ${e.attributes.name}`)).toEqual(['start a1', 'start b1']);
    expect(actions(await collect(team, 1))).toEqual(['start']);
    expect((await collect(onlyB, 1)).map((e) => e.attributes.name)).toEqual(['b1']);
    ctl.abort();
  });

  it('is asynchronous: nothing arrives during the call that caused it; a dropped event never arrives', async () => {
    const fake = engine({ images: ['busybox'] });
    const id = await fake.containers.create('c1', { Image: 'busybox' });
    const ctl = new AbortController();
    const events = await fake.events.subscribe({ type: ['container'] }, ctl.signal);
    fake.dropEvents((e) => e.action === 'start');
    await fake.containers.start(id);
    expect(fake.delivered).toHaveLength(0);
    fake.kill(id, 0);
    expect(actions(await collect(events, 1))).toEqual(['die']);
    expect(fake.emitted.filter((e) => e.dropped).map((e) => e.event.action)).toEqual(['start']);
    ctl.abort();
  });

  it('ends a stream on abort, and fails it when the engine goes away', async () => {
    const fake = engine();
    const ctl = new AbortController();
    const events = await fake.events.subscribe({}, ctl.signal);
    const reading = collect(events, 1);
    ctl.abort();
    await expect(reading).resolves.toEqual([]);
    const broken = await fake.events.subscribe({}, new AbortController().signal);
    fake.breakEvents(new Error('engine went away'));
    await expect(collect(broken, 1)).rejects.toThrow('engine went away');
  });
});

describe('fake engine: health', () => {
  it('a container with a healthcheck is starting on start, then healthy, unhealthy or left to the test', async () => {
    const fake = engine({ images: [{ ref: 'pg', config: { Healthcheck: { Test: ['CMD', 'pg_isready'] } } }, 'busybox'] });
    fake.onContainer('sick', { health: { status: 'unhealthy', afterMs: 5, output: 'no route' } });
    fake.onContainer('slow', { health: 'never' });
    const ctl = new AbortController();
    const events = await fake.events.subscribe({ type: ['container'] }, ctl.signal);
    const ok = await fake.containers.create('ok', { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'] } });
    const sick = await fake.containers.create('sick', { Image: 'pg' }); // the image's healthcheck
    const slow = await fake.containers.create('slow', { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'] } });
    const none = await fake.containers.create('none', { Image: 'busybox', Healthcheck: { Test: ['NONE'] } });
    for (const id of [ok, sick, slow, none]) await fake.containers.start(id);
    expect(fake.container(ok)).toMatchObject({ health: 'starting', status: 'Up (health: starting)' });
    expect(fake.container(none)).toMatchObject({ health: 'none' });
    const got = await collect(events, 10, 100);
    expect(got.filter((e) => e.action.startsWith('health_status')).map((e) => `${e.attributes.name} ${e.action}`).sort())
      .toEqual(['ok health_status: healthy', 'sick health_status: unhealthy']);
    expect(fake.container(sick)!.healthLog.at(-1)).toMatchObject({ exitCode: 1, output: 'no route' });
    expect((await fake.containers.list({ labels: [] })).find((c) => c.id === ok)).toMatchObject({ health: 'healthy' });
    expect(fake.container(slow)).toMatchObject({ health: 'starting' });
    fake.setHealth(slow, 'healthy');
    expect(actions(await collect(events, 1))).toEqual(['health_status: healthy']);
    ctl.abort();
  });
});

describe('fake engine: processes', () => {
  it('exec answers the configured output and exit code, in a running container only', async () => {
    const fake = engine();
    const id = fake.addContainer({ name: 'app1' });
    const stopped = fake.addContainer({ name: 'app2', state: 'exited' });
    fake.onExec('sh -c exit 3', { stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    fake.onExec(/^cat/, (run) => ({ stdout: run.stdin.toUpperCase() }), { readsStdin: true });
    const s = await fake.exec.start(id, { cmd: ['sh', '-c', 'exit 3'], tty: false, stdin: false });
    const read = async (r: NodeJS.ReadableStream) => {
      let t = '';
      for await (const c of r) t += String(c);
      return t;
    };
    expect(await Promise.all([read(s.stdout), read(s.stderr), s.wait()])).toEqual(['out\n', 'err\n', 3]);
    const cat = await fake.exec.start(id, { cmd: ['cat'], tty: true, stdin: true });
    cat.stdin!.end('hello');
    expect(await Promise.all([read(cat.stdout), cat.wait()])).toEqual(['HELLO', 0]);
    await expect(fake.exec.start(stopped, { cmd: ['true'], tty: false, stdin: false })).rejects.toMatchObject({ status: 409 });
    expect(fake.sessions.map((x) => [x.cmd.join(' '), x.stdin, x.exitCode])).toEqual([['sh -c exit 3', '', 3], ['cat', 'hello', 0]]);
    await fake.flushEvents();
    expect(fake.emitted.filter((e) => e.event.action === 'exec_die').map((e) => e.event.attributes.exitCode)).toEqual(['3', '0']);
  });

  it('attach before start sees all of the container\'s output and waits for its exit code', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.onContainer('job1', { output: ['hello', { stream: 'stderr', text: 'oops' }], exit: { code: 2, afterMs: 5 } });
    const id = await fake.containers.create('job1', { Image: 'busybox' });
    const s = await fake.exec.attach(id, { stdin: false, tty: false });
    let out = '';
    let err = '';
    s.stdout.on('data', (c: Buffer) => (out += String(c)));
    s.stderr.on('data', (c: Buffer) => (err += String(c)));
    await fake.containers.start(id);
    expect(await s.wait()).toBe(2);
    expect([out, err]).toEqual(['hello\n', 'oops\n']);
  });

  it('pause and unpause, and a remove that takes a while shows the container as removing', async () => {
    const fake = engine();
    fake.onContainer('slow1', { removeMs: 100 });
    const id = fake.addContainer({ name: 'slow1' });
    await fake.containers.pause(id);
    await expect(fake.containers.pause(id)).rejects.toMatchObject({ status: 409 });
    expect((await fake.containers.list({}))[0]).toMatchObject({ state: 'paused', status: 'Up Less than a second (Paused)' });
    await fake.containers.unpause(id);
    await fake.containers.stop(id);
    const removing = fake.containers.remove(id);
    await sleep(5);
    expect(fake.container(id)).toMatchObject({ state: 'removing' });
    await expect(fake.containers.remove(id)).rejects.toMatchObject({ status: 409 });
    await removing;
    expect(fake.container(id)).toBeUndefined();
    // The test's own calls through `outside` are not in the log.
    await fake.outside.containers.list({ all: true });
    expect(fake.calls.map((c) => c.method)).toEqual([
      'containers.pause', 'containers.pause', 'containers.list', 'containers.unpause', 'containers.stop', 'containers.remove', 'containers.remove',
    ]);
    await fake.flushEvents();
    expect(fake.emitted.map((e) => `${e.event.type} ${e.event.action}`)).toEqual([
      'container pause', 'container unpause', 'container kill', 'network disconnect', 'container die', 'container stop', 'container destroy',
    ]);
  });
});

describe('fake engine: networks, volumes, images', () => {
  it('refuses to remove a network with a running container on it; a stopped one then cannot start', async () => {
    const fake = engine({ images: ['busybox'] });
    const net = await fake.networks.create({ Name: 'p_default', Labels: { [LABEL.project]: 'p' } });
    await expect(fake.networks.create({ Name: 'p_default' })).rejects.toMatchObject({ status: 409 });
    await expect(fake.containers.create('c1', { Image: 'busybox', HostConfig: { NetworkMode: 'missing' } })).rejects.toMatchObject({ status: 404 });
    const id = await fake.containers.create('c1', { Image: 'busybox', HostConfig: { NetworkMode: 'p_default' } });
    await fake.containers.start(id);
    expect(await fake.networks.inspect('p_default')).toMatchObject({ id: net, containers: [id] });
    await expect(fake.networks.remove(net)).rejects.toMatchObject({ status: 403 });
    await fake.containers.stop(id);
    expect((await fake.networks.list({ labels: [`${LABEL.project}=p`] })).map((n) => n.name)).toEqual(['p_default']);
    await fake.networks.remove('p_default');
    await expect(fake.containers.start(id)).rejects.toMatchObject({ status: 404, message: `starting container ${id}: network p_default not found` });
    expect(await fake.networks.inspect('p_default')).toBeUndefined();
  });

  it('volumes: named ones made on demand, in-use ones kept, anonymous ones removed with the container', async () => {
    const fake = engine({ images: ['busybox'] });
    const id = await fake.containers.create('c1', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'volume', Source: 'data', Target: '/data' }, { Type: 'volume', Target: '/cache' }] } });
    const vols = (await fake.volumes.list({})).map((v) => v.name);
    expect(vols).toContain('data');
    expect(vols).toHaveLength(2);
    await expect(fake.volumes.remove('data')).rejects.toMatchObject({ status: 409 });
    expect(fake.container(id)!.mounts.map((m) => m.destination)).toEqual(['/data', '/cache']);
    await fake.containers.remove(id, { volumes: true });
    expect((await fake.volumes.list({})).map((v) => v.name)).toEqual(['data']);
    await fake.volumes.remove('data');
    await expect(fake.volumes.remove('data')).rejects.toMatchObject({ status: 404 });
  });

  it('images: present by reference, pulls that succeed or fail, builds, and no removal while a container uses one', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.onPull('private/app:*', { error: 'pull access denied for private/app' });
    expect(await fake.images.localId('docker.io/library/busybox:latest')).toBe(await fake.images.localId('busybox'));
    expect(await fake.images.localId('redis')).toBeUndefined();
    await fake.images.pull('redis:7');
    expect(await fake.images.localId('redis:7')).toMatch(/^sha256:/);
    await expect(fake.images.pull('private/app:1')).rejects.toMatchObject({ code: 'pull_failed', exitCode: 5, message: 'pulling private/app:1: pull access denied for private/app' });
    const lines: string[] = [];
    const built = await fake.images.build({ context: '/w/api', tags: ['p-api', 'p-api:v2'], onProgress: (l) => lines.push(l) });
    expect(await fake.images.localId('p-api:v2')).toBe(built);
    expect(lines.at(-1)).toMatch(/^Successfully built [0-9a-f]{12}$/);
    await fake.containers.create('c1', { Image: 'redis:7' });
    await expect(fake.images.remove('redis:7')).rejects.toMatchObject({ status: 409 });
    expect((await fake.images.list({ references: ['p-api'] })).map((i) => i.tags)).toEqual([['p-api:latest', 'p-api:v2']]);
  });
});

describe('fake engine: faults and the call log', () => {
  it('fails the next matching call, delays calls, runs hooks, and records every call with its target', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.failNext('containers.create', apiError(500, 'disk full'), { when: ({ args }) => args[0] === 'b1' });
    fake.delay('containers.start', 20);
    await fake.containers.create('a1', { Image: 'busybox' });
    await expect(fake.containers.create('b1', { Image: 'busybox' })).rejects.toThrow('disk full');
    await fake.containers.create('b1', { Image: 'busybox' });
    fake.before('containers.inspect', () => fake.outside.containers.remove('a1', { force: true }), { times: 1 });
    await expect(fake.containers.inspect('a1')).rejects.toMatchObject({ status: 404 });
    const t0 = Date.now();
    await fake.containers.start('b1');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    fake.failNext('containers.stop', apiError(500, 'lost the answer'), { after: true });
    await expect(fake.containers.stop('b1')).rejects.toThrow('lost the answer');
    expect(fake.container('b1')!.state).toBe('exited');
    expect(fake.calls.map((c) => `${c.method} ${c.target}`)).toEqual([
      'containers.create a1', 'containers.create b1', 'containers.create b1', 'containers.inspect a1', 'containers.start b1', 'containers.stop b1',
    ]);
    expect(fake.callsTo('containers.create').map((c) => c.args[1].Image)).toEqual(['busybox', 'busybox', 'busybox']);
  });
});

describe('fake engine drives tug', () => {
  const project: Project = {
    name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'], disabled_services: {},
    networks: { default: { name: 'p_default' } }, volumes: { data: { name: 'p_data' } }, configs: {}, secrets: {}, profiles: [],
    services: {
      db: makeService('db', { image: 'postgres:16', healthcheck: { test: ['CMD', 'pg_isready'] }, volumes: [{ type: 'volume', source: 'data', target: '/var/lib/postgresql/data' }] }),
      api: makeService('api', { image: 'busybox', scale: 2, depends_on: { db: { condition: 'service_healthy', required: true, restart: true } } }),
    },
  };

  it('up pulls, creates and starts in dependency order, gated on the health event; restart and down undo it', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.onContainer({ service: 'db' }, { health: { status: 'healthy', afterMs: 15 } });
    const result = await up(fake, project);
    expect(result.containers.api!.map((c) => c.name)).toEqual(['p-api-1', 'p-api-2']);
    expect(fake.containerNames()).toEqual(['p-api-1', 'p-api-2', 'p-db-1']);
    expect(fake.callsTo('images.pull').map((c) => c.args[0])).toEqual(['postgres:16']);
    const history = fake.history().map((h) => (h.kind === 'call' ? `${h.method} ${h.target ?? ''}` : `event ${h.event.action} ${h.event.attributes.name}`));
    const healthy = history.indexOf('event health_status: healthy p-db-1');
    expect(healthy).toBeGreaterThan(history.indexOf('containers.start p-db-1'));
    expect(healthy).toBeLessThan(history.indexOf('containers.start p-api-1'));
    expect((await fake.containers.list({ labels: [`${LABEL.project}=p`] })).every((c) => c.state === 'running')).toBe(true);

    // Nothing changed: a second up keeps everything.
    expect((await up(fake, project)).unchanged).toBe(true);

    const calls = fake.calls.length;
    const r = await restart(fake, project, { services: ['db'] });
    expect(r.services).toEqual(['db', 'api']);
    const restarted = fake.calls.slice(calls).filter((c) => c.method === 'containers.stop' || c.method === 'containers.start').map((c) => `${c.method} ${c.target}`);
    expect(restarted.slice(0, 3).sort()).toEqual(['containers.stop p-api-1', 'containers.stop p-api-2', 'containers.stop p-db-1'].sort());
    expect(restarted.at(2)).toBe('containers.stop p-db-1');

    const gone = await down(fake, 'p', project, { volumes: true });
    expect(gone.removedContainers.sort()).toEqual(['p-api-1', 'p-api-2', 'p-db-1']);
    expect(gone.removedNetworks).toEqual(['p_default']);
    expect(gone.removedVolumes).toEqual(['p_data']);
    expect(fake.containerNames()).toEqual([]);
  });

  it('up fails with the container\'s report when a dependency turns unhealthy, and starts nothing after it', async () => {
    const fake = engine({ images: ['busybox', 'postgres:16'] });
    fake.onContainer({ service: 'db' }, { health: { status: 'unhealthy', afterMs: 5, output: 'connection refused' }, output: ['FATAL: bad config'] });
    const err = await up(fake, project).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 5 });
    expect((err as Error).message).toMatch(/dependency "db" is unhealthy[\s\S]*connection refused[\s\S]*FATAL: bad config/);
    expect(fake.callsTo('containers.start').map((c) => c.target)).toEqual(['p-db-1']);
  });

  // up restarts a dependent that declared `restart: true` when its dependency is replaced; the
  // stop's `die` may come late and must not be taken for the new life's (it failed --wait with
  // "exited with code 143" until up waited for it, as the restart verb does).
  it('up --wait restarting a restart: true dependent survives the late die of its stop', async () => {
    const fake = engine({ images: ['busybox', 'postgres:16'] });
    const simple = (env: Record<string, string>): Project => ({
      ...project, volumes: {},
      services: {
        db: makeService('db', { image: 'postgres:16', environment: env }),
        api: makeService('api', { image: 'busybox', depends_on: { db: { condition: 'service_started', required: true, restart: true } } }),
      },
    });
    await up(fake, simple({ A: '1' }));
    fake.delayEvents(30);
    const r = await up(fake, simple({ A: '2' }), { wait: true, waitTimeoutSeconds: 5 });
    expect(r.plan.services.find((s) => s.service === 'api')!.replicas[0]!.kind).toBe('restart');
    expect(fake.callsTo('containers.stop').map((c) => c.target)).toContain('p-api-1');
  });

  it('a create that fails for one replica fails up and leaves the name free', async () => {
    const fake = engine({ images: ['busybox', 'postgres:16'] });
    fake.failNext('containers.create', apiError(500, 'no space left on device'), { when: ({ args }) => args[0] === 'p-api-2' });
    await expect(up(fake, project)).rejects.toThrow('no space left on device');
    expect(fake.containerNames()).not.toContain('p-api-2');
  });
});
