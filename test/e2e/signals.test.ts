/**
 * Ctrl-C and concurrency on the real engine, through the CLI as a user runs it.
 *
 * - The first SIGINT during `up` cancels what is pending and stops what this run started;
 *   the run exits 130, everything left carries the project's labels, and the next `up`
 *   converges. A second SIGINT exits at once.
 * - Two `up`s on one project are serialised by the project lock; with --no-wait-lock the
 *   second fails fast with exit code 6.
 *
 * The moment to interrupt is read from the `--progress json` stream on stderr: the dependent's
 * `wait` event, while its dependency is still ~3 s away from healthy.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type NetworkSummary, type VolumeSummary } from '../../src/engine/engine.js';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { LABEL } from '../../src/labels.js';
import { BIN, IMAGE, e2eScope, tug } from './helpers.js';
import { listContainers, listNetworks, listVolumes } from '../../src/run/observe.js';

/** Every tug started here: a failed test must not leave one creating containers after cleanup. */
const children: Running[] = [];
const scope = e2eScope({ beforeCleanup: () => Promise.all(children.map((c) => c.exit)) });
const { engine } = scope;

interface JsonEvent {
  resource: string;
  name: string;
  service?: string;
  action: string;
  state: string;
  time: string;
  message?: string;
}

interface Running {
  pid: number;
  events: JsonEvent[];
  stderr: () => string;
  /** Resolves with the first event matching, as soon as it arrives. */
  event: (match: (e: JsonEvent) => boolean, what: string) => Promise<JsonEvent>;
  signal: (s: NodeJS.Signals) => void;
  exit: Promise<{ code: number | null; at: number }>;
}

/** `tug ARGS --progress json`, with stderr parsed as it streams. */
function start(args: string[], cwd: string): Running {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', TUG_DEBUG: '' };
  for (const k of Object.keys(env)) if (k.startsWith('COMPOSE_')) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args, '--progress', 'json'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const events: JsonEvent[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        events.push(JSON.parse(line) as JsonEvent);
      } catch {
        continue;
      }
      for (const w of [...waiters]) w();
    }
  });
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exit.then(() => clearTimeout(timeout));
  const running: Running = {
    pid: child.pid!,
    events,
    stderr: () => stderr,
    signal: (s) => void child.kill(s),
    exit,
    event: (match, what) => new Promise((resolve, reject) => {
      const check = () => {
        const hit = events.find(match);
        if (!hit) return;
        waiters.splice(waiters.indexOf(check), 1);
        resolve(hit);
      };
      waiters.push(check);
      check();
      void exit.then(() => setTimeout(() => reject(new Error(`tug exited before ${what}; stderr:\n${stderr}`)), 50));
    }),
  };
  children.push(running);
  return running;
}

interface Snapshot {
  containers: ContainerSummary[];
  networks: NetworkSummary[];
  volumes: VolumeSummary[];
}

/** Everything on the engine, whoever made it. */
async function snapshot(): Promise<Snapshot> {
  return {
    containers: await listContainers(engine, { all: true }),
    networks: await listNetworks(engine, {}),
    volumes: await listVolumes(engine, {}),
  };
}

/**
 * What appeared since `before` without the project's label and could be this test's: other
 * e2e files run alongside and make unlabelled things of their own, named after their own
 * projects; an anonymous volume counts only when one of this project's containers mounts it.
 */
async function unlabelledSince(before: Snapshot, project: string): Promise<string[]> {
  const after = await snapshot();
  const foreign = (name: string) => name.includes('tuge2e-') && !name.includes(project);
  const ours = await listContainers(engine, { project, all: true });
  const mounted = new Set<string>();
  for (const c of ours) for (const m of (await engine.containers.inspect(c.id)).mounts) if (m.name) mounted.add(m.name);
  const unlabelled = (labels: Record<string, string>) => labels[LABEL.project] === undefined;
  const oldC = new Set(before.containers.map((c) => c.id));
  const oldN = new Set(before.networks.map((n) => n.id));
  const oldV = new Set(before.volumes.map((v) => v.name));
  return [
    ...after.containers.filter((c) => !oldC.has(c.id) && unlabelled(c.labels) && !foreign(c.name)).map((c) => `container ${c.name}`),
    ...after.networks.filter((n) => !oldN.has(n.id) && unlabelled(n.labels) && !foreign(n.name)).map((n) => `network ${n.name}`),
    ...after.volumes
      .filter((v) => !oldV.has(v.name) && unlabelled(v.labels) && !foreign(v.name) && (!/^[0-9a-f]{64}$/.test(v.name) || mounted.has(v.name)))
      .map((v) => `volume ${v.name}`),
  ];
}

/** db turns healthy ~3 s after it starts; app waits for that; side starts at once. */
function gatedStack(project: string, side = `    init: true\n    command: ["sleep", "300"]`): string {
  return `
name: ${project}
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 300"]
    volumes: ["data:/data"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 500ms
      timeout: 2s
      retries: 30
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      db:
        condition: service_healthy
  side:
    image: ${IMAGE}
${side}
volumes:
  data: {}
`;
}

async function stack(what: string, yaml: (project: string) => string): Promise<{ project: string; dir: string }> {
  const project = scope.project(what);
  const dir = await scope.stack(yaml(project));
  return { project, dir };
}

const appWaits = (e: JsonEvent) => e.resource === 'service' && e.service === 'app' && e.action === 'wait' && e.state === 'working';

async function states(project: string): Promise<Record<string, string>> {
  const list = await listContainers(engine, { project, all: true });
  return Object.fromEntries(list.map((c) => [c.service, c.state]));
}

describe('signals during up', () => {
  it('the first SIGINT while a dependent waits on a health gate: stops what started, exits 130, labels everything; the next up converges', async () => {
    const { project, dir } = await stack('sigint', gatedStack);
    const before = await snapshot();
    const run = start(['up', '-d'], dir);
    await run.event(appWaits, 'app waiting for db');
    run.signal('SIGINT');
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(130);

    // Pending work was dropped: app was never started. What had started was stopped, dependents first.
    expect(await states(project)).toEqual({ db: 'exited', side: 'exited', app: 'created' });
    const stopped = run.events.filter((e) => e.action === 'stop' && e.state === 'done').map((e) => e.service).sort();
    expect(stopped).toEqual(['db', 'side']);
    expect(run.events.some((e) => e.service === 'app' && e.action === 'start')).toBe(false);

    expect(await unlabelledSince(before, project)).toEqual([]);
    const labelled = await snapshot();
    const mine = (labels: Record<string, string>) => labels[LABEL.project] === project;
    expect(labelled.containers.filter((c) => mine(c.labels))).toHaveLength(3);
    expect(labelled.networks.filter((n) => mine(n.labels)).map((n) => n.name)).toEqual([`${project}_default`]);
    expect(labelled.volumes.filter((v) => mine(v.labels)).map((v) => v.name)).toEqual([`${project}_data`]);

    const again = await tug(['up', '-d'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(await states(project)).toEqual({ db: 'running', side: 'running', app: 'running' });
  });

  it('a second SIGINT while the first is still stopping exits at once, leaving only labelled resources', async () => {
    // side ignores SIGTERM, so a graceful stop of it would take its whole 30 s grace period.
    const { project, dir } = await stack('sigint2', (p) => gatedStack(p, [
      `    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]`,
      '    stop_grace_period: 30s',
    ].join('\n')));
    const before = await snapshot();
    const run = start(['up', '-d'], dir);
    await run.event(appWaits, 'app waiting for db');
    run.signal('SIGINT');
    await run.event((e) => e.service === 'side' && e.action === 'stop' && e.state === 'working', 'side stopping');
    const second = Date.now();
    run.signal('SIGINT');
    const { code, at } = await run.exit;
    expect(code, run.stderr()).toBe(130);
    expect(at - second).toBeLessThan(2000);
    expect(await unlabelledSince(before, project)).toEqual([]);
  });
});

describe('the project lock', () => {
  it('two concurrent ups on one project run one after the other and both succeed', async () => {
    const { project, dir } = await stack('lock', gatedStack);
    const a = start(['up', '-d'], dir);
    const b = start(['up', '-d'], dir);
    const [ea, eb] = await Promise.all([a.exit, b.exit]);
    expect(ea.code, a.stderr()).toBe(0);
    expect(eb.code, b.stderr()).toBe(0);

    const waitedFor = (w: Running, h: Running) => w.stderr().includes(`waiting for another tug command on project ${project} (pid ${h.pid}: tug up)`);
    const [waiter, holder] = waitedFor(b, a) ? [b, a] : [a, b];
    expect(waitedFor(waiter, holder), `neither waited:\n${a.stderr()}\n---\n${b.stderr()}`).toBe(true);
    expect(waitedFor(holder, waiter)).toBe(false);
    // Nothing the waiter did to containers overlaps what the holder did.
    const t = (e: JsonEvent) => Date.parse(e.time);
    const holderLast = Math.max(...holder.events.map(t));
    const waiterWork = waiter.events.filter((e) => e.resource === 'container');
    for (const e of waiterWork) expect(t(e)).toBeGreaterThanOrEqual(holderLast);
    expect(holder.events.filter((e) => e.action === 'create' && e.state === 'done')).not.toHaveLength(0);
    expect(await states(project)).toEqual({ db: 'running', side: 'running', app: 'running' });
  });

  it('--no-wait-lock fails fast with exit code 6, naming the holder\'s pid', async () => {
    const { project, dir } = await stack('nowait', gatedStack);
    const holder = start(['up', '-d'], dir);
    // Its first progress event comes from inside the lock.
    await holder.event(() => true, 'first progress event');
    const t0 = Date.now();
    const r = await tug(['up', '-d', '--no-wait-lock'], dir);
    expect(r.code, r.stderr).toBe(6);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.stderr).toContain(`project ${project} is being changed by another tug command (pid ${holder.pid}: tug up)`);
    expect((await holder.exit).code, holder.stderr()).toBe(0);
  });
});
