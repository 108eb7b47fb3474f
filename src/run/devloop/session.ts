/**
 * The dev loop: `develop.watch` rules applied to file changes until the signal aborts. Each
 * batch of changed paths (batch.ts) is matched against every rule; then, as Compose orders
 * them, services with a `rebuild` rule are rebuilt and recreated (with their `restart: true`
 * dependents restarted), synced files go into every running replica (sync.ts), services with
 * `restart`/`sync+restart` rules are restarted, and `sync+exec` hooks run in each replica. A
 * failed action is reported and watching goes on; only the signal ends it.
 */
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../../engine/engine.js';
import { ExitCode, formatLocation, ServiceFailedError, TugError } from '../../errors.js';
import type { ContainerSummary } from '../../plan/observed.js';
import type { Project } from '../../stack/model.js';
import { restart } from '../lifecycle.js';
import { listContainers } from '../observe.js';
import type { ProgressEvent, ProgressListener } from '../progress.js';
import { up } from '../up.js';
import { Batcher, DEFAULT_BATCH, type BatchOptions } from './batch.js';
import { parcelSubscribe, watchedDirs, type Subscribe, type Subscription } from './files.js';
import { compileRules, isSyncAction, takes, type WatchRuleSpec } from './rules.js';
import { lastLine, planSync, runIn, syncInto, type SyncMapping } from './sync.js';

export interface WatchOptions {
  /** Services whose rules apply; default every service with rules. */
  services?: string[];
  /** Ends watching (Ctrl-C): `watch` then resolves. */
  signal: AbortSignal;
  onProgress?: ProgressListener;
  /** Debouncing of file events; default 75 ms quiet (400 ms in a burst: 50 paths, or a new directory), at most 2 s (TUG_WATCH_DEBOUNCE_MS sets the quiet time). */
  batch?: Partial<BatchOptions>;
  /** tug's version, for the labels of recreated containers. */
  version?: string;
  /** Seconds a restarted or replaced container gets to stop. */
  stopTimeout?: number;
  /** Runs what changes the project (a rebuild, a restart) under the project lock; default: as it is. */
  lock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Where file events come from; default @parcel/watcher. */
  subscribe?: Subscribe;
}

/**
 * Checks the rules of `services` as `watch` will use them: throws (exit 3) every rule tug
 * cannot honour, at its line. Called before anything starts, so a bad rule costs nothing.
 */
export function checkWatch(project: Project, services?: string[]): void {
  compileRules(project, services);
}

/** Watches until `opts.signal` aborts, then resolves (a failed action never ends it). */
export async function watch(engine: Engine, project: Project, opts: WatchOptions): Promise<void> {
  const { rules, warnings } = compileRules(project, opts.services);
  const emit: ProgressListener = opts.onProgress ?? (() => {});
  for (const w of warnings) {
    const where = w.location ? `${formatLocation(w.location)}: ` : '';
    emit({ resource: 'project', name: project.name, action: 'watch', state: 'warning', time: Date.now(), message: `${where}${w.message}` });
  }
  await new WatchSession(engine, project, rules, opts, emit).run();
}

class WatchSession {
  private readonly lock: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly engine: Engine,
    private readonly project: Project,
    private readonly rules: WatchRuleSpec[],
    private readonly opts: WatchOptions,
    private readonly emit: ProgressListener,
  ) {
    this.lock = opts.lock ?? ((fn) => fn());
  }

  async run(): Promise<void> {
    const { signal } = this.opts;
    if (signal.aborted) return;
    const batcher = new Batcher((paths) => this.handle(paths), { ...DEFAULT_BATCH, ...envBatch(), ...this.opts.batch }, isDirectory);
    const subscribe = this.opts.subscribe ?? parcelSubscribe;
    const subs: Subscription[] = [];
    try {
      // Subscribed before the initial sync: what changes meanwhile is synced after it.
      for (const { dir, ignore } of watchedDirs(this.rules)) {
        subs.push(await subscribe(dir, ignore, (paths) => batcher.add(paths), (err) => this.warn(`watching ${dir}: ${err.message}`)));
      }
      await batcher.run(() => this.initialSync());
      const services = [...new Set(this.rules.map((r) => r.service))];
      this.event('done', `enabled: ${this.rules.length} rule${this.rules.length === 1 ? '' : 's'} for ${services.join(', ')}`);
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      await Promise.all(subs.map((s) => s.close().catch(() => {})));
      await batcher.close();
    }
    this.event('done', 'disabled');
  }

  private event(state: ProgressEvent['state'], message: string): void {
    this.emit({ resource: 'project', name: this.project.name, action: 'watch', state, time: Date.now(), message });
  }

  private warn(message: string): void {
    this.event('warning', message);
  }

  /** A batch of changed paths: each rule that takes one of them acts, in Compose's order. */
  async handle(paths: string[]): Promise<void> {
    const rebuild = new Set<string>();
    const restartNow = new Set<string>();
    const syncs = new Map<string, SyncMapping[]>();
    const hooks = new Map<string, Set<WatchRuleSpec>>();
    for (const hostPath of paths) {
      for (const rule of this.rules) {
        if (!takes(rule, hostPath)) continue;
        if (rule.action === 'rebuild') rebuild.add(rule.service);
        if (rule.action === 'restart' || rule.action === 'sync+restart') restartNow.add(rule.service);
        if (isSyncAction(rule.action)) syncs.set(rule.service, [...(syncs.get(rule.service) ?? []), { hostPath, rule }]);
        if (rule.action === 'sync+exec') hooks.set(rule.service, (hooks.get(rule.service) ?? new Set()).add(rule));
      }
    }
    if (rebuild.size > 0) await this.rebuild([...rebuild]).catch(() => {});
    const failed = new Set<string>();
    await Promise.all([...syncs].map(([service, mappings]) => this.sync(service, mappings).catch(() => void failed.add(service))));
    // As in Compose, a service whose files did not arrive is not restarted, nor its hooks run.
    const toRestart = [...restartNow].filter((s) => !failed.has(s));
    if (toRestart.length > 0) await this.restart(toRestart).catch(() => {});
    await Promise.all([...hooks].filter(([s]) => !failed.has(s)).map(([service, rules]) => this.exec(service, [...rules])));
  }

  /** Every file the `initial_sync` rules take, synced before watching begins. */
  private async initialSync(): Promise<void> {
    const byService = new Map<string, SyncMapping[]>();
    for (const rule of this.rules.filter((r) => r.initialSync)) {
      const files = rule.isFile ? [rule.path] : await filesUnder(rule);
      byService.set(rule.service, [...(byService.get(rule.service) ?? []), ...files.map((hostPath) => ({ hostPath, rule }))]);
    }
    await Promise.all([...byService].map(([service, mappings]) => this.sync(service, mappings, 'initial sync: ').catch(() => {})));
  }

  private async running(service: string): Promise<ContainerSummary[]> {
    const list = await listContainers(this.engine, { project: this.project.name, service, all: false });
    return list.filter((c) => !c.oneoff && c.service === service && c.state === 'running').sort((a, b) => a.number - b.number);
  }

  private async sync(service: string, mappings: SyncMapping[], prefix = ''): Promise<void> {
    const base = { resource: 'service', name: service, service, action: 'sync' } as const;
    const t0 = Date.now();
    this.emit({ ...base, state: 'working', time: t0, message: `${prefix}${count(new Set(mappings.map((m) => m.hostPath)).size, 'path')}` });
    try {
      const [plan, containers] = await Promise.all([planSync(mappings), this.running(service)]);
      const files = plan.entries.filter((e) => e.type !== 'directory').length;
      const what = `${prefix}${count(files, 'file')}${plan.deletes.length ? `, ${count(plan.deletes.length, 'deletion')}` : ''}`;
      if (containers.length === 0) {
        this.emit({ ...base, state: 'skipped', time: Date.now(), message: `${what}: no running container` });
        return;
      }
      const results = await syncInto(this.engine, containers, plan);
      const failures = results.filter((r) => r.error);
      const detail = {
        files, entries: plan.entries.length, deleted: plan.deletes.length, containers: containers.length,
        archives: results.reduce((n, r) => n + r.archives, 0), bytes: results.reduce((n, r) => n + r.bytes, 0),
      };
      if (failures.length > 0) {
        throw new TugError('sync_failed', failures.map((f) => `${f.container}: ${f.error!.message}`).join('; '), { exitCode: ExitCode.serviceFailed });
      }
      const now = Date.now();
      this.emit({ ...base, state: 'done', time: now, durationMs: now - t0, message: `${what} into ${count(containers.length, 'container')}`, detail });
    } catch (err) {
      this.fail(base, t0, err);
      throw err;
    }
  }

  private async restart(services: string[]): Promise<void> {
    await this.around(services, 'restart', () => this.lock(() => restart(this.engine, this.project, {
      services, signal: this.opts.signal, onProgress: this.emit, timeout: this.opts.stopTimeout,
    })));
  }

  /**
   * Builds the services' images and recreates their containers (their dependencies untouched),
   * then restarts the services that declared `restart: true` on one of them.
   */
  private async rebuild(services: string[]): Promise<void> {
    await this.around(services, 'rebuild', () => this.lock(async () => {
      await up(this.engine, this.project, {
        targets: services, noDeps: true, build: true, forceRecreate: true,
        signal: this.opts.signal, onProgress: this.emit, version: this.opts.version, stopTimeout: this.opts.stopTimeout,
      });
      const rebuilt = new Set(services);
      const dependents = Object.values(this.project.services)
        .filter((s) => !rebuilt.has(s.name) && Object.entries(s.depends_on).some(([dep, d]) => d.restart && rebuilt.has(dep)))
        .map((s) => s.name);
      const present = new Set((await listContainers(this.engine, { project: this.project.name, all: true })).map((c) => c.service));
      const toRestart = dependents.filter((s) => present.has(s));
      if (toRestart.length > 0) {
        await restart(this.engine, this.project, { services: toRestart, signal: this.opts.signal, onProgress: this.emit, timeout: this.opts.stopTimeout });
      }
    }));
  }

  /** The `sync+exec` hooks of a service, in rule order, in each running replica at once. */
  private async exec(service: string, rules: WatchRuleSpec[]): Promise<void> {
    const containers = await this.running(service).catch(() => []);
    for (const rule of rules.sort((a, b) => a.index - b.index)) {
      const x = rule.exec!;
      const env = Object.entries(x.environment ?? {}).map(([k, v]) => (v === null ? k : `${k}=${v}`));
      const text = x.command.join(' ');
      await Promise.all(containers.map(async (c) => {
        const base = { resource: 'container', name: c.name, service, action: 'exec', message: text } as const;
        const t0 = Date.now();
        this.emit({ ...base, state: 'working', time: t0 });
        try {
          const r = await runIn(this.engine, c.id, { cmd: x.command, env, user: x.user, workdir: x.working_dir, privileged: x.privileged });
          if (r.exitCode !== 0) {
            throw new ServiceFailedError('exec_failed', `${text} exited with code ${r.exitCode}${r.output ? `: ${lastLine(r.output)}` : ''}`);
          }
          const now = Date.now();
          this.emit({ ...base, state: 'done', time: now, durationMs: now - t0 });
        } catch (err) {
          this.fail(base, t0, err);
        }
      }));
    }
  }

  /** A service row per service, around an action that acts on several at once. */
  private async around(services: string[], action: 'restart' | 'rebuild', task: () => Promise<unknown>): Promise<void> {
    const t0 = Date.now();
    for (const s of services) this.emit({ resource: 'service', name: s, service: s, action, state: 'working', time: t0 });
    try {
      await task();
    } catch (err) {
      for (const s of services) this.fail({ resource: 'service', name: s, service: s, action }, t0, err);
      throw err;
    }
    const now = Date.now();
    for (const s of services) this.emit({ resource: 'service', name: s, service: s, action, state: 'done', time: now, durationMs: now - t0 });
  }

  private fail(base: Omit<ProgressEvent, 'state' | 'time'>, t0: number, err: unknown): void {
    // Ending the watch interrupts what is in flight: that is no failure to report.
    if (this.opts.signal.aborted) return;
    const now = Date.now();
    const error = { code: err instanceof TugError ? err.code : ('error' as const), message: err instanceof Error ? err.message : String(err) };
    this.emit({ ...base, state: 'error', time: now, durationMs: now - t0, error });
  }
}

/** The files (and links) under a rule's directory that it takes; ignored directories are not entered. */
async function filesUnder(rule: WatchRuleSpec): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, d.name);
      if (!takes(rule, p)) continue;
      if (d.isDirectory()) await walk(p);
      else if (d.isFile() || d.isSymbolicLink()) out.push(p);
    }
  };
  await walk(rule.path);
  return out;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** `TUG_WATCH_DEBOUNCE_MS`: the quiet time that ends a batch (tests set it low). */
function envBatch(): Partial<BatchOptions> {
  const raw = process.env.TUG_WATCH_DEBOUNCE_MS;
  const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? { quietMs: n } : {};
}
