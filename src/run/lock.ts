/**
 * One mutating command per project and engine at a time: two `up`s (or an `up` and a `down`)
 * planning against the same containers would each act on a view the other is changing.
 *
 * The lock is a directory made with mkdir (atomic on every file system), by proper-lockfile,
 * whose holder keeps refreshing its mtime: a lock left by a process that died without
 * cleaning up (kill -9, an OOM kill, a power cut) goes stale and is taken over, so nothing
 * waits forever. Beside it, a small JSON file says who holds it, for the waiting message.
 *
 * What names the engine is its identity, not the way it was reached: `unix:///run/docker.sock`,
 * `unix:///var/run/docker.sock` and a symlink to either are one engine, and so are tcp:// and
 * ssh:// to one host. `engineIdentity()` asks the engine for its `ID` (from `/info`).
 *
 * Where locks live depends on nothing in the environment: `/tmp/tug-<uid>` (see lockDir()).
 * Not XDG_RUNTIME_DIR, which differs between two shells of one user (a login session, `su`,
 * sudo, cron, CI steps) and so gave two locks for one project; not TMPDIR for the same reason.
 * Per user and private (0700, owned by the user, not a link), not one directory shared by every
 * user: in a shared directory another user could pre-create or swap lock files (blocking or
 * breaking our locks), and could not take over a stale lock of ours (the sticky bit forbids
 * removing it). Two users driving one engine do not share a lock; what they may race on, the
 * engine-side create-or-adopt of networks, volumes and containers makes converge instead.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveHost } from '../engine/connect.js';
import type { Engine } from '../engine/engine.js';
import { ExitCode, TugError } from '../errors.js';

/** Who holds a project's lock. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** The verb, e.g. `up`, when the holder said. */
  command?: string;
  project: string;
  engineHost: string;
  /** ISO time the lock was taken. */
  since: string;
}

export interface ProjectLockOptions {
  /** false: fail at once with ProjectLockedError instead of waiting for the holder. Default true. */
  wait?: boolean;
  /** The verb taking the lock, shown to whoever has to wait for it. */
  command?: string;
  /** Stops waiting, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /** Called when waiting starts, and again whenever the holder changes while still waiting. */
  onWait?: (message: string, holder: LockHolder | undefined) => void;
  /** Called once the lock is taken after having waited for it. */
  onAcquired?: (waitedMs: number) => void;
  /**
   * Another process found our lock stale (this one was frozen, or its clock jumped) and took
   * it over: commands may interleave from here on. Nothing can be undone, so it is reported.
   */
  onCompromised?: (err: Error) => void;
  /** How long a lock may go without a refresh before it counts as abandoned; at least 2 s. */
  staleMs?: number;
  /** Where the lock files live; defaults to lockDir(). */
  dir?: string;
}

const DEFAULT_STALE_MS = 10_000;
/**
 * A holder seen dead on this machine is waited for only this long. A live holder refreshes
 * its lock every 2 s, so a lock this old under a dead pid cannot be one just taken by another
 * process that has not yet written its own pid beside it.
 */
const DEAD_HOLDER_STALE_MS = 3000;

/**
 * The engine a command talks to as DOCKER_HOST spells it (or the default socket). Only a
 * fallback name for the lock: prefer `engineIdentity()`, which two spellings share.
 */
export function engineHost(env: Record<string, string | undefined> = process.env): string {
  return resolveHost({}, env).host;
}

/**
 * What names an engine in the lock: its `ID` from `/info` (`engine:<ID>`), the same however it
 * is reached. An engine that reports none (some Podman versions) is named by its address, a
 * unix socket by the real path it resolves to (`host:unix:///run/docker.sock`).
 */
export async function engineIdentity(engine: Engine): Promise<string> {
  const id = (await engine.system.info()).id.trim();
  return id ? `engine:${id}` : `host:${canonicalHost(engine.system.host)}`;
}

/** `unix://` paths through their symlinks; anything else as given. */
export function canonicalHost(host: string): string {
  const path = host.startsWith('unix://') ? host.slice(7) : host.startsWith('/') ? host : undefined;
  if (path === undefined) return host;
  try {
    return `unix://${realpathSync(path)}`;
  } catch {
    return `unix://${path}`;
  }
}

/**
 * Where lock files live: `/tmp/tug-<uid>`, whatever XDG_RUNTIME_DIR or TMPDIR say, so every
 * shell of a user finds the same locks (see the top of this file). Windows has no /tmp: its
 * temp directory, per user already.
 */
export function lockDir(): string {
  const base = process.platform === 'win32' ? tmpdir() : '/tmp';
  return join(base, `tug-${process.getuid?.() ?? userInfo().username}`);
}

/** @deprecated the lock directory no longer depends on the environment: use lockDir(). */
export function runtimeDir(_env: Record<string, string | undefined> = process.env): string {
  return lockDir();
}

/** The lock's base name: projects of the same name on two engines do not block each other. */
export function lockName(engine: string, project: string): string {
  return createHash('sha256').update(`${engine}\n${project}`).digest('hex').slice(0, 32);
}

export class ProjectLockedError extends TugError {
  constructor(readonly project: string, readonly holder: LockHolder | undefined) {
    super('project_locked', `project ${project} is being changed by another tug command${describeHolder(holder)}`, {
      exitCode: ExitCode.projectLocked,
      hint: 'retry once it has finished (without --no-wait-lock, tug waits for it)',
    });
  }
}

/**
 * Runs `fn` holding the lock of (engine, project); releases it however `fn` ends. `host` names
 * the engine: `await engineIdentity(engine)` (two spellings of one engine then share the lock),
 * or any string that stands for one engine.
 */
export async function withProjectLock<T>(host: string, project: string, opts: ProjectLockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquire(host, project, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}

type Lockfile = typeof import('proper-lockfile');

async function acquire(host: string, project: string, opts: ProjectLockOptions): Promise<() => Promise<void>> {
  // Loaded on first use: it installs exit handlers (to remove held locks) as it loads.
  const lockfile = (await import('proper-lockfile')).default;
  const dir = opts.dir ?? lockDir();
  ensurePrivateDir(dir);
  const file = join(dir, lockName(host, project));
  const stale = Math.max(opts.staleMs ?? DEFAULT_STALE_MS, 2000);
  const me: LockHolder = { pid: process.pid, hostname: hostname(), command: opts.command, project, engineHost: host, since: '' };
  const t0 = Date.now();
  let announced: number | undefined | null = null;
  let holderDead = false;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    const release = await tryLock(lockfile, file, holderDead ? Math.min(stale, DEAD_HOLDER_STALE_MS) : stale, stale, me, opts);
    if (release) {
      if (announced !== null) opts.onAcquired?.(Date.now() - t0);
      return release;
    }
    // The holder writes who it is just after taking the lock; a moment later it is known.
    const holder = readHolder(file) ?? (attempt < 3 ? await readHolderSoon(file) : undefined);
    if (opts.wait === false) throw new ProjectLockedError(project, holder);
    holderDead = holder !== undefined && holder.hostname === me.hostname && !isAlive(holder.pid);
    if (holder?.pid !== announced) {
      announced = holder?.pid;
      opts.onWait?.(waitingMessage(project, holder, holderDead ? Math.min(stale, DEAD_HOLDER_STALE_MS) : undefined), holder);
    }
    try {
      await sleep(Math.min(50 * (attempt + 1), 250), undefined, { signal: opts.signal });
    } catch (err) {
      throw opts.signal?.aborted ? opts.signal.reason : err;
    }
  }
}

/**
 * One attempt: the release function, or undefined while another process holds the lock.
 * `staleMs`: how old another's lock may be before this attempt takes it over; how often we
 * refresh our own follows `refreshBase`, the usual stale time.
 */
async function tryLock(
  lockfile: Lockfile, file: string, staleMs: number, refreshBase: number, me: LockHolder, opts: ProjectLockOptions,
): Promise<(() => Promise<void>) | undefined> {
  let compromised = false;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      retries: 0,
      stale: staleMs,
      update: Math.max(1000, Math.floor(refreshBase / 5)),
      onCompromised: (err) => {
        compromised = true;
        opts.onCompromised?.(err);
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw err;
  }
  try {
    writeHolder(file, { ...me, since: new Date().toISOString() });
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }
  // However the process ends (a second Ctrl-C exits at once), the holder file goes with it, as
  // the lock directory does (proper-lockfile removes the locks it holds at exit).
  const atExit = (): void => {
    // After a takeover the file describes the new holder: leave it.
    if (!compromised) rmSync(file, { force: true });
  };
  process.on('exit', atExit);
  return async () => {
    process.off('exit', atExit);
    atExit();
    await release().catch(() => {});
  };
}

/** `expiresMs`: set when the holder is known to be dead. */
function waitingMessage(project: string, holder: LockHolder | undefined, expiresMs: number | undefined): string {
  const note = expiresMs !== undefined ? `, which is no longer running; its lock expires within ${Math.ceil(expiresMs / 1000)}s` : '';
  return `waiting for another tug command on project ${project}${describeHolder(holder, note)}…`;
}

function describeHolder(holder: LockHolder | undefined, note = ''): string {
  if (!holder) return '';
  return ` (pid ${holder.pid}${holder.command ? `: tug ${holder.command}` : ''}${note})`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Written whole and renamed into place, so a reader never sees half of it. */
function writeHolder(file: string, holder: LockHolder): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder));
  renameSync(tmp, file);
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' ? (h as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

async function readHolderSoon(file: string): Promise<LockHolder | undefined> {
  for (let i = 0; i < 5; i++) {
    await sleep(20);
    const h = readHolder(file);
    if (h) return h;
  }
  return undefined;
}

/**
 * In a shared /tmp another user could create our directory first and watch or swap our
 * locks; a directory that is not ours, or is a link, is refused rather than used.
 */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new TugError('lock_dir_unsafe', `the lock directory ${dir} is not a directory owned by this user`, {
      hint: `remove it (rm -rf ${dir}): tug makes it again, private to this user`,
    });
  }
  // Ours, but opened up (by hand, or a umask-less copy): others must not plant files in it.
  if (uid !== undefined && (st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
