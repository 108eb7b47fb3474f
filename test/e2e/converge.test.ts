/**
 * `up` converges: run again, it changes nothing; after an edit it replaces only what changed
 * (keeping the data in its volumes), restarts what asked to follow it, scales by number and
 * deals with containers whose service left the file. What the engine did is read from its
 * event stream, so "nothing happened" is a claim about the engine, not about tug's report.
 * The steps build on each other and run in order.
 */
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { up } from '../../src/run/up.js';
import { EventLog, IMAGE, dockerExec, e2eScope, inspect, load, progressLog, rand, tug, writeStack } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(stack());
    await up(engine, await load(dir), {});
    first = await ids();
  },
});
const { engine } = scope;
const project = scope.project('converge');

function stack(opts: { dbVersion?: string; withOther?: boolean } = {}): string {
  const other = `
  other:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]`;
  return `
name: ${project}
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    environment:
      DB_VERSION: "${opts.dbVersion ?? '1'}"
    volumes:
      - data:/data
      - /cache
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      retries: 3
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      db: { condition: service_healthy, restart: true }
${opts.withOther === false ? '' : other}
volumes:
  data: {}
`;
}

/** Container id by service (replica 1), as the engine lists them now. */
async function ids(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of await listContainers(engine, { project, all: true })) if (!c.oneoff && c.number === 1) out[c.service] = c.id;
  return out;
}

/** Runs `fn` while recording the project's engine events; every event it caused is in the log. */
async function recorded<T>(fn: () => Promise<T>): Promise<{ value: T; log: EventLog }> {
  const log = await EventLog.record(engine, project);
  try {
    const value = await fn();
    await log.flush();
    return { value, log };
  } finally {
    await log.stop();
  }
}

/** Lifecycle events, without the flush markers and the health probes' exec_* noise. */
function lifecycle(log: EventLog) {
  return log.events.filter((e) => e.type === 'container' && e.attributes[LABEL.service] !== '_flush' && !e.action.startsWith('exec_')
    && !e.action.startsWith('health_status'));
}

const LIFECYCLE = ['create', 'destroy', 'start', 'stop', 'kill', 'die', 'restart', 'rename', 'pause', 'unpause'];

let dir: string;
let first: Record<string, string>;
const marker = rand();

describe('up converges on the real engine', () => {
  it('a second up with nothing changed does nothing at all', async () => {
    const p = await load(dir);
    const { value: result, log } = await recorded(() => up(engine, p, {}));
    expect(result.unchanged).toBe(true);
    expect(Object.fromEntries(Object.entries(result.containers).map(([s, list]) => [s, list[0]!.id]))).toEqual(first);
    expect(await ids()).toEqual(first);
    const happened = lifecycle(log).filter((e) => LIFECYCLE.includes(e.action));
    expect(happened.map((e) => `${e.attributes[LABEL.service]} ${e.action}`)).toEqual([]);
  });

  it('the CLI says "Nothing to do" when nothing changed', async () => {
    const r = await tug(['up', '-d', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Nothing to do');
    expect(await ids()).toEqual(first);
  });

  it('a changed environment recreates only that service, keeps its volumes, and restarts a restart:true dependent', async () => {
    // Data in the named and in the anonymous volume, to find again in the replacement.
    await dockerExec(first.db!, `echo named-${marker} > /data/f && echo anon-${marker} > /cache/f`);
    const anonBefore = (await inspect(first.db!)).Mounts.find((m: { Destination: string }) => m.Destination === '/cache').Name;

    await writeStack(stack({ dbVersion: '2' }), dir);
    const p = await load(dir);
    const { value: result, log } = await recorded(() => up(engine, p, {}));
    const now = await ids();
    expect(result.unchanged).toBe(false);
    expect(now.db).not.toBe(first.db);
    expect(now.app).toBe(first.app);
    expect(now.other).toBe(first.other);
    expect(result.containers.db![0]!.id).toBe(now.db);

    const events = lifecycle(log);
    // The old db is gone; no other container was created or destroyed.
    expect(events.filter((e) => e.action === 'destroy').map((e) => e.id)).toEqual([first.db]);
    expect(events.filter((e) => e.action === 'create').map((e) => e.id)).toEqual([now.db]);
    // app restarted in place, and only once the new db was healthy.
    const appStarts = events.filter((e) => e.id === first.app && e.action === 'start');
    expect(appStarts, log.describe()).toHaveLength(1);
    const dbHealthy = log.events.find((e) => e.id === now.db && e.action === 'health_status: healthy');
    expect(dbHealthy, log.describe()).toBeDefined();
    expect(appStarts[0]!.timeNano).toBeGreaterThan(dbHealthy!.timeNano);
    // other was not touched at all.
    expect(events.filter((e) => e.id === first.other).map((e) => e.action)).toEqual([]);

    expect((await dockerExec(now.db!, 'cat /data/f /cache/f')).split('\n').filter(Boolean)).toEqual([`named-${marker}`, `anon-${marker}`]);
    const anonAfter = (await inspect(now.db!)).Mounts.find((m: { Destination: string }) => m.Destination === '/cache').Name;
    expect(anonAfter).toBe(anonBefore);
    expect((await inspect(now.db!)).Config.Env).toContain('DB_VERSION=2');
    first = now;
  });

  it('--force-recreate (CLI) replaces every container, volumes still carried over', async () => {
    const r = await tug(['up', '-d', '--force-recreate', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    const now = await ids();
    for (const s of ['db', 'app', 'other']) expect(now[s], s).not.toBe(first[s]);
    expect((await dockerExec(now.db!, 'cat /data/f /cache/f')).split('\n').filter(Boolean)).toEqual([`named-${marker}`, `anon-${marker}`]);
    // Nothing stale is left under the old ids (renamed replacements included).
    const all = await listContainers(engine, { project, all: true });
    expect(all.map((c) => c.id).sort()).toEqual(Object.values(now).sort());
    first = now;
  });

  it('scale up to 3 adds numbers 2 and 3; back to 1 removes the highest numbers', async () => {
    const p = await load(dir);
    const scaled = await up(engine, p, { scale: { other: 3 } });
    const others = await listContainers(engine, { project, service: 'other', all: true });
    expect(others.map((c) => c.number).sort()).toEqual([1, 2, 3]);
    expect(others.every((c) => c.state === 'running')).toBe(true);
    expect(scaled.containers.other!.map((c) => c.number)).toEqual([1, 2, 3]);
    expect(scaled.containers.other![0]!.id).toBe(first.other);
    expect(await ids()).toEqual(first);

    const back = await up(engine, p, {});
    const left = await listContainers(engine, { project, service: 'other', all: true });
    expect(left.map((c) => ({ number: c.number, id: c.id }))).toEqual([{ number: 1, id: first.other }]);
    expect(back.containers.other!.map((c) => c.id)).toEqual([first.other]);
    expect(back.unchanged).toBe(false);
  });

  it('a service removed from the file: its container is an orphan (warned, kept) until removeOrphans', async () => {
    await writeStack(stack({ dbVersion: '2', withOther: false }), dir);
    const p = await load(dir);
    const progress = progressLog();
    await up(engine, p, { onProgress: progress.listener });
    const warning = progress.events.find((e) => e.action === 'orphan' && e.state === 'warning');
    expect(warning?.name).toBe(`${project}-other-1`);
    expect(warning?.message).toMatch(/remove-orphans/);
    expect((await listContainers(engine, { project, service: 'other', all: true })).map((c) => c.id)).toEqual([first.other]);

    const removed = await up(engine, p, { removeOrphans: true });
    // Removing the orphan is part of up: it is gone by the time up resolves.
    expect(await listContainers(engine, { project, service: 'other', all: true })).toEqual([]);
    expect(removed.unchanged).toBe(false);
    const now = await ids();
    expect(now.db).toBe(first.db);
    expect(now.app).toBe(first.app);
  });
});
