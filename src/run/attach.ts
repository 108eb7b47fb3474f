/**
 * Attached `up`: follow the containers' output, prefixed `service-n | `, until the watched
 * ones have all stopped: as Compose's monitor, those of the services named on the command line,
 * else of the services whose output is printed (all, when that leaves none). The others are
 * left as they are. Ctrl-C stops the stack (dependents first) and ends with "interrupted".
 * With `--abort-on-container-exit` (or `--exit-code-from`) the first container to exit stops
 * the stack the same way, and its exit code (or the named service's) becomes tug's.
 */
import type { ChalkInstance } from 'chalk';
import type { Engine } from '../engine/engine.js';
import { InterruptedError } from '../errors.js';
import type { Project } from '../stack/model.js';
import { stopInOrder } from './down.js';
import { Pool } from './pool.js';
import type { ProgressListener } from './progress.js';
import { listContainers } from './observe.js';
import type { UpResult } from './up.js';

export interface AttachOptions {
  signal: AbortSignal;
  onProgress: ProgressListener;
  stopTimeout?: number;
  /** Where log lines go (stdout). */
  write?: (s: string) => void;
  /** Colours for the prefixes; without it (or at level 0) lines carry no escape codes. */
  color?: ChalkInstance;
  /** Stop the stack as soon as any container exits. */
  abortOnContainerExit?: boolean;
  /** `--abort-on-container-failure`: as abortOnContainerExit, but only on a non-zero exit code. */
  abortOnContainerFailure?: boolean;
  /** Exit with this service's container's exit code; implies abortOnContainerExit (unless abortOnContainerFailure). */
  exitCodeFrom?: string;
  /** Services whose output is printed (`up --attach`/`--no-attach`); default all. */
  printed?: (service: string) => boolean;
  /**
   * Services whose containers are watched (default all): up ends once these have stopped, and
   * only their exits trigger --abort-on-container-exit. A container of another service is
   * left running, as Compose leaves it (its monitor watches the named or attached services).
   */
  watched?: (service: string) => boolean;
  /** Each line after the engine's timestamp (`up --timestamps`). */
  timestamps?: boolean;
  /** False: lines without the `service-n | ` prefix (`up --no-log-prefix`). */
  prefix?: boolean;
}

export interface AttachedContainer {
  id: string;
  name: string;
  number: number;
  service?: string;
  /** Unix seconds: follow only what it wrote from then on (a container that ran before this up). */
  since?: number;
}

export interface AttachResult {
  /** Set when the stack was stopped because a container exited: the code tug should exit with. */
  exitCode?: number;
}

/**
 * The containers an `up` leaves to follow. Those it created show all they write; those that
 * existed already (kept running, started again, restarted) only what they write from the
 * run's start: their earlier lives' lines were shown by earlier runs. Compose attaches to a
 * running container without its past logs in the same way.
 */
export function attachedFromUp(result: UpResult, runStartMs: number): AttachedContainer[] {
  const existed = new Set(result.plan.services.flatMap((s) => s.replicas)
    .filter((r) => r.kind === 'keep' || r.kind === 'start' || r.kind === 'restart')
    .map((r) => (r as { container: { id: string } }).container.id));
  return Object.entries(result.containers).flatMap(([service, cs]) =>
    cs.map((c) => ({ ...c, service, ...(existed.has(c.id) ? { since: runStartMs / 1000 } : {}) })));
}

/** How long log streams may take to end after the stack was stopped before they are dropped. */
const DRAIN_MS = 5000;

export async function attach(
  engine: Engine,
  project: Project,
  containers: AttachedContainer[],
  opts: AttachOptions,
): Promise<AttachResult> {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  // As Compose: --exit-code-from implies --abort-on-container-exit unless --abort-on-container-failure is given.
  const onFailureOnly = opts.abortOnContainerFailure === true;
  const abortMode = onFailureOnly || opts.abortOnContainerExit === true || opts.exitCodeFrom !== undefined;
  const width = Math.max(0, ...containers.map((c) => prefixOf(project, c.name).length));
  const follow = new AbortController();
  const watching = new AbortController();
  const stopFollowing = () => follow.abort();
  opts.signal.addEventListener('abort', stopFollowing, { once: true });

  const exited: { service: string; code: number }[] = [];
  let trigger: { service: string; code: number } | undefined;
  let onTrigger: () => void = () => {};
  const triggered = new Promise<void>((resolve) => (onTrigger = resolve));
  const jobs = completedJobs(project);
  const services = containers.map((c) => c.service ?? serviceOf(project, c.name));
  // No watched container at all watches them all, as Compose's monitor with no service.
  const anyWatched = services.some((s) => opts.watched?.(s) ?? true);
  const isWatched = (service: string) => !anyWatched || (opts.watched?.(service) ?? true);

  const streams = containers.map((c, i) => follow1(c, services[i]!));
  const watchedStreams = streams.filter((_, i) => isWatched(services[i]!));
  async function follow1(c: AttachedContainer, service: string): Promise<void> {
    const paint = painter(opts.color, service);
    const name = prefixOf(project, c.name);
    const prefix = paint(`${name.padEnd(width)} |`) + ' ';
    const exit = exitOf(engine, c.id, watching.signal).then((code) => {
      exited.push({ service, code });
      // A job others wait on with service_completed_successfully is meant to finish: that is
      // not the stack failing, and stopping everything for it would make the flag unusable.
      if (abortMode && !trigger && isWatched(service) && !(code === 0 && (onFailureOnly || jobs.has(service)))) {
        trigger = { service, code };
        onTrigger();
      }
      return code;
    }, () => undefined);
    const printed = opts.printed?.(service) ?? true;
    const lead = opts.prefix === false ? '' : prefix;
    try {
      if (printed) {
        for await (const line of engine.containers.logs(c.id, { follow: true, tail: 'all', since: c.since, timestamps: opts.timestamps, signal: follow.signal })) {
          write(`${lead}${line.time !== undefined ? `${line.time} ` : ''}${line.text}\n`);
        }
      }
    } catch (err) {
      if (!follow.signal.aborted) throw err;
    }
    // After the stream ended, so that the line comes after the container's last output.
    const code = await Promise.race([exit, aborted(follow.signal)]);
    if (code !== undefined && printed) write(`${paint(name)} exited with code ${code}\n`);
  }
  const allStreams = Promise.allSettled(streams);

  try {
    await Promise.race([Promise.allSettled(watchedStreams), triggered, aborted(opts.signal)]);
    if (opts.signal.aborted) {
      await stopAll(engine, project, opts);
      throw new InterruptedError('interrupted: the stack was stopped');
    }
    if (!trigger) return {};
    // Through the progress stream, so that it reads right in every mode (an event under json).
    opts.onProgress({
      resource: 'project', name: project.name, action: 'abort', state: 'warning', time: Date.now(),
      message: `Aborting on container exit (${trigger.service} exited with code ${trigger.code}): stopping the stack`,
    });
    await stopAll(engine, project, opts);
    await within(allStreams, DRAIN_MS);
    return { exitCode: exitCodeOf(exited, trigger, opts.exitCodeFrom) };
  } finally {
    follow.abort();
    watching.abort();
    opts.signal.removeEventListener('abort', stopFollowing);
  }
}

/** The named service's first exit when asked for one, else the exit that stopped the stack. */
function exitCodeOf(exited: { service: string; code: number }[], trigger: { code: number }, from: string | undefined): number {
  if (from === undefined) return trigger.code;
  return exited.find((e) => e.service === from)?.code ?? trigger.code;
}

async function stopAll(engine: Engine, project: Project, opts: AttachOptions): Promise<void> {
  const all = await listContainers(engine, { project: project.name, all: false });
  await stopInOrder(engine, project, all.filter((c) => !c.oneoff), { timeout: opts.stopTimeout }, opts.onProgress, new Pool(16));
}

/** Resolves with the exit code once the container has stopped for good (not to be restarted). */
async function exitOf(engine: Engine, id: string, signal: AbortSignal): Promise<number> {
  for (;;) {
    const code = await engine.containers.wait(id, signal);
    const now = await engine.containers.inspect(id).catch(() => undefined);
    if (!now || (now.state !== 'running' && now.state !== 'restarting')) return code;
    if (signal.aborted) throw signal.reason;
  }
}

/** Services some other service waits on with `service_completed_successfully`. */
function completedJobs(project: Project): Set<string> {
  const jobs = new Set<string>();
  for (const svc of Object.values(project.services)) {
    for (const [dep, d] of Object.entries(svc.depends_on)) if (d.condition === 'service_completed_successfully') jobs.add(dep);
  }
  return jobs;
}

/** `app-web-1` → `web-1`: the project name is the same on every line. */
export function prefixOf(project: Project, name: string): string {
  return name.startsWith(`${project.name}-`) ? name.slice(project.name.length + 1) : name;
}

function serviceOf(project: Project, name: string): string {
  return prefixOf(project, name).replace(/-\d+$/, '');
}

/** Colours that read on dark and light terminals alike; red is left to errors. */
export const PREFIX_PALETTE = [
  'cyan', 'yellow', 'green', 'magenta', 'blue',
  'cyanBright', 'yellowBright', 'greenBright', 'magentaBright', 'blueBright',
] as const;

/**
 * A service's colour from its name alone (FNV-1a), so it is the same in every run and on
 * every machine, whichever services are up beside it.
 */
export function prefixColor(service: string): (typeof PREFIX_PALETTE)[number] {
  let h = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) {
    h ^= service.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PREFIX_PALETTE[h % PREFIX_PALETTE.length]!;
}

/** Paints a service's prefix in its colour; leaves it plain when colour is off. */
export function painter(color: ChalkInstance | undefined, service: string): (s: string) => string {
  if (!color || color.level === 0) return (s) => s;
  return color[prefixColor(service)];
}

function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
