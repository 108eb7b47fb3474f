/**
 * UpRun's fault paths on the shared fake engine: what `up` leaves on the engine, and which
 * calls it made, when a create, a connect, a file copy or a removal fails, when it is
 * interrupted, when it scales down, when it finds orphans and when --wait runs out of time.
 * Every test asserts the engine's state afterwards, not only that `up` threw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { configHash } from '../../src/run/compile.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import { up } from '../../src/run/up.js';
import type { DependsOn, Project, Service } from '../../src/stack/model.js';
import { apiError, composeContainer, FakeEngine, type EngineMethod } from '../fake-engine.js';
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

const HC = { test: ['CMD', 'true'] };

function project(services: Service[], extra: Partial<Project> = {}): Project {
  return {
    name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'], disabled_services: {},
    networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    ...extra,
  };
}

function svc(name: string, extra: Partial<Service> = {}): Service {
  return makeService(name, { image: 'busybox', ...extra });
}

function needs(deps: Record<string, DependsOn['condition']>, restart = false): Record<string, DependsOn> {
  return Object.fromEntries(Object.entries(deps).map(([d, condition]) => [d, { condition, required: true, restart }]));
}

/** `method target` of the calls since `from` that change something, in order. */
function changes(fake: FakeEngine, from = 0): string[] {
  const read = new Set<EngineMethod>(['containers.list', 'containers.inspect', 'containers.logs', 'containers.wait']);
  return fake.calls.slice(from).filter((c) => c.method.startsWith('containers.') && !read.has(c.method)).map((c) => `${c.method.slice('containers.'.length)} ${c.target ?? ''}`);
}

/** Whether `container` had stopped (its `stop` event emitted) before the stop call of `next` was made. */
function stoppedBefore(fake: FakeEngine, container: string, next: string): boolean {
  const stopped = fake.emitted.find((e) => e.event.type === 'container' && e.event.action === 'stop' && e.event.attributes.name === container);
  const call = fake.callsTo('containers.stop').find((c) => c.target === next);
  return stopped !== undefined && call !== undefined && stopped.seq < call.seq;
}

/** Containers renamed aside by a replacement (`<id12>_<name>`). */
const aside = (fake: FakeEngine) => fake.containerNames().filter((n) => /^[0-9a-f]{12}_/.test(n));

/** Containers on the engine that do not carry the project's label. */
async function unlabelled(fake: FakeEngine): Promise<string[]> {
  return (await fake.outside.containers.list({ all: true })).filter((c) => c.labels[LABEL.project] !== 'p').map((c) => c.name);
}

const stateOf = (fake: FakeEngine, name: string) => fake.container(name)?.state;

async function until(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('UpRun: a replacement that cannot be made gives the old container its name back', () => {
  const v = (n: string) => project([svc('web', { environment: { V: n } })]);

  it('create of the replacement fails: old keeps its name and keeps running; the next up replaces it', async () => {
    const fake = engine({ images: ['busybox'] });
    await up(fake, v('1'));
    const old = fake.container('p-web-1')!;
    const from = fake.calls.length;
    fake.failNext('containers.create', apiError(500, 'no space left on device'), { when: ({ args }) => args[0] === 'p-web-1' });

    await expect(up(fake, v('2'))).rejects.toThrow('no space left on device');

    const tmp = `${old.id.slice(0, 12)}_p-web-1`;
    expect(changes(fake, from)).toEqual([`rename p-web-1`, 'create p-web-1', `rename ${tmp}`]);
    expect(fake.callsTo('containers.rename').slice(-2).map((c) => c.args[1])).toEqual([tmp, 'p-web-1']);
    expect(fake.containerNames()).toEqual(['p-web-1']);
    expect(fake.container('p-web-1')).toMatchObject({ id: old.id, state: 'running' });
    expect(fake.container('p-web-1')!.config.Env).toContain('V=1');
    expect(aside(fake)).toEqual([]);

    const again = await up(fake, v('2'));
    expect(again.unchanged).toBe(false);
    const now = fake.container('p-web-1')!;
    expect(now.id).not.toBe(old.id);
    expect(now).toMatchObject({ state: 'running' });
    expect(now.config.Env).toContain('V=2');
    expect(fake.container(old.id)).toBeUndefined();
    expect(fake.containerNames()).toEqual(['p-web-1']);
  });

  // API 1.41 (the fake's default) takes one network in the create body: the second is connected after.
  it.each<['networks.connect' | 'containers.copyFiles', string]>([
    ['networks.connect', 'connecting the second network'],
    ['containers.copyFiles', 'copying a config file'],
  ])('%s after the create fails (%s): the half-made replacement is removed, the old one named back and running', async (method) => {
    const fake = engine({ images: ['busybox'] });
    const extra: Partial<Project> = { networks: { default: { name: 'p_default' }, back: { name: 'p_back' } }, configs: { cfg: { name: 'p_cfg', content: 'x=1' } } };
    const build = (n: string) => project([svc('web', { environment: { V: n }, networks: { default: null, back: null }, configs: [{ source: 'cfg', target: '/etc/cfg' }] })], extra);
    await up(fake, build('1'));
    const old = fake.container('p-web-1')!;
    const from = fake.calls.length;
    // The replacement is named p-web-1 while it is made (the old one stepped aside).
    const isReplacement = (id: string) => id !== old.id && fake.container(id)?.name === 'p-web-1';
    if (method === 'networks.connect') fake.failNext(method, apiError(500, 'attach failed'), { when: ({ args }) => isReplacement(args[1]) });
    else fake.failNext(method, apiError(500, 'attach failed'), { when: ({ args }) => isReplacement(args[0]) });

    await expect(up(fake, build('2'))).rejects.toThrow('attach failed');

    const created = fake.callsTo('containers.create').slice(-1)[0]!;
    expect(created.seq).toBeGreaterThan(fake.calls[from]!.seq);
    const removed = fake.callsTo('containers.remove').filter((c) => c.seq > created.seq);
    expect(removed).toHaveLength(1);
    expect(removed[0]!.args[1]).toMatchObject({ force: true });
    expect(removed[0]!.args[0]).not.toBe(old.id);
    expect(fake.container(removed[0]!.args[0])).toBeUndefined();
    expect(fake.containerNames()).toEqual(['p-web-1']);
    expect(fake.container('p-web-1')).toMatchObject({ id: old.id, state: 'running' });
    expect(aside(fake)).toEqual([]);
    // Never stopped: it kept its endpoints on both networks.
    expect(changes(fake, from).filter((c) => c.startsWith('stop') || c.startsWith('start'))).toEqual([]);
    for (const n of ['p_default', 'p_back']) expect((await fake.outside.networks.inspect(n))!.containers).toEqual([old.id]);

    await up(fake, build('2'));
    const now = fake.container('p-web-1')!;
    expect(now.id).not.toBe(old.id);
    expect(now.config.Env).toContain('V=2');
    expect(now.state).toBe('running');
    for (const n of ['p_default', 'p_back']) expect((await fake.outside.networks.inspect(n))!.containers).toEqual([now.id]);
    expect(await fake.outside.containers.statPath(now.id, '/etc/cfg')).toBeDefined();
    expect(fake.containerNames()).toEqual(['p-web-1']);
  });
});

describe('UpRun: replacements left beside the old container when up does not get to start them', () => {
  const v = (n: string, scale = 1) => project([svc('web', { environment: { V: n }, scale })]);

  // The engine made the container but its answer was lost: the name cannot be given back
  // (the replacement holds it). up still reports the create's failure, not the rename's 409.
  it('a create whose answer is lost: up reports it, the old one runs aside, the next up converges', async () => {
    const fake = engine({ images: ['busybox'] });
    await up(fake, v('1'));
    const old = fake.container('p-web-1')!;
    const lost = apiError(500, 'connection reset');
    fake.failNext('containers.create', lost, { after: true });

    await expect(up(fake, v('2'))).rejects.toBe(lost);

    expect(fake.callsTo('containers.rename').at(-1)!.args[1]).toBe('p-web-1');
    expect(aside(fake)).toEqual([`${old.id.slice(0, 12)}_p-web-1`]);
    expect(fake.container(old.id)).toMatchObject({ state: 'running' });
    expect(fake.container('p-web-1')).toMatchObject({ state: 'created' });

    await up(fake, v('2'));
    expect(fake.containerNames()).toEqual(['p-web-1']);
    expect(fake.container('p-web-1')).toMatchObject({ state: 'running' });
    expect(fake.container('p-web-1')!.config.Env).toContain('V=2');
  });

  // Each replica is replaced on its own: replica 1's failure gives it its name back, but
  // replica 2's replacement was made and up fails before it may start, so its old container
  // stays aside, running (as after an interruption). The next up keeps the newest of the two.
  it('one replica of two fails to be replaced: it is named back; the other\'s old container runs aside until the next up', async () => {
    const fake = engine({ images: ['busybox'] });
    await up(fake, v('1', 2));
    const [one, two] = ['p-web-1', 'p-web-2'].map((n) => fake.container(n)!);
    fake.failNext('containers.create', apiError(500, 'no space left on device'), { when: ({ args }) => args[0] === 'p-web-1' });

    await expect(up(fake, v('2', 2))).rejects.toThrow('no space left on device');

    expect(fake.container('p-web-1')).toMatchObject({ id: one!.id, state: 'running' });
    expect(aside(fake)).toEqual([`${two!.id.slice(0, 12)}_p-web-2`]);
    expect(fake.container(two!.id)).toMatchObject({ state: 'running' });
    expect(fake.container('p-web-2')).toMatchObject({ state: 'created' });
    expect(fake.callsTo('containers.stop')).toEqual([]);

    await up(fake, v('2', 2));
    expect(fake.containerNames()).toEqual(['p-web-1', 'p-web-2']);
    for (const n of ['p-web-1', 'p-web-2']) {
      expect(fake.container(n)).toMatchObject({ state: 'running' });
      expect(fake.container(n)!.config.Env).toContain('V=2');
    }
  });

  // The old container of a recreate is retired when its replacement starts; with --no-start
  // (and tug create) nothing starts, so it is retired at once, as Compose's create does,
  // instead of running on aside with the service's ports.
  it('--no-start replaces a changed container: the old one is removed, the replacement left created', async () => {
    const fake = engine({ images: ['busybox'] });
    await up(fake, v('1'));
    const old = fake.container('p-web-1')!;

    await up(fake, v('2'), { noStart: true });

    expect(fake.container('p-web-1')).toMatchObject({ state: 'created' });
    expect(fake.container('p-web-1')!.config.Env).toContain('V=2');
    expect(aside(fake)).toEqual([]);
    expect(fake.container(old.id)).toBeUndefined();
  });
});

describe('UpRun: interruption', () => {
  it('abort while a gate waits: rejects with the reason, stops what it started (dependents first), keeps what it only created', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.onContainer({ service: 'mid' }, { health: 'never' });
    const p = project([
      svc('db'),
      svc('mid', { healthcheck: HC, depends_on: needs({ db: 'service_started' }) }),
      svc('api', { depends_on: needs({ mid: 'service_healthy' }) }),
      svc('side'),
    ]);
    const ctl = new AbortController();
    let waiting = false;
    const run = up(fake, p, {
      signal: ctl.signal,
      onProgress: (e) => {
        if (e.service === 'api' && e.action === 'wait' && e.state === 'working') waiting = true;
      },
    });
    await until('api to wait on mid', () => waiting && stateOf(fake, 'p-side-1') === 'running');
    expect(['p-db-1', 'p-mid-1'].map((n) => stateOf(fake, n))).toEqual(['running', 'running']);
    const from = fake.calls.length;
    // A slow stop: db's may only be asked for once mid's is done.
    fake.delay('containers.stop', 10, { when: ({ target }) => target === 'p-mid-1' });
    const reason = new Error('interrupted by the test');
    ctl.abort(reason);

    await expect(run).rejects.toBe(reason);

    const after = changes(fake, from);
    expect([...after].sort()).toEqual(['stop p-db-1', 'stop p-mid-1', 'stop p-side-1']);
    expect(stoppedBefore(fake, 'p-mid-1', 'p-db-1')).toBe(true);
    expect(fake.callsTo('containers.start').map((c) => c.target)).not.toContain('p-api-1');
    expect(fake.containerNames()).toEqual(['p-api-1', 'p-db-1', 'p-mid-1', 'p-side-1']);
    expect(Object.fromEntries(fake.containerNames().map((n) => [n, stateOf(fake, n)]))).toEqual({
      'p-api-1': 'created', 'p-db-1': 'exited', 'p-mid-1': 'exited', 'p-side-1': 'exited',
    });
    expect(fake.callsTo('containers.remove')).toEqual([]);
    expect(await unlabelled(fake)).toEqual([]);
    expect(aside(fake)).toEqual([]);

    // The next up starts them all again (mid healthy this time).
    fake.onContainer({ service: 'mid' }, { health: 'healthy' });
    await up(fake, p);
    expect(fake.containerNames().map((n) => stateOf(fake, n))).toEqual(['running', 'running', 'running', 'running']);
  });

  it('abort as the last container starts: what this run started is stopped, what ran before is left running', async () => {
    const fake = engine({ images: ['busybox'] });
    const cache = svc('cache');
    await up(fake, project([cache]));
    const cacheId = fake.container('p-cache-1')!.id;
    const p = project([cache, svc('db'), svc('web', { depends_on: needs({ db: 'service_started' }) })]);
    const ctl = new AbortController();
    const reason = new Error('Ctrl-C');
    // The start goes through (the engine had the call already): the run ends with everything started.
    fake.before('containers.start', () => ctl.abort(reason), { when: ({ target }) => target === 'p-web-1', times: 1 });
    fake.delay('containers.stop', 10, { when: ({ target }) => target === 'p-web-1' });
    const from = fake.calls.length;

    await expect(up(fake, p, { signal: ctl.signal })).rejects.toBe(reason);

    const after = changes(fake, from);
    expect(after.filter((c) => c.startsWith('start'))).toEqual(['start p-db-1', 'start p-web-1']);
    expect(after.filter((c) => c.startsWith('stop'))).toEqual(['stop p-web-1', 'stop p-db-1']);
    expect(stoppedBefore(fake, 'p-web-1', 'p-db-1')).toBe(true);
    expect(fake.container('p-cache-1')).toMatchObject({ id: cacheId, state: 'running' });
    expect(stateOf(fake, 'p-db-1')).toBe('exited');
    expect(stateOf(fake, 'p-web-1')).toBe('exited');
    expect(await unlabelled(fake)).toEqual([]);
  });

  // A `restart: true` dependent restarted by this run counts as started by it (UpRun.startedByRun):
  // an interruption stops it, although it was running before the run.
  it('abort as a restart: true dependent restarts: the replaced dependency and the dependent are stopped', async () => {
    const fake = engine({ images: ['busybox'] });
    const build = (n: string) => project([
      svc('db', { environment: { V: n } }),
      svc('web', { depends_on: needs({ db: 'service_started' }, true) }),
      svc('other'),
    ]);
    await up(fake, build('1'));
    const web = fake.container('p-web-1')!.id;
    const oldDb = fake.container('p-db-1')!.id;
    const ctl = new AbortController();
    const reason = new Error('Ctrl-C');
    fake.before('containers.start', () => ctl.abort(reason), { when: ({ target }) => target === 'p-web-1', times: 1 });
    const from = fake.calls.length;

    const err = await up(fake, build('2'), { signal: ctl.signal }).catch((e: unknown) => e);

    expect(err).toBe(reason);
    const after = changes(fake, from);
    expect(after.filter((c) => c.startsWith('start'))).toEqual(['start p-db-1', 'start p-web-1']);
    // The replaced db (aside), web for its restart, then web and the new db again for the interruption.
    expect(after.filter((c) => c.startsWith('stop'))).toEqual([`stop ${oldDb.slice(0, 12)}_p-db-1`, 'stop p-web-1', 'stop p-web-1', 'stop p-db-1']);
    expect(fake.container(oldDb)).toBeUndefined();
    expect(fake.container('p-web-1')).toMatchObject({ id: web, state: 'exited' });
    expect(fake.container('p-db-1')!.config.Env).toContain('V=2');
    expect(stateOf(fake, 'p-db-1')).toBe('exited');
    expect(stateOf(fake, 'p-other-1')).toBe('running');
    expect(aside(fake)).toEqual([]);
  });

  // The old container keeps running until its replacement may start (replaceContainer): an
  // interruption before that leaves it aside, running, beside the created replacement. The next
  // up keeps the newest container of the number and removes the other (planService).
  it('abort after a replacement was made but before it may start: the old one still runs aside, the next up converges', async () => {
    const fake = engine({ images: ['busybox'] });
    const build = (n: string) => project([
      svc('db', { healthcheck: HC }),
      svc('web', { environment: { V: n }, depends_on: needs({ db: 'service_healthy' }) }),
    ]);
    fake.onContainer({ service: 'db' }, { health: 'healthy' });
    await up(fake, build('1'));
    const old = fake.container('p-web-1')!;
    // db is replaced too (forced) and never becomes healthy this time: web's replacement waits on it.
    fake.onContainer({ service: 'db' }, { health: 'never' });
    const ctl = new AbortController();
    let waiting = false;
    const run = up(fake, build('2'), {
      signal: ctl.signal, forceRecreate: true,
      onProgress: (e) => {
        if (e.service === 'web' && e.action === 'wait' && e.state === 'working') waiting = true;
      },
    });
    await until('web to wait on db', () => waiting);
    const reason = new Error('Ctrl-C');
    ctl.abort(reason);
    await expect(run).rejects.toBe(reason);

    // The replacement exists (created), the old web still runs under its aside name.
    const tmp = `${old.id.slice(0, 12)}_p-web-1`;
    expect(fake.container(tmp)).toMatchObject({ id: old.id, state: 'running' });
    expect(fake.container('p-web-1')).toMatchObject({ state: 'created' });
    expect(fake.container('p-web-1')!.id).not.toBe(old.id);
    // db's replacement was started by this run: stopped again.
    expect(stateOf(fake, 'p-db-1')).toBe('exited');
    expect(await unlabelled(fake)).toEqual([]);

    fake.onContainer({ service: 'db' }, { health: 'healthy' });
    await up(fake, build('2'));
    expect(aside(fake)).toEqual([]);
    expect(fake.containerNames()).toEqual(['p-db-1', 'p-web-1']);
    expect(fake.container('p-web-1')).toMatchObject({ state: 'running' });
    expect(fake.container('p-web-1')!.config.Env).toContain('V=2');
    expect(fake.container(old.id)).toBeUndefined();
  });
});

describe('UpRun: scale-down', () => {
  it('3 → 1 removes the highest numbers, stopping the running ones first, and leaves replica 1 alone', async () => {
    const fake = engine({ images: ['busybox'] });
    const p = project([svc('web', { scale: 3 })]);
    await up(fake, p);
    const first = fake.container('p-web-1')!.id;
    await fake.outside.containers.stop('p-web-3');
    const from = fake.calls.length;

    const r = await up(fake, p, { scale: { web: 1 } });

    expect(r.plan.services[0]!.remove.map((c) => c.name)).toEqual(['p-web-3', 'p-web-2']);
    const after = changes(fake, from);
    expect([...after].sort()).toEqual(['remove p-web-2', 'remove p-web-3', 'stop p-web-2']);
    expect(after.indexOf('stop p-web-2')).toBeLessThan(after.indexOf('remove p-web-2'));
    expect(fake.containerNames()).toEqual(['p-web-1']);
    expect(fake.container('p-web-1')).toMatchObject({ id: first, state: 'running' });
    expect(r.containers.web!.map((c) => c.name)).toEqual(['p-web-1']);
    expect(r.unchanged).toBe(false);
  });

  it('out-of-date replicas go first: the up-to-date lowest number is kept as it is', async () => {
    const fake = engine({ images: ['busybox'] });
    const web = svc('web', { scale: 3 });
    const p = project([web]);
    const hash = configHash(web);
    fake.addContainer(composeContainer('p', 'web', 1, { configHash: 'stale' }));
    const two = fake.addContainer(composeContainer('p', 'web', 2, { configHash: hash }));
    fake.addContainer(composeContainer('p', 'web', 3, { configHash: hash }));
    const from = fake.calls.length;

    const r = await up(fake, p, { scale: { web: 1 } });

    expect(r.plan.services[0]!.remove.map((c) => c.name)).toEqual(['p-web-1', 'p-web-3']);
    expect(r.plan.services[0]!.replicas).toMatchObject([{ kind: 'keep', number: 2 }]);
    expect([...changes(fake, from)].sort()).toEqual(['remove p-web-1', 'remove p-web-3', 'stop p-web-1', 'stop p-web-3']);
    expect(fake.containerNames()).toEqual(['p-web-2']);
    expect(fake.container('p-web-2')).toMatchObject({ id: two, state: 'running' });
  });

  it('a failing removal fails up, the other removals still happen, and nothing is created or started after it', async () => {
    const fake = engine({ images: ['busybox'] });
    const web = svc('web', { scale: 4 });
    await up(fake, project([web]));
    const from = fake.calls.length;
    fake.failNext('containers.remove', apiError(500, 'device or resource busy'), { when: ({ target }) => target === 'p-web-3' });
    // Still removing when the failure comes: up must wait for it (settleAll), not return first.
    fake.delay('containers.remove', 15, { when: ({ target }) => target === 'p-web-4' });
    const p = project([web, svc('worker')]);

    const err = await up(fake, p, { scale: { web: 1 } }).catch((e: unknown) => e);

    expect(err).toMatchObject({ status: 500, code: 'engine_error' });
    expect((err as Error).message).toMatch(/device or resource busy/);
    const after = changes(fake, from);
    expect([...after].sort()).toEqual(['remove p-web-2', 'remove p-web-3', 'remove p-web-4', 'stop p-web-2', 'stop p-web-3', 'stop p-web-4']);
    // p-web-3 was stopped before its removal failed; the rest of up never ran.
    expect(fake.containerNames()).toEqual(['p-web-1', 'p-web-3']);
    expect(stateOf(fake, 'p-web-3')).toBe('exited');
    expect(stateOf(fake, 'p-web-1')).toBe('running');
    expect(fake.callsTo('containers.create').filter((c) => c.seq > fake.calls[from]!.seq)).toEqual([]);

    await up(fake, p, { scale: { web: 1 } });
    expect(fake.containerNames()).toEqual(['p-web-1', 'p-worker-1']);
    expect(fake.containerNames().map((n) => stateOf(fake, n))).toEqual(['running', 'running']);
  });
});

describe('UpRun: a failing create in the middle of a wide stack', () => {
  const N = 20;
  const names = Array.from({ length: N }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
  const extra: Partial<Project> = { networks: { default: { name: 'p_default' }, back: { name: 'p_back' } }, configs: { cfg: { name: 'p_cfg', content: 'x=1' } } };
  const common: Partial<Service> = { networks: { default: null, back: null }, configs: [{ source: 'cfg', target: '/etc/cfg' }] };
  const stack = project([
    ...names.map((n) => svc(n, common)),
    svc('d01', { ...common, depends_on: needs({ s01: 'service_started' }) }),
    svc('d05', { ...common, depends_on: needs({ s05: 'service_started' }) }),
    svc('d11', { ...common, depends_on: needs({ s11: 'service_started', s12: 'service_started' }) }),
  ], extra);
  const all = [...names, 'd01', 'd05', 'd11'].map((n) => `p-${n}-1`).sort();

  it.each<['containers.create' | 'networks.connect' | 'containers.copyFiles']>([
    ['containers.create'],
    ['networks.connect'],
    ['containers.copyFiles'],
  ])('%s of service 11 fails: up rejects with it, the rest is made whole, its dependent is left created; a second up converges', async (method) => {
    const fake = engine({ images: ['busybox'] });
    const isS11 = (id: string) => fake.container(id)?.name === 'p-s11-1';
    const error = apiError(500, `${method} broke`);
    if (method === 'containers.create') fake.failNext(method, error, { when: ({ args }) => args[0] === 'p-s11-1' });
    else if (method === 'networks.connect') fake.failNext(method, error, { when: ({ args }) => isS11(args[1]) });
    else fake.failNext(method, error, { when: ({ args }) => isS11(args[0]) });

    await expect(up(fake, stack, { parallel: 4 })).rejects.toBe(error);

    const present = all.filter((n) => n !== 'p-s11-1');
    expect(fake.containerNames()).toEqual(present);
    const states = Object.fromEntries(present.map((n) => [n, stateOf(fake, n)]));
    expect(states).toEqual(Object.fromEntries(present.map((n) => [n, n === 'p-d11-1' ? 'created' : 'running'])));
    // s11's create either never succeeded or was removed again (force) at once.
    const s11 = fake.callsTo('containers.create').filter((c) => c.args[0] === 'p-s11-1');
    expect(s11).toHaveLength(1);
    const removed = fake.callsTo('containers.remove');
    expect(removed.map((c) => c.target)).toEqual(method === 'containers.create' ? [] : ['p-s11-1']);
    expect(fake.callsTo('containers.start').map((c) => c.target)).not.toContain('p-d11-1');
    // Every container that exists got its second network and its file.
    for (const n of present) {
      const id = fake.container(n)!.id;
      expect(fake.callsTo('networks.connect').filter((c) => c.args[1] === id).map((c) => c.target)).toEqual(['p_default']);
      expect(await fake.outside.containers.statPath(id, '/etc/cfg')).toBeDefined();
    }
    expect(await unlabelled(fake)).toEqual([]);

    const from = fake.calls.length;
    const again = await up(fake, stack, { parallel: 4 });
    expect(again.unchanged).toBe(false);
    expect(fake.containerNames()).toEqual(all);
    expect(all.map((n) => stateOf(fake, n))).toEqual(all.map(() => 'running'));
    expect(changes(fake, from).filter((c) => c.startsWith('create'))).toEqual(['create p-s11-1']);
    expect([...changes(fake, from).filter((c) => c.startsWith('start'))].sort()).toEqual(['start p-d11-1', 'start p-s11-1']);
    const net = (await fake.outside.networks.inspect('p_back'))!.containers.length;
    expect(net).toBe(all.length);
  });
});

describe('UpRun: orphans and --wait', () => {
  it('orphans are warned about and left alone; removed (stopped first) only with removeOrphans', async () => {
    const fake = engine({ images: ['busybox'] });
    const legacy = fake.addContainer(composeContainer('p', 'legacy', 1));
    const p = project([svc('web')]);
    const events: ProgressEvent[] = [];
    await up(fake, p, { onProgress: (e) => events.push(e) });
    const warned = events.filter((e) => e.action === 'orphan');
    expect(warned).toMatchObject([{ resource: 'container', name: 'p-legacy-1', service: 'legacy', state: 'warning' }]);
    expect(warned[0]!.message).toMatch(/--remove-orphans/);
    expect(fake.container('p-legacy-1')).toMatchObject({ id: legacy, state: 'running' });
    expect(changes(fake).filter((c) => c.endsWith('p-legacy-1'))).toEqual([]);

    const from = fake.calls.length;
    const events2: ProgressEvent[] = [];
    const r = await up(fake, p, { removeOrphans: true, onProgress: (e) => events2.push(e) });
    expect(changes(fake, from)).toEqual(['stop p-legacy-1', 'remove p-legacy-1']);
    expect(fake.containerNames()).toEqual(['p-web-1']);
    expect(events2.filter((e) => e.action === 'orphan')).toEqual([]);
    expect(events2.find((e) => e.action === 'remove' && e.state === 'done')).toMatchObject({ name: 'p-legacy-1', message: 'orphan' });
    expect(r.unchanged).toBe(false);
  });

  it('--wait on a service that never becomes healthy fails with wait_timeout (exit 5) at the deadline, leaving it running', async () => {
    const fake = engine({ images: ['busybox'] });
    fake.onContainer({ service: 'web' }, { health: 'never' });
    const p = project([svc('web', { healthcheck: HC }), svc('db', { healthcheck: HC })]);
    const events: ProgressEvent[] = [];
    const t0 = Date.now();
    const err = await up(fake, p, { wait: true, waitTimeoutSeconds: 0.1, onProgress: (e) => events.push(e) }).catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toMatchObject({ code: 'wait_timeout', exitCode: 5 });
    expect((err as Error).message).toMatch(/service "web" was not healthy within 0.1s \(--wait-timeout\): p-web-1 is running, health: starting/);
    expect(took).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(900);
    expect(events.find((e) => e.service === 'db' && e.action === 'healthy' && e.state === 'done')).toBeDefined();
    expect(events.find((e) => e.service === 'web' && e.action === 'healthy' && e.state === 'error')).toMatchObject({ error: { code: 'wait_timeout' } });
    expect(fake.container('p-web-1')).toMatchObject({ state: 'running', health: 'starting' });
    expect(fake.callsTo('containers.stop')).toEqual([]);
  });
});
