/**
 * Lifecycle hooks on the fake engine: post_start by exec once a container has started (and
 * before its dependents start), pre_stop by exec before each stop within the grace period,
 * pre_start in its own container before the first replica starts; output in progress, and a
 * failure reported with its exit code and output (exit 5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { down } from '../../src/run/down.js';
import { restart, start, stop } from '../../src/run/lifecycle.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import { up } from '../../src/run/up.js';
import type { Project, Service } from '../../src/stack/model.js';
import { FakeEngine } from '../fake-engine.js';
import { makeService } from '../support.js';

const fakes: FakeEngine[] = [];
function engine(): FakeEngine {
  const f = new FakeEngine({ images: ['busybox'], msPerSecond: 20 });
  fakes.push(f);
  return f;
}
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
});

function project(services: Service[]): Project {
  return {
    name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'], disabled_services: {},
    networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
  };
}

const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'busybox', ...extra });

function recorder(): { events: ProgressEvent[]; onProgress: (e: ProgressEvent) => void } {
  const events: ProgressEvent[] = [];
  return { events, onProgress: (e) => void events.push(e) };
}

/** The calls that matter here, in order: `start x`, `exec x: cmd`, `stop x (n)`, `create x`. */
function story(fake: FakeEngine): string[] {
  return fake.calls.flatMap((c) => {
    if (c.method === 'containers.start') return [`start ${c.target}`];
    if (c.method === 'containers.stop') return [`stop ${c.target} (${String(c.args[1])})`];
    if (c.method === 'containers.create') return [`create ${String(c.args[0])}`];
    if (c.method === 'exec.start') return [`exec ${c.target}: ${(c.args[1] as { cmd: string[] }).cmd.join(' ')}`];
    return [];
  });
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string; exitCode?: number; hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('post_start', () => {
  it('runs each hook by exec, in order, once the container started and before its dependents start', async () => {
    const fake = engine();
    fake.onExec('sh -c echo one', { stdout: 'one\n' });
    const db = svc('db', {
      post_start: [
        { command: ['sh', '-c', 'echo one'], user: 'root', working_dir: '/srv', privileged: true, environment: { A: '1', B: null } },
        { command: ['true'] },
      ],
    });
    const web = svc('web', { depends_on: { db: { condition: 'service_started', required: true, restart: false } } });
    const { events, onProgress } = recorder();
    await up(fake, project([db, web]), { onProgress });
    const s = story(fake).filter((l) => !l.startsWith('create'));
    expect(s).toEqual(['start p-db-1', 'exec p-db-1: sh -c echo one', 'exec p-db-1: true', 'start p-web-1']);
    const opts = fake.callsTo('exec.start')[0]!.args[1];
    expect(opts).toMatchObject({ user: 'root', workdir: '/srv', privileged: true, env: ['A=1'], tty: false, stdin: false });
    const line = events.find((e) => e.hook === 'post_start[0]');
    expect(line).toMatchObject({ resource: 'container', name: 'p-db-1', action: 'start', state: 'working', message: 'one' });
  });

  it('fails up with exit 5, the hook\'s exit code and its output, leaving the container running', async () => {
    const fake = engine();
    fake.onExec(/exit 3/, { stdout: 'doing\n', stderr: 'it broke\n', exitCode: 3 });
    const e = await failure(up(fake, project([svc('db', { post_start: [{ command: ['sh', '-c', 'echo doing; exit 3'] }] })])));
    expect(e).toMatchObject({ code: 'hook_failed', exitCode: 5 });
    expect(e.message).toContain('service "db": post_start[0] hook (sh -c echo doing; exit 3) exited with code 3');
    expect(e.message).toContain('  > doing');
    expect(e.message).toContain('  > it broke');
    expect(fake.container('p-db-1')?.state).toBe('running');
  });
});

describe('pre_stop', () => {
  const withHook = (extra: Partial<Service> = {}) => svc('db', { pre_stop: [{ command: ['flush'] }], ...extra });

  it('runs before the stop on stop, down, restart and a recreate', async () => {
    const fake = engine();
    await up(fake, project([withHook()]));
    const mark = () => fake.calls.length;
    let from = mark();
    await stop(fake, project([withHook()]));
    expect(story(fake).slice(-2)).toEqual(['exec p-db-1: flush', 'stop p-db-1 (10)']);
    await up(fake, project([withHook()]));
    from = mark();
    await restart(fake, project([withHook()]));
    expect(fake.calls.slice(from).some((c) => c.method === 'exec.start')).toBe(true);
    // A recreate: the replaced container's hooks run before it is stopped.
    from = mark();
    await up(fake, project([withHook({ environment: { V: '2' } })]));
    const recreate = fake.calls.slice(from).filter((c) => c.method === 'exec.start' || c.method === 'containers.stop').map((c) => c.method);
    expect(recreate).toEqual(['exec.start', 'containers.stop']);
    from = mark();
    await down(fake, 'p', project([withHook({ environment: { V: '2' } })]));
    expect(fake.calls.slice(from).filter((c) => c.method === 'exec.start' || c.method === 'containers.stop').map((c) => c.method))
      .toEqual(['exec.start', 'containers.stop']);
  });

  it('gives the stop what the hooks left of the grace period, and abandons a hook that outlasts it', async () => {
    const fake = engine();
    fake.onExec('slow', { delayMs: 3000 });
    const p = project([svc('db', { stop_grace_period: '1s', pre_stop: [{ command: ['slow'] }] })]);
    await up(fake, p);
    const { events, onProgress } = recorder();
    const t0 = Date.now();
    await stop(fake, p, { onProgress });
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(story(fake).at(-1)).toBe('stop p-db-1 (0)');
    expect(events.find((e) => e.state === 'warning')?.message).toContain('pre_stop[0] did not finish within the 1s stop grace period');
  });

  it('a failing hook fails the stop (exit 5) and leaves the container running, as Compose does', async () => {
    const fake = engine();
    fake.onExec('flush', { stderr: 'disk full\n', exitCode: 1 });
    await up(fake, project([withHook()]));
    const e = await failure(down(fake, 'p', project([withHook()])));
    expect(e).toMatchObject({ code: 'hook_failed', exitCode: 5 });
    expect(e.message).toContain('  > disk full');
    expect(e.hint).toContain('tug kill db');
    expect(fake.container('p-db-1')?.state).toBe('running');
  });
});

describe('pre_start', () => {
  it('runs each step in its own container sharing the first replica\'s volumes, before any replica starts, then removes it', async () => {
    const fake = engine();
    fake.onContainer({ labels: [`${LABEL.hook}=pre_start`] }, { output: ['migrating'], exit: { code: 0 } });
    const db = svc('db', {
      scale: 2, environment: { ROLE: 'db' },
      pre_start: [{ command: ['migrate'], environment: { STEP: '1' } }, { image: 'busybox', command: ['check'], user: 'nobody' }],
    });
    const { events, onProgress } = recorder();
    await up(fake, project([db]), { onProgress });
    const s = story(fake);
    const firstStart = s.findIndex((l) => /^start p-db-\d/.test(l));
    const hookStarts = s.map((l, i) => [l, i] as const).filter(([l]) => /^start p-db-pre_start-/.test(l)).map(([, i]) => i);
    expect(hookStarts).toHaveLength(2);
    expect(hookStarts.every((i) => i < firstStart)).toBe(true);
    const creates = fake.callsTo('containers.create').filter((c) => /pre_start/.test(String(c.args[0])));
    const [first, second] = creates.map((c) => c.args[1]);
    expect(first).toMatchObject({ Image: 'busybox', Cmd: ['migrate'], Env: ['ROLE=db', 'STEP=1'], Labels: { [LABEL.hook]: 'pre_start', [LABEL.oneoff]: 'True' } });
    expect(first!.HostConfig?.VolumesFrom).toEqual([fake.container('p-db-1')!.id]);
    expect(second).toMatchObject({ Cmd: ['check'], User: 'nobody' });
    expect(fake.containerNames().filter((n) => n.includes('pre_start'))).toEqual([]);
    expect(events.filter((e) => e.hook === 'pre_start[0]').map((e) => e.message)).toEqual(['migrating']);
    expect(events.find((e) => e.action === 'pre_start' && e.state === 'done')).toBeDefined();
  });

  it('does not run again while a replica runs on (a scale up), and runs on a recreate', async () => {
    const fake = engine();
    fake.onContainer({ labels: [`${LABEL.hook}=pre_start`] }, { exit: { code: 0 } });
    const db = (extra: Partial<Service> = {}) => svc('db', { pre_start: [{ command: ['migrate'] }], ...extra });
    const runs = () => fake.callsTo('containers.create').filter((c) => /pre_start/.test(String(c.args[0]))).length;
    await up(fake, project([db()]));
    expect(runs()).toBe(1);
    await up(fake, project([db({ scale: 2 })]));
    expect(runs()).toBe(1);
    await up(fake, project([db({ scale: 2, environment: { V: '2' } })]));
    expect(runs()).toBe(2);
    // `start` of a service none of whose replicas runs, as Compose's start; not `restart`.
    await stop(fake, project([db({ scale: 2, environment: { V: '2' } })]));
    await start(fake, project([db({ scale: 2, environment: { V: '2' } })]));
    expect(runs()).toBe(3);
    await restart(fake, project([db({ scale: 2, environment: { V: '2' } })]));
    expect(runs()).toBe(3);
  });

  it('a failing step keeps its container for inspection, starts no replica, and fails with its output (exit 5)', async () => {
    const fake = engine();
    fake.onContainer({ labels: [`${LABEL.hook}=pre_start`] }, { output: [{ stream: 'stderr', text: 'no database' }], exit: { code: 4 } });
    const e = await failure(up(fake, project([svc('db', { pre_start: [{ command: ['migrate'] }] })])));
    expect(e).toMatchObject({ code: 'hook_failed', exitCode: 5 });
    expect(e.message).toContain('pre_start[0] hook (migrate) exited with code 4');
    expect(e.message).toContain('  > no database');
    const kept = fake.containerNames().filter((n) => n.includes('pre_start'));
    expect(kept).toHaveLength(1);
    expect(e.hint).toContain(kept[0]);
    expect(fake.container('p-db-1')?.state).toBe('created');
    // The next run removes what the failed one left.
    fake.onContainer({ labels: [`${LABEL.hook}=pre_start`] }, { exit: { code: 0 } });
    await up(fake, project([svc('db', { pre_start: [{ command: ['migrate'] }] })]));
    expect(fake.containerNames().filter((n) => n.includes('pre_start'))).toEqual([]);
    expect(fake.container('p-db-1')?.state).toBe('running');
  });
});
