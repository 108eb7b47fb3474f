/**
 * DockerEngine against the real engine. CI always starts one, so an unreachable engine is a
 * failure here, never a skip. Every resource carries a per-run project label and is removed
 * by that label afterwards, so runs can overlap and a crashed run leaves nothing behind twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApiError } from '../../src/engine/api-error.js';
import { resolveHost } from '../../src/engine/connect.js';
import { dockerEngine } from '../../src/engine/docker/engine.js';
import { type ContainerCreateBody, type EngineEvent, type LogLine } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { EngineUnreachableError, TugError } from '../../src/errors.js';
import { inspectContainer, listContainers, listNetworks, listVolumes, type ContainerQuery } from '../../src/run/observe.js';
import { projectLabel } from '../../src/labels.js';

const suffix = randomBytes(4).toString('hex');
const project = `tugtest${suffix}`;
const IMAGE = 'local/busybox:latest';
const engine = dockerEngine(resolveHost());

const projects = new Set<string>([project]);
const strays: string[] = [];
const images: string[] = [];
const dirs: string[] = [];

function spec(cmd: string, opts: { project?: string; service?: string; oneoff?: boolean; image?: string; extra?: ContainerCreateBody } = {}): ContainerCreateBody {
  const p = opts.project ?? project;
  projects.add(p);
  return {
    Image: opts.image ?? IMAGE,
    Cmd: ['sh', '-c', cmd],
    Labels: {
      [LABEL.project]: p,
      [LABEL.service]: opts.service ?? 'svc',
      [LABEL.number]: '1',
      [LABEL.oneoff]: opts.oneoff ? 'True' : 'False',
    },
    // Without an init, sh as PID 1 ignores SIGTERM and every stop waits out its timeout.
    HostConfig: { Init: true },
    ...opts.extra,
  };
}

const name = (what: string): string => `${project}-${what}-${randomBytes(2).toString('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function run(what: string, cmd: string, opts: Parameters<typeof spec>[1] = {}): Promise<string> {
  const id = await engine.containers.create(name(what), spec(cmd, opts));
  await engine.containers.start(id);
  return id;
}

async function collect(id: string, opts: { timestamps?: boolean; follow?: boolean } = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of engine.containers.logs(id, opts)) out.push(l);
  return out;
}

/** Reads events until one matches, failing with what was seen instead of hanging. */
async function next(it: AsyncIterator<EngineEvent>, match: (e: EngineEvent) => boolean, ms = 20_000): Promise<EngineEvent> {
  const seen: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await Promise.race([it.next(), sleep(deadline - Date.now()).then(() => 'timeout' as const)]);
    if (r === 'timeout') throw new Error(`no matching event within ${ms} ms; saw: ${seen.join(', ') || 'nothing'}`);
    if (r.done) throw new Error(`event stream ended; saw: ${seen.join(', ')}`);
    seen.push(`${r.value.action} ${r.value.id.slice(0, 12)}`);
    if (match(r.value)) return r.value;
  }
}

describe('DockerEngine on the real engine', () => {
  let reachable = false;
  beforeAll(async () => {
    try {
      await engine.system.info();
      reachable = true;
    } catch (e) {
      throw new Error(
        `the Docker engine is unreachable, so the engine e2e tests cannot run (CI must start it: ` +
          `bash ../shared/engine/engine-up.sh): ${(e as Error).message}`,
      );
    }
  });

  afterAll(async () => {
    if (!reachable) return;
    for (const p of projects) {
      for (const c of await listContainers(engine, { project: p, all: true })) {
        await engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => {});
      }
      for (const n of await listNetworks(engine, { project: p })) await engine.networks.remove(n.id).catch(() => {});
      for (const v of await listVolumes(engine, { project: p })) await engine.volumes.remove(v.name).catch(() => {});
    }
    for (const id of strays) await engine.containers.remove(id, { force: true }).catch(() => {});
    for (const ref of images) await engine.images.remove(ref).catch(() => {});
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('negotiates the API version and reports engine info', async () => {
    const api = await engine.system.apiVersion();
    expect(api).toMatch(/^1\.\d+$/);
    expect(Number(api.split('.')[1])).toBeLessThanOrEqual(47);
    const info = await engine.system.info();
    expect(info.apiVersion).toBe(api);
    expect(info.serverVersion).not.toBe('');
    expect(info.cpus).toBeGreaterThan(0);
    expect(info.memoryBytes).toBeGreaterThan(0);
    expect(typeof info.swarm.state).toBe('string');
    expect(typeof info.swarm.controlAvailable).toBe('boolean');
  });

  it('creates, starts, inspects, stops and removes a container', async () => {
    const n = name('life');
    const id = await engine.containers.create(n, spec('echo hello; echo oops >&2; sleep 30', { service: 'life' }));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await engine.containers.start(id);
    await engine.containers.start(id); // already started: not an error

    const d = await inspectContainer(engine, id);
    expect(d).toMatchObject({ id, name: n, state: 'running', service: 'life', number: 1, oneoff: false, image: IMAGE, exitCode: 0 });
    expect(d.hostConfig.Init).toBe(true);
    expect(d.startedAt).toBeDefined();
    expect(d.health).toBe('none');

    const listed = (await listContainers(engine, { project })).find((c) => c.id === id);
    expect(listed).toMatchObject({ name: n, state: 'running', service: 'life', health: 'none' });
    expect(listed?.status).toMatch(/^Up/);

    const t0 = Date.now();
    await engine.containers.stop(id, 10);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await engine.containers.stop(id, 10); // already stopped: not an error
    const stopped = await engine.containers.inspect(id);
    expect(stopped.state).toBe('exited');
    expect(stopped.finishedAt).toBeDefined();

    await engine.containers.remove(id, { force: false, volumes: true });
    const gone = await engine.containers.inspect(id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(EngineApiError);
    expect(gone).toMatchObject({ code: 'engine_error', status: 404 });
    expect((gone as Error).message).toContain(`inspecting container ${id}`);
  });

  it('wraps engine refusals with the status and the engine message, classified where tug knows the cause', async () => {
    const n = name('dup');
    await engine.containers.create(n, spec('true'));
    const e = await engine.containers.create(n, spec('true')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TugError);
    expect(e).toMatchObject({ code: 'name_conflict', refusal: 'name_conflict', status: 409 });
    expect((e as Error).message).toMatch(new RegExp(`^creating container ${n}: .*already in use`));
  });

  it('delivers start and die events, including one right after subscribing', async () => {
    const id = await engine.containers.create(name('ev'), spec('sleep 30'));
    const ac = new AbortController();
    const events = await engine.events.subscribe({ labels: [projectLabel(project)], type: ['container'] }, ac.signal);
    // Nothing is reading yet: the event must wait in the subscription, not be lost.
    await engine.containers.start(id);
    const it = events[Symbol.asyncIterator]();
    const start = await next(it, (e) => e.id === id && e.action === 'start');
    expect(start.type).toBe('container');
    expect(start.attributes[LABEL.project]).toBe(project);
    expect(start.timeNano).toBeGreaterThan((Date.now() - 60_000) * 1e6);

    await engine.containers.stop(id, 10);
    const die = await next(it, (e) => e.id === id && e.action === 'die');
    expect(die.attributes.exitCode).toBeDefined();
    expect(die.timeNano).toBeGreaterThanOrEqual(start.timeNano);

    ac.abort();
    await expect(it.next()).resolves.toMatchObject({ done: true });
  });

  it('ends an events iteration cleanly when aborted mid-wait', async () => {
    const ac = new AbortController();
    const events = await engine.events.subscribe({ labels: [projectLabel(`${project}-quiet`)] }, ac.signal);
    const seen: EngineEvent[] = [];
    const done = (async () => {
      for await (const e of events) seen.push(e);
    })();
    await sleep(100);
    ac.abort();
    await expect(done).resolves.toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('reports health_status events for a container with a healthcheck', async () => {
    const id = await engine.containers.create(name('health'), spec('sleep 30', {
      extra: { Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 1e9, Retries: 3 } },
    }));
    const ac = new AbortController();
    try {
      const events = await engine.events.subscribe({ containers: [id] }, ac.signal);
      await engine.containers.start(id);
      const it = events[Symbol.asyncIterator]();
      const e = await next(it, (x) => x.action.startsWith('health_status'));
      expect(e).toMatchObject({ id, type: 'container', action: 'health_status: healthy' });
    } finally {
      ac.abort();
    }
    const d = await engine.containers.inspect(id);
    expect(d.health).toBe('healthy');
    expect(d.status).toBe('Up (healthy)');
    expect(d.healthLog.length).toBeGreaterThan(0);
    expect(d.healthLog.at(-1)).toMatchObject({ exitCode: 0 });
    const listed = (await listContainers(engine, { project })).find((c) => c.id === id);
    expect(listed?.health).toBe('healthy');
  });

  it('separates stdout from stderr in logs, with and without timestamps', async () => {
    const id = await run('logs', 'echo hello; echo oops >&2; sleep 30');
    let lines: LogLine[] = [];
    for (let i = 0; i < 50 && lines.length < 2; i++) {
      await sleep(100);
      lines = await collect(id);
    }
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['hello']);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual(['oops']);
    expect(lines.every((l) => l.time === undefined)).toBe(true);

    const stamped = await collect(id, { timestamps: true });
    expect(stamped.map((l) => l.text)).toEqual(expect.arrayContaining(['hello', 'oops']));
    for (const l of stamped) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it('follows logs until the container stops, and until aborted', async () => {
    // A 40 000-byte line reaches the engine's log in 16 KiB pieces, each with its own timestamp.
    // The last line has no newline: the engine writes it only as the container exits, which
    // races with the end of a follow stream.
    const cmd = 'echo a; sleep 0.3; echo b >&2; head -c 40000 /dev/zero | tr "\\0" x; echo; printf "no newline"';
    // Order holds within a stream only: each stream has its own copier in the engine.
    const byStream = (ls: LogLine[]): Record<string, string[]> => ({
      stdout: ls.filter((l) => l.stream === 'stdout').map((l) => (l.text.length > 100 ? `${l.text[0]}*${l.text.length}` : l.text)),
      stderr: ls.filter((l) => l.stream === 'stderr').map((l) => l.text),
    });
    const expected = { stdout: ['a', 'x*40000', 'no newline'], stderr: ['b'] };
    const runs = await Promise.all([0, 1, 2].map(async (i) => collect(await run(`follow${i}`, cmd), { follow: true })));
    for (const r of runs) expect(byStream(r)).toEqual(expected);
    const lines = await collect(await run('follow-ts', cmd), { follow: true, timestamps: true });
    expect(byStream(lines)).toEqual(expected);
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);

    const long = await run('follow-abort', 'echo x; sleep 30');
    const ac = new AbortController();
    const seen: string[] = [];
    setTimeout(() => ac.abort(), 800);
    for await (const l of engine.containers.logs(long, { follow: true, signal: ac.signal })) seen.push(l.text);
    expect(seen).toEqual(['x']);
  });

  it('reads logs of a TTY container as one stream', async () => {
    const id = await engine.containers.create(name('tty'), spec('echo one; echo two >&2', { extra: { Tty: true } }));
    await engine.containers.start(id);
    await engine.containers.wait(id);
    const lines = await collect(id);
    expect(lines).toEqual([{ stream: 'stdout', text: 'one' }, { stream: 'stdout', text: 'two' }]);
  });

  it('waits for a container and returns its exit code', async () => {
    const id = await run('wait', 'exit 3');
    expect(await engine.containers.wait(id)).toBe(3);
    expect((await engine.containers.inspect(id)).exitCode).toBe(3);
  });

  it('lists exactly the containers of a project, by service and oneoff', async () => {
    const p = `${project}-list`;
    const a = await engine.containers.create(name('a'), spec('true', { project: p, service: 'a' }));
    const b = await engine.containers.create(name('b'), spec('true', { project: p, service: 'b' }));
    const once = await engine.containers.create(name('run'), spec('true', { project: p, service: 'a', oneoff: true }));
    const unlabelled = await engine.containers.create(name('nolabel'), { Image: IMAGE, Cmd: ['true'] });
    strays.push(unlabelled);

    const ids = async (f: ContainerQuery): Promise<string[]> =>
      (await listContainers(engine, { all: true, ...f })).map((c) => c.id).sort();
    expect(await ids({ project: p })).toEqual([a, b, once].sort());
    expect(await ids({ project: p, service: 'a' })).toEqual([a, once].sort());
    expect(await ids({ project: p, oneoff: false })).toEqual([a, b].sort());
    expect(await ids({ project: p, oneoff: true })).toEqual([once]);
    expect(await ids({ project: p, labels: [`${LABEL.service}=b`] })).toEqual([b]);
    // Created, never started: only `all` shows them.
    expect(await listContainers(engine, { project: p })).toEqual([]);
    const [one] = await listContainers(engine, { project: p, service: 'b', all: true });
    expect(one).toMatchObject({ id: b, service: 'b', number: 1, oneoff: false, state: 'created', health: 'none' });
    expect(one?.labels[LABEL.project]).toBe(p);
  });

  it('creates, lists, inspects, connects and removes networks', async () => {
    const n = name('net');
    const id = await engine.networks.create({ Name: n, Driver: 'bridge', Labels: { [LABEL.project]: project, [LABEL.network]: 'default' } });
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await listNetworks(engine, { project })).map((x) => x.name)).toContain(n);
    // The engine's name filter is a substring match; ours is exact.
    expect(await listNetworks(engine, { name: n.slice(0, -2) })).toEqual([]);
    expect(await listNetworks(engine, { name: n })).toHaveLength(1);

    const c = await run('netc', 'sleep 30');
    await engine.networks.connect(n, c, { Aliases: ['web-alias'] });
    const net = await engine.networks.inspect(n);
    expect(net).toMatchObject({ id, name: n, driver: 'bridge', labels: { [LABEL.network]: 'default' } });
    expect(net?.containers).toEqual([c]);

    await engine.containers.remove(c, { force: true });
    await engine.networks.remove(id);
    expect(await engine.networks.inspect(n)).toBeUndefined();
    await expect(engine.networks.remove(n)).rejects.toMatchObject({ code: 'engine_error', status: 404 });
  });

  it('creates, lists, inspects and removes volumes', async () => {
    const v = name('vol');
    await engine.volumes.create({ Name: v, Labels: { [LABEL.project]: project, [LABEL.volume]: 'data' } });
    expect((await listVolumes(engine, { project })).map((x) => x.name)).toContain(v);
    expect(await listVolumes(engine, { name: v.slice(0, -2) })).toEqual([]);
    expect(await engine.volumes.inspect(v)).toEqual({ name: v, driver: 'local', labels: { [LABEL.project]: project, [LABEL.volume]: 'data' } });

    const c = await engine.containers.create(name('volc'), spec('true', { extra: { HostConfig: { Init: true, Binds: [`${v}:/data`] } } }));
    const d = await engine.containers.inspect(c);
    expect(d.mounts).toEqual([expect.objectContaining({ type: 'volume', name: v, destination: '/data' })]);
    await engine.containers.remove(c, { force: true });

    await engine.volumes.remove(v);
    expect(await engine.volumes.inspect(v)).toBeUndefined();
  });

  it('looks up image ids', async () => {
    expect(await engine.images.localId(IMAGE)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await engine.images.localId('nope/nothing:1')).toBeUndefined();
  });

  it('rejects a pull that cannot succeed with pull_failed naming the image', async () => {
    const ref = 'tug-test/does-not-exist:1';
    const e = await engine.images.pull(ref).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TugError);
    expect(e).toMatchObject({ code: 'pull_failed' });
    expect((e as Error).message).toContain(ref);
  });

  it('builds an image honouring .dockerignore, tags it, and reports progress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tug-build-'));
    dirs.push(dir);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${IMAGE}\nCOPY . /ctx\nRUN ls -a /ctx > /list\n`);
    await writeFile(join(dir, '.dockerignore'), '# comments are not patterns\nsecret.txt\n*.log\n!important.log\nDockerfile\n');
    for (const f of ['keep.txt', 'secret.txt', 'debug.log', 'important.log']) await writeFile(join(dir, f), f);

    const tags = [`tug-test-${suffix}:a`, `tug-test-${suffix}:b`];
    images.push(...tags);
    const progress: string[] = [];
    const id = await engine.images.build({
      context: dir, tags, labels: { [LABEL.project]: project }, args: { UNUSED: '1' }, onProgress: (l) => progress.push(l),
    });
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(progress.some((l) => l.startsWith('Step 1/'))).toBe(true);
    expect(await engine.images.localId(tags[0]!)).toBe(id);
    expect(await engine.images.localId(tags[1]!)).toBe(id);

    const c = await engine.containers.create(name('built'), spec('cat /list', { image: tags[1] }));
    await engine.containers.start(c);
    expect(await engine.containers.wait(c)).toBe(0);
    const listed = (await collect(c)).map((l) => l.text);
    expect(listed).toContain('keep.txt');
    expect(listed).toContain('important.log');
    expect(listed).not.toContain('secret.txt');
    expect(listed).not.toContain('debug.log');
  });

  it('rejects a failing build with build_failed and the step that failed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tug-build-'));
    dirs.push(dir);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${IMAGE}\nRUN exit 7\n`);
    const tag = `tug-test-${suffix}:broken`;
    images.push(tag);
    const e = await engine.images.build({ context: dir, tags: [tag] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TugError);
    expect(e).toMatchObject({ code: 'build_failed' });
    expect((e as Error).message).toContain('RUN exit 7');
    expect((e as Error).message).toMatch(/non-zero code: 7/);
  });

  it('reports an unreachable engine as EngineUnreachableError naming the socket', async () => {
    const e = await dockerEngine(resolveHost({ host: 'unix:///nonexistent.sock' })).system.info().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineUnreachableError);
    expect((e as Error).message).toContain('/nonexistent.sock');
    expect((e as TugError).hint).toMatch(/running/);
  });
});
