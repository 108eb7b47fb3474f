/**
 * Lifecycle hooks, as Compose runs them: `post_start` commands by exec in each container once it
 * has started, `pre_stop` commands by exec before each container is stopped (bounded by its
 * stop grace period), and `pre_start` steps in one-off containers of the service's image, with
 * its networks and its first replica's volumes, before any of its replicas starts. Each runs in
 * declared order; its output goes to progress, and a failure ends the command (exit 5) with the
 * hook's exit code and last lines of output.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ContainerCreateBody, Engine, ExecSession } from '../engine/engine.js';
import { EngineApiError } from '../engine/api-error.js';
import { prune } from '../engine/request/context.js';
import { ServiceFailedError } from '../errors.js';
import { LABEL, projectLabel } from '../labels.js';
import type { PreStartHook, Project, Service, ServiceHook } from '../stack/model.js';
import { specCompiler } from './compile.js';
import type { ProgressListener, ProgressEvent } from './progress.js';

export type HookKind = 'post_start' | 'pre_stop' | 'pre_start';

export interface HookContext {
  engine: Engine;
  project: Project;
  emit: ProgressListener;
  signal?: AbortSignal;
  /** tug's version, for the labels of pre_start containers. */
  version?: string;
}

/** The container a hook runs in (or, for pre_start, beside). */
export interface HookTarget {
  id: string;
  name: string;
}

/** Lines of a failing hook's output kept for its report. */
const TAIL_LINES = 10;
/** What a container gets to stop when neither `-t` nor stop_grace_period says: Docker's default. */
const DEFAULT_GRACE_SECONDS = 10;

/** What a running hook's output looks like in progress: a `working` event of the step it belongs to. */
type Base = Omit<ProgressEvent, 'state' | 'time'>;

/** Runs the service's post_start hooks in `c`, which has just started. */
export async function postStart(ctx: HookContext, service: string, c: HookTarget, base: Base): Promise<void> {
  const hooks = ctx.project.services[service]?.post_start ?? [];
  for (const [i, hook] of hooks.entries()) {
    ctx.signal?.throwIfAborted();
    await execHook(ctx, service, c, hook, `post_start[${i}]`, base);
  }
}

/**
 * Runs the service's pre_stop hooks in `c`, within the `seconds` it has to stop (`-t`, else
 * its stop_grace_period; undefined: Docker's 10), and resolves with what is left of them for
 * the stop itself (`seconds` as given when there is no hook).
 * A hook still running when they are up is abandoned with a warning: the stop goes on. A hook
 * that fails ends the stop, as in Compose: the container is left running.
 */
export async function preStop(ctx: HookContext, service: string, c: HookTarget, seconds: number | undefined, base: Base): Promise<number | undefined> {
  const hooks = ctx.project.services[service]?.pre_stop ?? [];
  if (hooks.length === 0) return seconds;
  const budget = seconds ?? DEFAULT_GRACE_SECONDS;
  const t0 = Date.now();
  const deadline = AbortSignal.timeout(budget * 1000);
  for (const [i, hook] of hooks.entries()) {
    const name = `pre_stop[${i}]`;
    const finished = await execHook(ctx, service, c, hook, name, base, deadline).catch((err: unknown) => {
      if (!(err instanceof ServiceFailedError)) throw err;
      throw new ServiceFailedError(err.code, err.message, `${c.name} was left running, as Compose leaves a container whose pre_stop failed; tug kill ${service} stops it without its hooks`);
    });
    if (!finished) {
      ctx.emit({ ...base, state: 'warning', time: Date.now(),
        message: `${c.name}: ${name} did not finish within the ${budget}s stop grace period: stopping the container anyway` });
      return 0;
    }
  }
  return Math.max(0, Math.ceil(budget - (Date.now() - t0) / 1000));
}

/**
 * One exec hook. Resolves true once it exited 0, false when `deadline` came first; rejects
 * with the exit code and output when it failed.
 */
async function execHook(
  ctx: HookContext, service: string, c: HookTarget, hook: ServiceHook, name: string, base: Base, deadline?: AbortSignal,
): Promise<boolean> {
  const session = await ctx.engine.exec.start(c.id, {
    cmd: hook.command, env: envList(hook.environment), ...(hook.user ? { user: hook.user } : {}),
    ...(hook.working_dir ? { workdir: hook.working_dir } : {}), privileged: hook.privileged ?? false, tty: false, stdin: false,
  }).catch((err: unknown) => {
    // The engine refused to run it (the container is gone, or stopped): the hook failed.
    if (err instanceof EngineApiError) throw new ServiceFailedError('hook_failed', `service "${service}": ${name} hook could not run in ${c.name}: ${err.message}`);
    throw err;
  });
  const tail = new Tail();
  const output = follow(session, (line) => {
    tail.push(line);
    ctx.emit({ ...base, state: 'working', time: Date.now(), hook: name, message: line });
  });
  // An interruption abandons the hook too (the process it started goes on in the container).
  const until = deadline && ctx.signal ? AbortSignal.any([deadline, ctx.signal]) : deadline ?? ctx.signal;
  const code = await untilDone(session.wait(), until, () => session.close());
  ctx.signal?.throwIfAborted();
  // An abandoned hook's output is not waited for: it may never end.
  if (code === undefined) return false;
  await output;
  if (code !== 0) throw failure(service, name, hook.command, code, tail);
  return true;
}

/**
 * Runs the service's pre_start steps, once, before any of its replicas starts: each in a new
 * container of the service's image (or the step's `image:`) that shares the first replica's
 * volumes and joins the service's networks. A step's container is removed once it exited 0;
 * a failed one is kept for inspection (and removed before the next run of the steps).
 */
export async function preStart(ctx: HookContext, svc: Service, firstReplica: HookTarget): Promise<void> {
  const hooks = svc.pre_start ?? [];
  if (hooks.length === 0) return;
  const { engine, project } = ctx;
  const base = { resource: 'service', name: svc.name, service: svc.name, action: 'pre_start' } as const;
  const t0 = Date.now();
  ctx.emit({ ...base, state: 'working', time: t0 });
  try {
    // What a failed run left for inspection goes now.
    const left = await engine.containers.list({ labels: [projectLabel(project.name), `${LABEL.service}=${svc.name}`, `${LABEL.hook}=pre_start`], all: true });
    await Promise.all(left.map((c) => engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => {})));
    const compiler = specCompiler(project, { apiVersion: await engine.system.apiVersion(), version: ctx.version });
    for (const [i, hook] of hooks.entries()) {
      ctx.signal?.throwIfAborted();
      await runStep(ctx, svc, hook, i, firstReplica, compiler, base);
    }
  } catch (err) {
    const now = Date.now();
    ctx.emit({ ...base, state: 'error', time: now, durationMs: now - t0, error: { code: err instanceof ServiceFailedError ? err.code : 'error', message: (err as Error).message } });
    throw err;
  }
  const now = Date.now();
  ctx.emit({ ...base, state: 'done', time: now, durationMs: now - t0 });
}

async function runStep(
  ctx: HookContext, svc: Service, hook: PreStartHook, i: number, replica: HookTarget, compiler: ReturnType<typeof specCompiler>, base: Base,
): Promise<void> {
  const { engine } = ctx;
  const name = `pre_start[${i}]`;
  const spec = compiler.oneoff(svc, randomBytes(6).toString('hex'));
  const image = hook.image ?? spec.body.Image;
  if (hook.image && !(await engine.images.localId(hook.image))) await engine.images.pull(hook.image, undefined, ctx.signal);
  const body: ContainerCreateBody = prune({
    Image: image,
    Cmd: hook.command,
    // Without an image of its own, the step runs as the service does.
    User: hook.user ?? (hook.image ? undefined : svc.user),
    WorkingDir: hook.working_dir ?? (hook.image ? undefined : svc.working_dir),
    Env: [...(spec.body.Env ?? []), ...envList(hook.environment)],
    Labels: { ...spec.body.Labels, [LABEL.hook]: 'pre_start' },
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      NetworkMode: spec.body.HostConfig?.NetworkMode,
      VolumesFrom: [replica.id],
      Privileged: hook.privileged,
      ExtraHosts: spec.body.HostConfig?.ExtraHosts,
      Dns: spec.body.HostConfig?.Dns,
      DnsSearch: spec.body.HostConfig?.DnsSearch,
    },
    NetworkingConfig: spec.body.NetworkingConfig,
  });
  const containerName = `${ctx.project.name}-${svc.name}-pre_start-${i}-${randomBytes(3).toString('hex')}`;
  const id = await engine.containers.create(containerName, body, hook.image || !spec.platform ? {} : { platform: spec.platform });
  let keep = false;
  try {
    for (const n of spec.networks) await engine.networks.connect(n.name, id, n.endpoint);
    // Attached before it starts, so that none of its output is missed.
    const session = await engine.exec.attach(id, { stdin: false, tty: false });
    const tail = new Tail();
    const output = follow(session, (line) => {
      tail.push(line);
      ctx.emit({ ...base, state: 'working', time: Date.now(), hook: name, message: line });
    });
    await engine.containers.start(id).catch((err: unknown) => {
      if (!(err instanceof EngineApiError)) throw err;
      keep = true;
      throw new ServiceFailedError('hook_failed', `service "${svc.name}": ${name} hook could not start: ${err.message}`,
        `its container ${containerName} is kept for inspection; the next run removes it`);
    });
    const code = await untilDone(session.wait(), ctx.signal, () => session.close());
    ctx.signal?.throwIfAborted();
    await output;
    if (code !== 0) {
      keep = true;
      const f = failure(svc.name, name, hook.command ?? ['(the image\'s command)'], code ?? -1, tail);
      throw new ServiceFailedError(f.code, f.message, `its container ${containerName} is kept for inspection (docker logs ${containerName}); the next run removes it`);
    }
  } finally {
    if (!keep) await engine.containers.remove(id, { force: true, volumes: true }).catch(() => {});
  }
}

/** `KEY=value` entries; a variable without a value is left out, as in the service's environment. */
function envList(env: Record<string, string | null> | undefined): string[] {
  return Object.entries(env ?? {}).flatMap(([k, v]) => (v === null ? [] : [`${k}=${v}`]));
}

/** Resolves with the exit code, or undefined once `signal` aborts (`abandon` is called then). */
async function untilDone(wait: Promise<number>, signal: AbortSignal | undefined, abandon: () => void): Promise<number | undefined> {
  if (!signal) return wait;
  if (signal.aborted) {
    abandon();
    return undefined;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => {
      abandon();
      resolve(undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([wait, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
    wait.catch(() => {}); // abandoned: its end no longer matters
  }
}

/** Calls `line` for each line of the session's stdout and stderr, as they come; resolves when both end. */
async function follow(session: ExecSession, line: (l: string) => void): Promise<void> {
  const read = async (stream: Readable): Promise<void> => {
    let partial = '';
    try {
      for await (const chunk of stream) {
        const parts = (partial + (chunk as Buffer).toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const p of parts) emitLine(p, line);
      }
    } catch {
      // the connection was dropped (an abandoned hook): what came is all there is
    }
    if (partial) emitLine(partial, line);
  };
  await Promise.all([read(session.stdout), read(session.stderr)]);
}

function emitLine(raw: string, line: (l: string) => void): void {
  const text = raw.replace(/\r$/, '').split('\r').at(-1)!.trimEnd();
  if (text.trim()) line(text);
}

class Tail {
  readonly lines: string[] = [];
  push(l: string): void {
    this.lines.push(l);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
  }
}

function failure(service: string, name: string, command: string[], code: number, tail: Tail): ServiceFailedError {
  const cmd = command.join(' ');
  const output = tail.lines.length ? `\n${tail.lines.map((l) => `  > ${l}`).join('\n')}` : '\n  (it printed nothing)';
  return new ServiceFailedError('hook_failed', `service "${service}": ${name} hook (${cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd}) exited with code ${code}${output}`);
}
