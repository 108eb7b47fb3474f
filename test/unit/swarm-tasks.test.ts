/** Reading tasks: converged, progressing or failed for each dependency condition, and the rows of ps. */
import { describe, expect, it } from 'vitest';
import { type ServiceSpec, type Task, type TaskState } from '../../src/engine/api/swarm.js';
import { describeTasks, taskConvergence, wantOf } from '../../src/swarm/index.js';
import { humanDuration, TRANSIENT_GRACE_MS } from '../../src/swarm/tasks.js';

let seq = 0;
function task(state: TaskState, extra: Partial<Task> & { err?: string; exitCode?: number; at?: string } = {}): Task {
  const { err, exitCode, at, ...rest } = extra;
  seq++;
  return {
    ID: `t${seq}`,
    ServiceID: 'svc1',
    Slot: 1,
    NodeID: 'n1',
    CreatedAt: at ?? `2026-01-01T10:00:${String(seq % 60).padStart(2, '0')}.000000000Z`,
    DesiredState: state === 'complete' ? 'complete' : FINAL.includes(state) ? 'shutdown' : 'running',
    Status: {
      State: state,
      Timestamp: at ?? `2026-01-01T10:00:${String(seq % 60).padStart(2, '0')}.000000000Z`,
      ...(err !== undefined ? { Err: err } : {}),
      ...(exitCode !== undefined ? { ContainerStatus: { ContainerID: `c${seq}`, ExitCode: exitCode } } : {}),
    },
    ...rest,
  };
}
const FINAL: TaskState[] = ['failed', 'rejected', 'shutdown'];

describe('taskConvergence: replicated services', () => {
  const want = { mode: 'replicated' as const, replicas: 3, condition: 'service_started' as const };

  it('progresses until every slot has a running task, then converges', () => {
    expect(taskConvergence([task('running', { Slot: 1 }), task('running', { Slot: 2 }), task('starting', { Slot: 3 })], want))
      .toEqual({ state: 'progressing', ready: 2, wanted: 3 });
    expect(taskConvergence([task('running', { Slot: 1 }), task('running', { Slot: 2 }), task('running', { Slot: 3 })], want))
      .toEqual({ state: 'converged' });
  });

  it('does not count a task being shut down, nor two tasks of one slot twice', () => {
    const old = { ...task('running', { Slot: 2 }), DesiredState: 'shutdown' as const };
    expect(taskConvergence([task('running', { Slot: 1 }), task('running', { Slot: 1 }), old], want))
      .toEqual({ state: 'progressing', ready: 1, wanted: 3 });
  });

  it('waits for running on service_healthy too: a task with a healthcheck is running only once healthy', () => {
    const w = { ...want, replicas: 1, condition: 'service_healthy' as const };
    expect(taskConvergence([task('starting')], w)).toEqual({ state: 'progressing', ready: 0, wanted: 1 });
    expect(taskConvergence([task('running')], w)).toEqual({ state: 'converged' });
  });

  it('converges at once when scaled to zero', () => {
    expect(taskConvergence([], { ...want, replicas: 0 })).toEqual({ state: 'converged' });
  });
});

describe('taskConvergence: failing fast', () => {
  const want = { mode: 'replicated' as const, replicas: 2, condition: 'service_started' as const };

  it('fails at the first rejection no retry can fix, with the error and the node', () => {
    const r = taskConvergence([task('rejected', { Slot: 1, NodeID: 'node-a', err: 'No such image: shop/web:9' }), task('running', { Slot: 2 })], want);
    expect(r.state).toBe('failed');
    if (r.state !== 'failed') return;
    expect(r.reason).toBe('task in slot 1 on node node-a rejected: No such image: shop/web:9');
    expect(r.errors).toEqual([expect.objectContaining({ slot: 1, nodeId: 'node-a', state: 'rejected', error: 'No such image: shop/web:9' })]);
  });

  it('lets one failure of a slot retry, and fails when the same slot fails again', () => {
    const first = task('failed', { Slot: 1, NodeID: 'node-a', err: 'task: non-zero exit (1)', exitCode: 1 });
    expect(taskConvergence([first, task('starting', { Slot: 1 }), task('running', { Slot: 2 })], want).state).toBe('progressing');
    const second = task('failed', { Slot: 1, NodeID: 'node-b', err: 'task: non-zero exit (137): dockerexec: unhealthy container', exitCode: 137 });
    const r = taskConvergence([first, second, task('running', { Slot: 2 })], want);
    expect(r).toMatchObject({ state: 'failed', reason: '2 tasks failed in slot 1; the last: task: non-zero exit (137): dockerexec: unhealthy container' });
    if (r.state !== 'failed') return;
    expect(r.errors.map((e) => [e.nodeId, e.exitCode])).toEqual([['node-a', 1], ['node-b', 137]]);
  });

  it('does not add up single failures of different slots', () => {
    const r = taskConvergence([task('failed', { Slot: 1, err: 'x' }), task('failed', { Slot: 2, err: 'y' })], want);
    expect(r).toEqual({ state: 'progressing', ready: 0, wanted: 2 });
  });

  it('ignores tasks from before the deploy and from earlier job runs', () => {
    const old = [task('failed', { err: 'boom', at: '2026-01-01T09:00:00Z' }), task('failed', { err: 'boom', at: '2026-01-01T09:00:01Z' })];
    expect(taskConvergence([...old, task('running', { Slot: 1 }), task('running', { Slot: 2 })], { ...want, since: '2026-01-01T09:30:00Z' }))
      .toEqual({ state: 'converged' });
    expect(taskConvergence(old, want).state).toBe('failed');
    const job = { mode: 'replicated-job' as const, replicas: 1, condition: 'service_completed_successfully' as const, jobIteration: 2 };
    expect(taskConvergence([task('complete', { JobIteration: { Index: 1 } })], job)).toEqual({ state: 'progressing', ready: 0, wanted: 1 });
    expect(taskConvergence([task('complete', { JobIteration: { Index: 2 } })], job)).toEqual({ state: 'converged' });
  });

  it('lets a node race on an overlay sandbox retry for the grace period, then fails with it', () => {
    // Seen in CI: two tasks of a new service rejected within a second by libnetwork's race; the
    // manager's next task joins once the node has destroyed the stale sandbox.
    const vx = 'network sandbox join failed: subnet sandbox join failed for "10.0.4.0/24": error creating vxlan interface: file exists';
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const two = [task('rejected', { err: vx, at: at(0) }), task('rejected', { err: vx, at: at(900) }), task('running', { Slot: 2 })];
    expect(taskConvergence(two, { ...want, now: t0 + 1_000 })).toEqual({ state: 'progressing', ready: 1, wanted: 2 });
    expect(taskConvergence([...two, task('running', { Slot: 1 })], { ...want, now: t0 + 3_000 })).toEqual({ state: 'converged' });
    // Still failing after the grace period (or the manager stopped retrying): given up, with the error.
    const late = taskConvergence(two, { ...want, now: t0 + TRANSIENT_GRACE_MS });
    expect(late).toMatchObject({ state: 'failed', reason: `2 tasks failed in slot 1; the last: ${vx}` });
    const span = [...two, task('rejected', { err: vx, at: at(TRANSIENT_GRACE_MS + 10) })];
    expect(taskConvergence(span, want).state).toBe('failed');
    // A slot that also failed for another reason gets no grace.
    const mixed = [task('rejected', { err: vx, at: at(0) }), task('failed', { err: 'task: non-zero exit (1)', at: at(500) })];
    expect(taskConvergence(mixed, { ...want, now: t0 + 1_000 }).state).toBe('failed');
  });

  it('honours a higher failAfter', () => {
    const two = [task('failed', { err: 'x' }), task('failed', { err: 'x' })];
    expect(taskConvergence(two, { ...want, failAfter: 3 }).state).toBe('progressing');
  });

  it('fails when the manager paused or rolled back the update', () => {
    const r = taskConvergence([task('running', { Slot: 1 }), task('running', { Slot: 2 })], {
      ...want, updateStatus: { State: 'rollback_completed', Message: 'rollback completed' },
    });
    expect(r).toMatchObject({ state: 'failed', reason: 'the update rollback completed: rollback completed' });
    expect(taskConvergence([], { ...want, updateStatus: { State: 'paused' } }).state).toBe('failed');
    expect(taskConvergence([task('running', { Slot: 1 }), task('running', { Slot: 2 })], { ...want, updateStatus: { State: 'completed' } }).state).toBe('converged');
  });
});

describe('taskConvergence: jobs and global services', () => {
  it('a replicated job completes when every completion is done; started counts finished tasks too', () => {
    // The manager numbers a replicated job's slots from 0 and wants its tasks `complete`, even while they run.
    const want = { mode: 'replicated-job' as const, replicas: 3, condition: 'service_completed_successfully' as const };
    const tasks = [task('complete', { Slot: 0 }), task('complete', { Slot: 1 }), task('running', { Slot: 2, DesiredState: 'complete' })];
    expect(taskConvergence(tasks, want)).toEqual({ state: 'progressing', ready: 2, wanted: 3 });
    expect(taskConvergence([...tasks, task('complete', { Slot: 2 })], want)).toEqual({ state: 'converged' });
    expect(taskConvergence(tasks, { ...want, condition: 'service_started' })).toEqual({ state: 'converged' });
    expect(taskConvergence([task('running', { Slot: 0, DesiredState: 'complete' })], { ...want, replicas: 1, condition: 'service_started' }))
      .toEqual({ state: 'converged' });
    // Two completions on one node are still two slots.
    expect(taskConvergence([task('complete', { Slot: 0, NodeID: 'n1' }), task('complete', { Slot: 1, NodeID: 'n1' })], { ...want, replicas: 2 }))
      .toEqual({ state: 'converged' });
  });

  it('counts a failure in slot 0 of a replicated job against that slot', () => {
    const want = { mode: 'replicated-job' as const, replicas: 2, condition: 'service_completed_successfully' as const };
    const r = taskConvergence([task('failed', { Slot: 0, err: 'x' }), task('failed', { Slot: 0, err: 'y' })], want);
    expect(r).toMatchObject({ state: 'failed', reason: '2 tasks failed in slot 0; the last: y' });
  });

  it('a job whose task exits non-zero twice fails with the exit code', () => {
    const want = { mode: 'replicated-job' as const, replicas: 1, condition: 'service_completed_successfully' as const };
    const r = taskConvergence([task('failed', { err: 'task: non-zero exit (3)', exitCode: 3 }), task('failed', { err: 'task: non-zero exit (3)', exitCode: 3 })], want);
    expect(r).toMatchObject({ state: 'failed', errors: [{ exitCode: 3 }, { exitCode: 3 }] });
  });

  it('a global service wants one running task per node: as many as the runner says, else every listed node', () => {
    const g = (nodeId: string, state: TaskState) => task(state, { Slot: 0, NodeID: nodeId });
    const want = { mode: 'global' as const, condition: 'service_started' as const };
    expect(taskConvergence([g('n1', 'running'), g('n2', 'preparing')], want)).toEqual({ state: 'progressing', ready: 1, wanted: 2 });
    expect(taskConvergence([g('n1', 'running'), g('n2', 'running')], want)).toEqual({ state: 'converged' });
    expect(taskConvergence([g('n1', 'running'), g('n2', 'running')], { ...want, nodes: 3 })).toEqual({ state: 'progressing', ready: 2, wanted: 3 });
    expect(taskConvergence([], want)).toEqual({ state: 'progressing', ready: 0, wanted: 1 });
    const r = taskConvergence([g('n2', 'failed'), task('failed', { Slot: 0, NodeID: 'n2', err: 'oom' })], want);
    expect(r).toMatchObject({ state: 'failed', reason: '2 tasks failed in node n2; the last: oom' });
  });

  it('derives mode and replicas from a spec', () => {
    const spec = (Mode: ServiceSpec['Mode']): ServiceSpec => ({ Name: 's', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'x' } }, Mode });
    expect(wantOf(spec({ Replicated: { Replicas: 4 } }), 'service_started')).toEqual({ mode: 'replicated', replicas: 4, condition: 'service_started' });
    expect(wantOf(spec({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 5 } }), 'service_completed_successfully'))
      .toEqual({ mode: 'replicated-job', replicas: 5, condition: 'service_completed_successfully' });
    expect(wantOf(spec({ Global: {} }), 'service_healthy')).toEqual({ mode: 'global', condition: 'service_healthy' });
    expect(wantOf(spec({ GlobalJob: {} }), 'service_started').mode).toBe('global-job');
  });
});

describe('describeTasks', () => {
  it('names tasks <service>.<slot> (or .<node id> for global), newest first per name, older ones marked as history', () => {
    const now = new Date('2026-01-01T10:10:00Z');
    const base = { ServiceID: 'svc1', Spec: { ContainerSpec: { Image: 'shop/web:1' } } };
    const tasks: Task[] = [
      { ...base, ID: 'a', Slot: 10, NodeID: 'n1', DesiredState: 'running', Status: { State: 'running', Timestamp: '2026-01-01T10:05:00Z' } },
      { ...base, ID: 'b', Slot: 9, NodeID: 'n2', DesiredState: 'running', Status: {
        State: 'running', Timestamp: '2026-01-01T10:09:58Z', PortStatus: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] },
      } },
      { ...base, ID: 'c', Slot: 9, NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'failed', Timestamp: '2026-01-01T09:10:00Z', Err: 'task: non-zero exit (1)' } },
      { ID: 'd', ServiceID: 'svc2', NodeID: 'n3', DesiredState: 'running', Status: { State: 'preparing', Timestamp: '2026-01-01T10:09:59.5Z' } },
    ];
    const rows = describeTasks(tasks, { services: { svc1: 'shop_web', svc2: 'shop_agent' }, nodes: { n1: 'alpha', n2: 'beta' }, now });
    expect(rows).toEqual([
      { id: 'd', name: 'shop_agent.n3', service: 'shop_agent', image: '', node: 'n3', desired: 'Running', current: 'Preparing less than a second ago', error: '', ports: '', history: false },
      { id: 'b', name: 'shop_web.9', service: 'shop_web', slot: 9, image: 'shop/web:1', node: 'beta', desired: 'Running', current: 'Running 2 seconds ago', error: '', ports: '*:8080->80/tcp', history: false },
      { id: 'c', name: 'shop_web.9', service: 'shop_web', slot: 9, image: 'shop/web:1', node: 'beta', desired: 'Shutdown', current: 'Failed about an hour ago', error: 'task: non-zero exit (1)', ports: '', history: true },
      { id: 'a', name: 'shop_web.10', service: 'shop_web', slot: 10, image: 'shop/web:1', node: 'alpha', desired: 'Running', current: 'Running 5 minutes ago', error: '', ports: '', history: false },
    ]);
  });

  it('prints durations as docker service ps does (go-units HumanDuration, lower case)', () => {
    const s = 1000;
    expect([0, 1, 59, 60, 119, 3599, 3600, 5400, 47 * 3600, 3 * 86400, 20 * 86400, 90 * 86400, 800 * 86400].map((x) => humanDuration(x * s))).toEqual([
      'less than a second', '1 second', '59 seconds', 'about a minute', 'about a minute', '59 minutes', 'about an hour', '2 hours',
      '47 hours', '3 days', '2 weeks', '3 months', '2 years',
    ]);
  });
});
