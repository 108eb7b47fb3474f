/**
 * Plumbing for the end-to-end tests on the real swarm set up by ../shared/engine
 * (swarm-up.sh, registry-up.sh): swnode1 is the manager, swnode2 and swnode3 workers, each a
 * dockerd with its own socket, and a registry every node trusts.
 *
 * The swarm is one shared thing, so the swarm files coordinate through a lock: the file that
 * drains nodes and stops an engine takes it exclusively, the others take it shared, and each
 * holds it from its first deploy to the end of its cleanup.
 *
 * Observations are made with the docker CLI against the manager (and each node's own socket
 * for containers), never through tug's own engine code, so a bug there cannot hide itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, ROOT, tug, type CliResult } from './helpers.js';

/** The manager the tests deploy to: `TUG_SWARM_HOST`, else the one swarm-up.sh makes. */
export const MANAGER = process.env.TUG_SWARM_HOST || 'unix:///var/run/docker-swnode1.sock';
/** The scripts beside the project (../shared/engine), wherever the checkout is. */
const ENGINE_SCRIPTS = join(ROOT, '..', 'shared', 'engine');
export const SWARM_UP = join(ENGINE_SCRIPTS, 'swarm-up.sh');
export const NODES = ['swnode1', 'swnode2', 'swnode3'] as const;
export const REGISTRY = '10.213.0.1:5000';
/** What every node has; with --registry tug pushes it there and deploys the pinned reference. */
export const SWARM_IMAGE = 'local/busybox:latest';
export const STACK_NS = 'com.docker.stack.namespace';
const SETUP = ['engine-up.sh', 'swarm-up.sh', 'registry-up.sh'].map((s) => `bash ${join(ENGINE_SCRIPTS, s)}`).join(' && ');

export const nodeSocket = (hostname: string): string => `unix:///var/run/docker-${hostname}.sock`;

/** The built CLI with DOCKER_HOST the manager (plus `env`). */
export function stug(args: string[], cwd: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return tug(args, cwd, { timeoutMs: opts.timeoutMs ?? 120_000, env: { DOCKER_HOST: MANAGER, ...opts.env } });
}

/** The docker CLI against the manager, or against `host` (a node's socket). */
export function sdocker(args: string[], opts: { host?: string; allowFail?: boolean } = {}) {
  return docker(['-H', opts.host ?? MANAGER, ...args], { allowFail: opts.allowFail });
}

const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter(Boolean);

/** A result's output, for assertion messages. */
export const said = (r: CliResult): string => `exit ${r.code} after ${r.ms} ms\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

// ---- time

/** An engine timestamp (RFC 3339 with nanoseconds) as milliseconds, keeping microseconds. */
export function isoMs(ts: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) throw new Error(`not an engine timestamp: ${ts}`);
  return Date.parse(`${m[1]}${m[3]}`) + Number(`0.${(m[2] ?? '0').padEnd(6, '0').slice(0, 6)}`) * 1000;
}

/** Polls `probe` until it returns something other than undefined; fails with `what` and the last value seen. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000, every = 300): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---- what the swarm says (docker CLI)

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = Record<string, any>;

export async function inspectService(name: string): Promise<Json> {
  return JSON.parse((await sdocker(['service', 'inspect', name])).stdout)[0];
}

/** Every task of a service the manager still holds (history included), as `docker inspect --type task` has them. */
export async function tasksOf(service: string): Promise<Json[]> {
  const ids = lines((await sdocker(['service', 'ps', '-q', '--no-trunc', service])).stdout);
  if (!ids.length) return [];
  return JSON.parse((await sdocker(['inspect', '--type', 'task', ...ids])).stdout);
}

export const running = (tasks: Json[]): Json[] => tasks.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');

/** Node ID → hostname. */
export async function nodeNames(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const l of lines((await sdocker(['node', 'ls', '--format', '{{.ID}} {{.Hostname}}'])).stdout)) {
    const [id, host] = l.split(' ');
    out[id!] = host!;
  }
  return out;
}

/** The container of a task, inspected on the node it runs on. */
export async function taskContainer(task: Json, names?: Record<string, string>): Promise<{ node: string; container: Json }> {
  const node = (names ?? (await nodeNames()))[task.NodeID];
  const id = task.Status?.ContainerStatus?.ContainerID;
  if (!node || !id) throw new Error(`task ${task.ID} has no node or container yet: ${JSON.stringify(task.Status)}`);
  const container = JSON.parse((await sdocker(['inspect', '--type', 'container', id], { host: nodeSocket(node) })).stdout)[0];
  return { node, container };
}

/** Names of the objects of a kind carrying the stack's namespace label. */
export async function labelled(kind: 'service' | 'network' | 'secret' | 'config', project: string): Promise<string[]> {
  return lines((await sdocker([kind, 'ls', '--filter', `label=${STACK_NS}=${project}`, '--format', '{{.Name}}'])).stdout);
}

/** Names of the objects of a kind whose name contains `<project>_` (the stack's prefix). */
export async function named(kind: 'service' | 'network' | 'secret' | 'config', project: string): Promise<string[]> {
  return lines((await sdocker([kind, 'ls', '--filter', `name=${project}_`, '--format', '{{.Name}}'])).stdout).filter((n) => n.startsWith(`${project}_`));
}

export interface NodeState {
  hostname: string;
  state: string;
  availability: string;
}

export async function nodeStates(): Promise<NodeState[]> {
  return lines((await sdocker(['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}}'])).stdout).map((l) => {
    const [hostname, state, availability] = l.split(' ');
    return { hostname: hostname!, state: state!.toLowerCase(), availability: availability!.toLowerCase() };
  });
}

// ---- precondition

/**
 * The swarm must be there: a manager at MANAGER, three nodes ready and active, the registry
 * answering. A missing swarm fails the file (never skips it), with the command that sets it up.
 * Waits a little for nodes to come back (another file may have just restarted one).
 */
export async function requireSwarm(): Promise<void> {
  const fail = (why: string) => new Error(`the test swarm is not there (${why}); set it up with: ${SETUP}`);
  const info = await sdocker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'], { allowFail: true });
  if (info.code !== 0) throw fail(`no engine answers at ${MANAGER}: ${info.stderr.trim()}`);
  if (info.stdout.trim() !== 'active true') throw fail(`the engine at ${MANAGER} is not a swarm manager: ${info.stdout.trim()}`);
  let states: NodeState[] = [];
  try {
    await until('all three nodes ready and active', async () => {
      states = await nodeStates();
      return NODES.every((n) => states.some((s) => s.hostname === n && s.state === 'ready' && s.availability === 'active')) ? true : undefined;
    }, 30_000, 500);
  } catch {
    throw fail(`nodes: ${states.map((s) => `${s.hostname} ${s.state}/${s.availability}`).join(', ') || 'none'}`);
  }
  const registry = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) }).catch((e: Error) => e);
  if (registry instanceof Error || !registry.ok) throw fail(`the registry at ${REGISTRY} does not answer`);
}

// ---- the swarm lock

const LOCK = join(tmpdir(), 'tug-e2e-swarm-lock');
const EXCLUSIVE = join(LOCK, 'exclusive');
/** A holder that has neither finished nor died after this long was killed mid-run. */
const STALE_MS = 15 * 60_000;

function alive(path: string): boolean {
  let pid: number;
  let mtime: number;
  try {
    pid = Number(readFileSync(path, 'utf8').trim());
    mtime = statSync(path).mtimeMs;
  } catch {
    return false;
  }
  if (Date.now() - mtime > STALE_MS) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the swarm lock; resolves with its release. Shared holders run together; an exclusive
 * holder waits for them to finish and keeps new ones out (it announces itself first, so it is
 * not starved). Both sides write their mark and then look at the other's, so they never both
 * go ahead. Marks of dead processes are cleared.
 */
export async function swarmLock(mode: 'shared' | 'exclusive', timeoutMs = 300_000): Promise<() => void> {
  mkdirSync(LOCK, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const tooLong = () => {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for the ${mode} swarm test lock ${LOCK}; remove it if no test is running`);
  };
  const exclusiveOwner = join(EXCLUSIVE, 'owner');
  if (mode === 'shared') {
    const mark = join(LOCK, `shared-${process.pid}-${randomBytes(4).toString('hex')}`);
    for (;;) {
      writeFileSync(mark, String(process.pid));
      let held = false;
      try {
        statSync(EXCLUSIVE);
        held = true;
      } catch {
        held = false;
      }
      if (!held) return () => rmSync(mark, { force: true });
      rmSync(mark, { force: true });
      // An exclusive holder that died (or never wrote its owner file and is long gone) is cleared.
      if (!alive(exclusiveOwner) && Date.now() - (statSync(EXCLUSIVE, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 5000) rmSync(EXCLUSIVE, { recursive: true, force: true });
      tooLong();
      await sleep(500);
    }
  }
  for (;;) {
    try {
      mkdirSync(EXCLUSIVE);
      writeFileSync(exclusiveOwner, String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!alive(exclusiveOwner) && Date.now() - (statSync(EXCLUSIVE, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 5000) rmSync(EXCLUSIVE, { recursive: true, force: true });
      tooLong();
      await sleep(500);
    }
  }
  const release = () => rmSync(EXCLUSIVE, { recursive: true, force: true });
  try {
    for (;;) {
      const others = readdirSync(LOCK).filter((f) => f.startsWith('shared-')).map((f) => join(LOCK, f));
      for (const f of others) if (!alive(f)) rmSync(f, { force: true });
      if (!others.some(alive)) return release;
      tooLong();
      await sleep(500);
    }
  } catch (e) {
    release();
    throw e;
  }
}

// ---- cleanup

/**
 * Removes the services, networks, secrets and configs carrying the stacks' namespace labels,
 * and nothing else. Networks are let go by the nodes a moment after their tasks stop.
 */
export async function cleanupStacks(projects: string[]): Promise<void> {
  for (const p of projects) {
    const filter = ['--filter', `label=${STACK_NS}=${p}`];
    const services = lines((await sdocker(['service', 'ls', '-q', ...filter], { allowFail: true })).stdout);
    if (services.length) await sdocker(['service', 'rm', ...services], { allowFail: true });
    for (const kind of ['secret', 'config'] as const) {
      const ids = lines((await sdocker([kind, 'ls', '-q', ...filter], { allowFail: true })).stdout);
      if (ids.length) await sdocker([kind, 'rm', ...ids], { allowFail: true });
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ids = lines((await sdocker(['network', 'ls', '-q', ...filter], { allowFail: true })).stdout);
      if (!ids.length || Date.now() > deadline) break;
      await sdocker(['network', 'rm', ...ids], { allowFail: true });
      await sleep(500);
    }
  }
}
