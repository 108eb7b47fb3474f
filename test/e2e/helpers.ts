/**
 * Shared plumbing for the end-to-end tests on the real engine. Every file uses its own project
 * name and removes everything carrying that project's label afterwards, so files can run in
 * parallel and a crashed run leaves nothing behind for the next one.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { quote } from 'shlex';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { resolveHost } from '../../src/engine/connect.js';
import { dockerEngine } from '../../src/engine/docker/engine.js';
import { type Engine, type EngineEvent } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { EngineUnreachableError } from '../../src/errors.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import { loadProject } from '../../src/stack/load.js';
import type { Project } from '../../src/stack/model.js';
import { listContainers, listNetworks, listVolumes } from '../../src/run/observe.js';
import { projectLabel } from '../../src/labels.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/tug.js');
export const IMAGE = 'busybox:latest';

const run = promisify(execFile);

/** A project name no other file (or concurrent run) uses: lowercase, as Compose requires. */
export function uniqueProject(what: string): string {
  return `tuge2e-${what}-${randomBytes(3).toString('hex')}`;
}

export function rand(): string {
  return randomBytes(3).toString('hex');
}

export const connect = (): Engine => dockerEngine(resolveHost());

/**
 * CI always starts an engine, so an unreachable one must fail the file (a thrown beforeAll
 * fails every test in it), never skip it.
 */
export async function requireEngine(engine: Engine): Promise<void> {
  try {
    await engine.system.info();
  } catch (e) {
    throw new Error(
      `the Docker engine is unreachable, so the e2e tests cannot run ` +
        `(start it with: bash ../shared/engine/engine-up.sh): ${(e as Error).message}`,
    );
  }
}

/**
 * The file's one-time setup. A throwing beforeAll makes vitest report the file's tests as
 * skipped; rethrowing its error from beforeEach instead fails each of them, with the cause.
 */
export function setupOnce(fn: () => Promise<void>, timeoutMs = 120_000): void {
  let failure: unknown;
  beforeAll(async () => {
    try {
      await fn();
    } catch (e) {
      failure = e;
    }
  }, timeoutMs);
  beforeEach(() => {
    if (failure) throw failure;
  });
}

// ---- stacks on disk

/** A temp directory holding `compose.yaml`; rewrite it with `writeStack(yaml, dir)`. */
export async function writeStack(yaml: string, dir?: string): Promise<string> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'tug-e2e-')));
  await writeFile(join(d, 'compose.yaml'), yaml);
  return d;
}

/**
 * Loads the stack as the CLI would from that directory, but with the COMPOSE_* variables of
 * whoever runs the tests removed, so they cannot rename the project or add files.
 */
export async function load(dir: string, opts: { env?: Record<string, string> } = {}): Promise<Project> {
  return loadProject({ cwd: dir, env: { ...cleanEnv(), ...opts.env } });
}

function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('COMPOSE_')) delete env[k];
  return env;
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

// ---- cleanup

/** Removes every container, network and volume labelled with the project, whatever state it is in. */
export async function cleanupProject(engine: Engine, project: string): Promise<void> {
  let containers;
  try {
    containers = await listContainers(engine, { project, all: true });
  } catch (e) {
    // No engine, nothing to clean; the tests have already failed saying so.
    if (e instanceof EngineUnreachableError) return;
    throw e;
  }
  for (const c of containers) {
    await engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => {});
  }
  for (const n of await listNetworks(engine, { project })) await engine.networks.remove(n.id).catch(() => {});
  for (const v of await listVolumes(engine, { project })) await engine.volumes.remove(v.name).catch(() => {});
}

// ---- a file's scope on the real engine

/** What a file made on the real engine and on disk, all of it removed by its afterAll. */
export interface E2eScope {
  readonly engine: Engine;
  /** Projects whose labelled containers, networks and volumes go afterwards; push derived names here. */
  readonly projects: string[];
  /** Directories removed afterwards. */
  readonly dirs: string[];
  /** A project name of its own (uniqueProject), removed afterwards. */
  project(what: string): string;
  /** A temp directory holding `compose.yaml` and `files` (relative paths), removed afterwards. */
  stack(yaml: string, files?: Record<string, string>): Promise<string>;
}

export interface E2eScopeOptions {
  /** Whether the tests run the CLI binary, which must then be built first (default true). */
  cli?: boolean;
  /** The rest of the one-time set-up, once the engine has answered and the CLI is built. */
  setup?: () => Promise<void>;
  /** First thing afterwards: end what still uses the projects (children, event logs, containers by name). */
  beforeCleanup?: () => Promise<unknown>;
  /** After the projects are gone, before the directories: what else the file made (images, volumes...). */
  afterCleanup?: () => Promise<unknown>;
  /** The afterAll's timeout. */
  cleanupTimeoutMs?: number;
}

/**
 * The set-up and clean-up most files repeat: setupOnce requiring the engine (and the CLI),
 * afterAll removing the file's projects and then its directories, and nothing else (a file
 * touches only what it made). Called at the top of a file or in a describe, like the hooks.
 */
export function e2eScope(opts: E2eScopeOptions = {}): E2eScope {
  const scope: E2eScope = {
    engine: connect(),
    projects: [],
    dirs: [],
    project(what) {
      const p = uniqueProject(what);
      scope.projects.push(p);
      return p;
    },
    async stack(yaml, files = {}) {
      const dir = await writeStack(yaml);
      scope.dirs.push(dir);
      for (const [name, text] of Object.entries(files)) {
        await mkdir(join(dir, name, '..'), { recursive: true });
        await writeFile(join(dir, name), text);
      }
      return dir;
    },
  };
  setupOnce(async () => {
    await requireEngine(scope.engine);
    if (opts.cli ?? true) await ensureCli();
    await opts.setup?.();
  });
  afterAll(async () => {
    await opts.beforeCleanup?.();
    for (const p of scope.projects) await cleanupProject(scope.engine, p);
    await opts.afterCleanup?.();
    for (const d of scope.dirs) await removeDir(d);
  }, opts.cleanupTimeoutMs ?? 60_000);
  return scope;
}

// ---- engine events

/**
 * Every engine event for one project, from the moment `record` resolves (the engine has
 * subscribed by then). Assertions about order are made on the engine's own timestamps.
 */
export class EventLog {
  readonly events: EngineEvent[] = [];
  private readonly abort = new AbortController();
  private readonly listeners = new Set<() => void>();
  private done: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(private readonly engine: Engine, readonly project: string) {}

  static async record(engine: Engine, project: string): Promise<EventLog> {
    const log = new EventLog(engine, project);
    const stream = await engine.events.subscribe({ labels: [projectLabel(project)] }, log.abort.signal);
    log.done = (async () => {
      try {
        for await (const e of stream) {
          log.events.push(e);
          for (const l of [...log.listeners]) l();
        }
      } catch (err) {
        log.failure = err;
        for (const l of [...log.listeners]) l();
      }
    })();
    return log;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  /** Container events, optionally of one service and action (`health_status: healthy` etc.). */
  of(service?: string, action?: string): EngineEvent[] {
    return this.events.filter((e) => e.type === 'container'
      && (service === undefined || e.attributes[LABEL.service] === service)
      && (action === undefined || e.action === action));
  }

  /** The engine time (ns) of the first matching event; throws with what was seen when none. */
  first(service: string, action: string, where: (e: EngineEvent) => boolean = () => true): number {
    const e = this.of(service, action).find(where);
    if (!e) throw new Error(`no "${action}" event for service ${service}; saw:\n${this.describe()}`);
    return e.timeNano;
  }

  /** Waits (bounded) until a matching event has arrived; events already seen count. */
  waitFor(match: (e: EngineEvent) => boolean, what: string, ms = 30_000): Promise<EngineEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.events.find(match);
        if (hit) {
          finish();
          resolve(hit);
          return true;
        }
        if (this.failure) {
          finish();
          reject(this.failure);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} event within ${ms} ms; saw:\n${this.describe()}`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = () => void check();
      this.listeners.add(listener);
      check();
    });
  }

  /**
   * Makes sure every event the engine emitted before this call has been delivered: the engine
   * sends events in order, so once a marker container's `create` arrives nothing earlier is
   * still in flight. The marker is a one-off container (Compose ignores those when planning).
   */
  async flush(): Promise<void> {
    const id = await this.engine.containers.create(`${this.project}-flush-${rand()}`, {
      Image: IMAGE,
      Cmd: ['true'],
      Labels: { [LABEL.project]: this.project, [LABEL.service]: '_flush', [LABEL.oneoff]: 'True' },
    });
    try {
      await this.waitFor((e) => e.id === id && e.action === 'create', 'flush marker');
    } finally {
      await this.engine.containers.remove(id, { force: true });
    }
  }

  /** The events as lines, for failure messages. */
  describe(): string {
    const t0 = this.events[0]?.timeNano ?? 0;
    return this.events
      .filter((e) => e.type === 'container' && !e.action.startsWith('exec_'))
      .map((e) => `  +${((e.timeNano - t0) / 1e6).toFixed(0)}ms ${e.attributes[LABEL.service] ?? '?'} ${e.action} ${e.id.slice(0, 12)}`)
      .join('\n');
  }
}

// ---- progress

/** Collects the runner's progress events (warnings, waits) for assertions. */
export function progressLog(): { events: ProgressEvent[]; listener: (e: ProgressEvent) => void } {
  const events: ProgressEvent[] = [];
  return { events, listener: (e) => void events.push(e) };
}

// ---- docker CLI (tests only: the Engine interface has no exec)

export async function docker(args: string[], opts: { allowFail?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('docker', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (!opts.allowFail) throw new Error(`docker ${args.join(' ')} failed: ${err.stderr || err.message}`);
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

export async function dockerExec(container: string, script: string): Promise<string> {
  return (await docker(['exec', container, 'sh', '-c', script])).stdout;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function inspect(id: string): Promise<Record<string, any>> {
  return JSON.parse((await docker(['inspect', id])).stdout)[0];
}

// ---- the CLI binary

/** Newest modification time of the files the bundle is made from. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, 'src'));
  for (const f of ['scripts/build.mjs', 'package.json']) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

function bundleIsStale(): boolean {
  const bundle = join(ROOT, 'dist/tug.mjs');
  return !existsSync(bundle) || statSync(bundle).mtimeMs < newestSource();
}

/**
 * Builds the CLI bundle when it is missing or older than the sources. Files run in parallel
 * and the bundler empties dist/chunks first, so a directory lock lets one build while the
 * others wait, and each re-checks staleness once it holds the lock.
 */
export async function ensureCli(): Promise<void> {
  if (!bundleIsStale()) return;
  const lock = join(tmpdir(), `tug-e2e-build-${Buffer.from(ROOT).toString('hex').slice(-24)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than any build could take was left by a killed run.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the CLI build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (bundleIsStale()) {
      // @ts-expect-error: a plain .mjs build script, without type declarations.
      const { bundleCli, generateValidator, validatorIsStale } = await import('../../scripts/build.mjs');
      if (validatorIsStale()) await generateValidator();
      await bundleCli();
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node bin/tug.js ...` in `cwd` without blocking this process (event recorders keep reading); `env` is added to cliEnv(). */
export function tug(args: string[], cwd: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      // `env` adds to (or overrides) the test environment, e.g. DOCKER_HOST for another engine.
      env: { ...cliEnv(), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tug ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      // Whatever the test asserts, no Node runtime warning may reach a user.
      const warning = nodeWarning(stderr);
      if (warning) reject(new Error(`tug ${args.join(' ')} printed a Node warning: ${warning}\nstderr: ${stderr}`));
      else resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** The first Node runtime warning in `stderr` (`(node:PID) MaxListenersExceededWarning: ...`), if any. */
export function nodeWarning(stderr: string): string | undefined {
  return /^.*(?:\(node:\d+\) \[?\w*Warning|ExperimentalWarning|DeprecationWarning|MaxListenersExceededWarning).*$/m.exec(stderr)?.[0];
}

/** Engine nanoseconds as milliseconds, for readable differences. */
export const ms = (ns: number): number => ns / 1e6;

/** The environment the CLI runs in under test: no COMPOSE_* of whoever runs the tests, no colour. */
export function cliEnv(): NodeJS.ProcessEnv {
  return { ...cleanEnv(), NO_COLOR: '1', TUG_DEBUG: '' };
}

/** A process left running: its output so far, a way to wait for some of it, its stdin, its exit. */
export function watched(file: string, args: string[], cwd: string) {
  const child = spawn(file, args, { cwd, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', closed: false };
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => ((out.stdout += d.toString()), notify()));
  child.stderr.on('data', (d: Buffer) => ((out.stderr += d.toString()), notify()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    out.closed = true;
    resolve(code);
    notify();
  }));
  /** Resolves once `test` holds for the output so far; fails when the process exits first or time runs out. */
  const until = (what: string, test: (stdout: string) => boolean, ms = 30_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      const fail = (why: string) => reject(new Error(`no ${what}: ${why}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`));
      const check = () => {
        if (test(out.stdout)) return void (done(), resolve());
        if (out.closed) return void (done(), fail('the process exited'));
      };
      const timer = setTimeout(() => (done(), fail(`nothing within ${ms} ms`)), ms);
      waiters.add(check);
      check();
    });
  const write = (s: string) => void child.stdin.write(s);
  return { child, out, until, exited, write };
}

/** Runs a shell script in a pseudo-terminal of its own (util-linux `script`), which exits with the script's code. */
export function inTerminal(script: string, cwd: string) {
  return watched('script', ['-qfec', `sh -c ${quote(script)}`, '/dev/null'], cwd);
}

/** A shell command line running the built CLI with `args`. */
export const tugLine = (args: string[]): string => [process.execPath, BIN, ...args].map(quote).join(' ');
