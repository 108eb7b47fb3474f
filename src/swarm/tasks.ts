/**
 * Reading a service's tasks: has it met a dependency condition, is it still getting there, or
 * has it failed? And the rows `ps` prints. Pure: the runner lists tasks and asks again.
 *
 * A task with a healthcheck (the service's or the image's) is reported `running` only once it is
 * healthy: the node's executor holds the task in `starting` until the container's first healthy
 * event, and fails it when the container turns unhealthy first. So "running" already means
 * "healthy" where there is a healthcheck, and service_healthy waits for running tasks.
 */
import { type PortConfig, type ServiceSpec, type Task, type TaskSpec, type TaskState, type UpdateStatus } from '../engine/api/swarm.js';
import { canonicalJson } from '../engine/request/identity.js';
import { type Condition } from '../stack/model.js';
import { type ModeName } from './deploy.js';

export interface Want {
  mode: ModeName;
  /** Replicated modes: tasks wanted (for jobs, completions wanted). */
  replicas?: number;
  condition: Condition;
  /** Global modes: nodes expected to run a task, when the runner knows; else every listed node. */
  nodes?: number;
  /** Ignore tasks created before this instant (the service's UpdatedAt after the deploy call, on the manager's clock). */
  since?: string;
  /**
   * Count only tasks made from this task template (the service's, as the manager holds it):
   * after an update, the tasks still running the old spec are not this deploy's. A scale or a
   * label change keeps the template, and with it the tasks that already run.
   */
  template?: TaskSpec;
  /** Jobs: only this run's tasks (Service.JobStatus.JobIteration.Index). */
  jobIteration?: number;
  /** Service.UpdateStatus: a paused or rolled back update is a failure. */
  updateStatus?: UpdateStatus;
  /**
   * Only an update started at or after this instant (the service's UpdatedAt after this
   * deploy's call) is this deploy's: an older status, paused or not, is history.
   */
  updateSince?: string;
  /**
   * Converged only once the manager has finished the update, monitor period included: a task
   * that fails within `update_config.monitor` still pauses or rolls the update back (--wait).
   */
  untilUpdated?: boolean;
  /** Failed tasks in one slot (or on one node) before giving up; 2 by default. */
  failAfter?: number;
  /**
   * The runner's clock (ms): a slot whose tasks fail only with a node's transient set-up error
   * is given up once that has lasted `TRANSIENT_GRACE_MS`, even if the manager stops retrying.
   */
  now?: number;
}

/**
 * How long a slot may keep failing with transient node errors (see TRANSIENT) before tug gives
 * up on it. The manager retries such tasks by itself; 20 s covers the races seen here (a node
 * tearing down an overlay sandbox while a new task joins one) with room to spare.
 */
export const TRANSIENT_GRACE_MS = 20_000;

export interface TaskFailure {
  taskId: string;
  slot?: number;
  nodeId?: string;
  state: TaskState;
  error: string;
  exitCode?: number;
  at?: string;
}

export type Convergence =
  | { state: 'converged' }
  | { state: 'progressing'; ready: number; wanted: number }
  | { state: 'failed'; reason: string; errors: TaskFailure[] };

/** Mode and replica count from a spec, for `Want`. */
export function wantOf(spec: ServiceSpec, condition: Condition): Want {
  const m = spec.Mode;
  if (m.Global) return { mode: 'global', condition };
  if (m.GlobalJob) return { mode: 'global-job', condition };
  if (m.ReplicatedJob) return { mode: 'replicated-job', replicas: m.ReplicatedJob.TotalCompletions ?? 1, condition };
  return { mode: 'replicated', replicas: m.Replicated?.Replicas ?? 1, condition };
}

const FAILED: readonly TaskState[] = ['failed', 'rejected'];

// Errors no retry can fix: the node cannot get the image, or the spec cannot be mounted.
const PERMANENT = [
  /no such image/i, /pull access denied/i, /manifest unknown/i, /manifest for .* not found/i, /repository does not exist/i,
  /invalid reference format/i, /invalid mount config/i, /bind source path does not exist/i, /no such file or directory.*(exec|executable)/i,
  /executable file not found/i,
];

export function isPermanentError(err: string): boolean {
  return PERMANENT.some((re) => re.test(err));
}

// Errors of the node's own set-up that a retry does fix, once the node has finished what it
// was doing. The overlay one is libnetwork's race (moby/libnetwork#1765): a task joins an
// overlay network on a node that is still destroying a sandbox holding the same VXLAN, and is
// rejected with "error creating vxlan interface: file exists"; the manager's next task joins.
const TRANSIENT = [/network sandbox join failed/i, /error creating vxlan interface/i];

export function isTransientError(err: string): boolean {
  return TRANSIENT.some((re) => re.test(err));
}

export function taskConvergence(tasks: Task[], want: Want): Convergence {
  const failAfter = want.failAfter ?? 2;
  const global = want.mode === 'global' || want.mode === 'global-job';
  const job = want.mode === 'replicated-job' || want.mode === 'global-job';
  // Replicated tasks are numbered by slot (a replicated job's from 0); a global service's by node.
  const key = (t: Task) => (global ? `node ${t.NodeID ?? '?'}` : `slot ${t.Slot ?? 0}`);
  const since = want.since === undefined ? undefined : Date.parse(want.since);
  const template = want.template === undefined ? undefined : templateKey(want.template);
  const current = tasks.filter((t) => {
    if (since !== undefined && t.CreatedAt !== undefined && Date.parse(t.CreatedAt) < since) return false;
    if (template !== undefined && t.Spec !== undefined && templateKey(t.Spec) !== template) return false;
    if (want.jobIteration !== undefined && t.JobIteration !== undefined && t.JobIteration.Index !== want.jobIteration) return false;
    return true;
  });
  const failed = failures(current, global);

  const u = currentUpdate(want);
  if (u?.State === 'paused' || u?.State === 'rollback_started' || u?.State === 'rollback_paused' || u?.State === 'rollback_completed') {
    return { state: 'failed', reason: `the update ${u.State.replace('_', ' ')}${u.Message ? `: ${u.Message}` : ''}`, errors: failed };
  }

  const permanent = failed.find((f) => isPermanentError(f.error));
  if (permanent) return { state: 'failed', reason: `task ${where(permanent)} ${permanent.state}: ${permanent.error}`, errors: failed };
  const perKey = new Map<string, TaskFailure[]>();
  for (const f of failed) {
    const k = f.slot !== undefined ? `slot ${f.slot}` : `node ${f.nodeId ?? '?'}`;
    perKey.set(k, [...(perKey.get(k) ?? []), f]);
  }
  for (const [k, list] of perKey) {
    if (list.length < failAfter) continue;
    if (list.every((f) => isTransientError(f.error)) && !lastedTooLong(list, want.now)) continue;
    const last = list[list.length - 1]!;
    return { state: 'failed', reason: `${list.length} tasks failed in ${k}; the last: ${last.error}`, errors: failed };
  }

  // A job's tasks are meant to complete (desired state `complete`), a service's to keep running.
  const live = (t: Task) => t.DesiredState === (job ? 'complete' : 'running');
  const done = (t: Task) => t.Status.State === 'complete';
  const up = (t: Task) => t.Status.State === 'running' && live(t);
  // service_started of a job is met by a task that already finished as well as one still running.
  const meets = want.condition === 'service_completed_successfully' ? done : job ? (t: Task) => up(t) || done(t) : up;

  const ready = new Set(current.filter(meets).map(key)).size;
  const wanted = global ? want.nodes ?? Math.max(1, new Set(current.filter(live).map(key)).size) : want.replicas ?? 1;
  if (ready < wanted) return { state: 'progressing', ready, wanted };
  if (want.untilUpdated && u?.State === 'updating') return { state: 'progressing', ready, wanted };
  return { state: 'converged' };
}

/** Transient failures of one slot, oldest first: given up once they span the grace period. */
function lastedTooLong(list: TaskFailure[], now: number | undefined): boolean {
  const first = Date.parse(list[0]!.at ?? '');
  if (Number.isNaN(first)) return true;
  const last = Date.parse(list[list.length - 1]!.at ?? '');
  const latest = Math.max(Number.isNaN(last) ? first : last, now ?? first);
  return latest - first >= TRANSIENT_GRACE_MS;
}

function currentUpdate(want: Want): UpdateStatus | undefined {
  const u = want.updateStatus;
  if (!u || want.updateSince === undefined) return u;
  const started = u.StartedAt === undefined ? NaN : Date.parse(u.StartedAt);
  return started >= Date.parse(want.updateSince) ? u : undefined;
}

/**
 * A task's spec is a copy of its service's task template; the manager adds only `Runtime` to
 * the service's, so the two compare equal without it (the test swarmkit uses for a "dirty" task).
 */
function templateKey(spec: TaskSpec): string {
  const { Runtime: _runtime, ...rest } = spec as TaskSpec & { Runtime?: string };
  return canonicalJson(rest);
}

function failures(tasks: Task[], global: boolean): TaskFailure[] {
  return tasks
    .filter((t) => FAILED.includes(t.Status.State))
    .map((t) => ({
      taskId: t.ID,
      ...(global ? {} : { slot: t.Slot ?? 0 }),
      nodeId: t.NodeID || undefined,
      state: t.Status.State,
      error: t.Status.Err || t.Status.Message || t.Status.State,
      exitCode: t.Status.ContainerStatus?.ExitCode,
      at: t.Status.Timestamp,
    }))
    .sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
}

function where(f: TaskFailure): string {
  const node = f.nodeId ? `on node ${f.nodeId}` : '';
  return f.slot !== undefined ? `in slot ${f.slot}${node ? ` ${node}` : ''}` : node || 'unplaced';
}

export interface TaskRow {
  id: string;
  /** `<service>.<slot>`, or `<service>.<node id>` for a global service's task. */
  name: string;
  service: string;
  slot?: number;
  image: string;
  /** The node's hostname when known, else its ID. */
  node: string;
  desired: string;
  /** `Running 5 minutes ago`, as docker stack ps prints it. */
  current: string;
  error: string;
  ports: string;
  /** An older task of the same slot or node: docker prints these indented under the current one. */
  history: boolean;
}

export interface DescribeContext {
  /** Service ID → name (`<project>_<service>`). */
  services: Record<string, string>;
  /** Node ID → hostname. */
  nodes?: Record<string, string>;
  now: Date;
}

export function describeTasks(tasks: Task[], ctx: DescribeContext): TaskRow[] {
  const rows = tasks.map((t) => {
    const service = ctx.services[t.ServiceID] ?? t.ServiceID;
    const name = t.Slot ? `${service}.${t.Slot}` : `${service}.${t.NodeID ?? ''}`;
    return {
      row: {
        id: t.ID,
        name,
        service,
        ...(t.Slot ? { slot: t.Slot } : {}),
        image: t.Spec?.ContainerSpec.Image ?? '',
        node: (t.NodeID && ctx.nodes?.[t.NodeID]) || t.NodeID || '',
        desired: pretty(t.DesiredState),
        current: `${pretty(t.Status.State)} ${t.Status.Timestamp ? `${humanDuration(ctx.now.getTime() - Date.parse(t.Status.Timestamp))} ago` : ''}`.trim(),
        error: t.Status.Err ?? '',
        ports: [...new Set((t.Status.PortStatus?.Ports ?? []).map(portText))].join(','),
        history: false,
      },
      at: t.Status.Timestamp ?? t.CreatedAt ?? '',
    };
  });
  // Newest first within a name, names in natural order: slot 10 after slot 9.
  rows.sort((a, b) => a.row.name.localeCompare(b.row.name, undefined, { numeric: true }) || b.at.localeCompare(a.at));
  for (let i = 1; i < rows.length; i++) if (rows[i]!.row.name === rows[i - 1]!.row.name) rows[i]!.row.history = true;
  return rows.map((r) => r.row);
}

function portText(p: PortConfig): string {
  return `*:${p.PublishedPort ?? 0}->${p.TargetPort}/${p.Protocol}`;
}

function pretty(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** go-units HumanDuration, lower-cased, as `docker service ps` prints it. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 1) return 'less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'about a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'about an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(Math.floor(seconds / 3600) / 24 / 365)} years`;
}
