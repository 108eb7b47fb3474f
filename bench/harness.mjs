// The bench's harness: running and timing processes, medians, ratios and side-by-side tables,
// finding the tools (the engine, docker-compose, a private copy of tug's build), and leaving
// nothing behind on the engine. The benchmarks themselves are in bench/cases/.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CACHE = join(ROOT, 'bench/.cache');
// Other people rebuild dist/ while this runs (the build empties dist/chunks first), so the bench
// runs a private copy of bin/ and dist/ taken at start. It lives under bench/.cache, inside the
// project, so that the externals (dockerode) still resolve from the project's node_modules.
export const SNAPSHOT = join(CACHE, `build-${process.pid}`);
export const TUG = join(SNAPSHOT, 'bin/tug.js');
export const LABEL = 'com.docker.compose.project';
// Every project this bench creates starts with PREFIX-<pid>-, so a later run can tell which
// leftovers belong to a bench that died (its pid is gone) without touching anyone else's.
const PREFIX = 'tugbench';
export const RUN_ID = `${PREFIX}-${process.pid}`;

// ---------------------------------------------------------------- processes

/** Children still running, so an interrupt can end them (by pid) before cleaning up. */
export const children = new Set();

/**
 * Runs a command to completion and times it from spawn to exit: the wall time a user waits,
 * process startup included. Never rejects; callers look at `code`.
 */
export function run(cmd, args, { timeoutMs = 180_000, env, cwd = ROOT } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[bench] timed out after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: -1, stdout, stderr: String(err), ms: performance.now() - started });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** `run` that throws with the command's output when it fails. */
export async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Times `iterations` calls of `fn` in-process; the result is the last call's. */
export async function timeIt(iterations, fn) {
  const out = [];
  let result;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    result = await fn();
    out.push(performance.now() - t0);
  }
  return { times: out, result };
}

// ---------------------------------------------------------------- numbers and tables

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The nearest-rank percentile (p95 of 20 values is the 19th smallest). */
export function percentile(xs, p) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

export const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + ' ms' : '—');
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) + 'x' : '—');
export const pct = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? ((100 * a) / b).toFixed(0) + '%' : '—');
export const list = (xs) => xs.map((x) => (Number.isFinite(x) ? x.toFixed(0) : '✗')).join(', ');

export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  console.log(line(cells[0]));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('   '));
  for (const r of cells.slice(1)) console.log(line(r));
}

const notes = [];
export function note(msg) {
  notes.push(msg);
  console.log(`  note: ${msg}`);
}

/** How many notes were printed: the summary line at the end says so. */
export const noteCount = () => notes.length;

/** One part failing (a rebuild of dist/ under it, an engine hiccup) still leaves the others' numbers. */
export async function part(n, fn) {
  try {
    await fn();
  } catch (err) {
    process.exitCode = 1;
    note(`part ${n} failed: ${err.stack ?? err}`);
  }
}

// ---------------------------------------------------------------- engine state and cleanup

/** Project names this process created, cleaned up whatever happens. */
const projects = new Set();
export function project(suffix) {
  const name = `${RUN_ID}-${suffix}`;
  projects.add(name);
  return name;
}

export async function ids(kind, filter) {
  const args =
    kind === 'container' ? ['ps', '-aq', '--no-trunc', '--filter', filter]
    : kind === 'network' ? ['network', 'ls', '-q', '--filter', filter]
    : ['volume', 'ls', '-q', '--filter', filter];
  const r = await run('docker', args, { timeoutMs: 60_000 });
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** Removes everything labelled with the project: containers first, since they hold networks and volumes. */
export async function removeProject(name) {
  const filter = `label=${LABEL}=${name}`;
  const containers = await ids('container', filter);
  if (containers.length) await run('docker', ['rm', '-f', '-v', ...containers], { timeoutMs: 120_000 });
  const networks = await ids('network', filter);
  if (networks.length) await run('docker', ['network', 'rm', ...networks], { timeoutMs: 60_000 });
  const volumes = await ids('volume', filter);
  if (volumes.length) await run('docker', ['volume', 'rm', '-f', ...volumes], { timeoutMs: 60_000 });
}

/** Leftovers of earlier bench runs that died before their own cleanup. */
export async function sweepStale() {
  const found = new Set();
  for (const args of [
    ['ps', '-a', '--filter', `label=${LABEL}`, '--format', `{{.Label "${LABEL}"}}`],
    ['network', 'ls', '--filter', `label=${LABEL}`, '--format', `{{.Label "${LABEL}"}}`],
    ['volume', 'ls', '--filter', `label=${LABEL}`, '--format', `{{.Label "${LABEL}"}}`],
  ]) {
    const r = await run('docker', args, { timeoutMs: 60_000 });
    for (const p of r.stdout.split('\n')) if (isStale(p)) found.add(p);
  }
  for (const p of found) await removeProject(p);
  if (found.size) console.log(`  removed leftovers of ${found.size} project(s) from earlier, interrupted bench runs`);
}

/** Whether a project name is one of a bench run that died before its own cleanup. */
export function isStale(name) {
  const m = new RegExp(`^${PREFIX}-(\\d+)-`).exec(name);
  return Boolean(m) && !alive(Number(m[1]));
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Clean-up a case adds (its projects on another engine, say), run by cleanupAll. */
const cleanups = [];
export function onCleanup(fn) {
  cleanups.push(fn);
}

let cleaning;
/** Ends this run's children, removes its projects, its work directory and its copy of the build. */
export function cleanupAll() {
  cleaning ??= (async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const fn of cleanups) await fn().catch((err) => console.error(`[bench] clean-up failed: ${err}`));
    for (const p of projects) await removeProject(p);
    if (WORK) rmSync(WORK, { recursive: true, force: true });
    rmSync(SNAPSHOT, { recursive: true, force: true });
  })();
  return cleaning;
}

/** On Ctrl-C or SIGTERM: clean up, then exit 130. */
export function cleanupOnSignals() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.error(`\n[bench] ${sig}: cleaning up`);
      cleanupAll().finally(() => process.exit(130));
    });
  }
}

// ---------------------------------------------------------------- stacks

let WORK;
/** The temporary directory that stacks are written to; removed by cleanupAll. */
export function startWork() {
  WORK = mkdtempSync(join(tmpdir(), `${RUN_ID}-`));
}

export function writeStack(dirName, text) {
  const dir = join(WORK, dirName);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------- tools

export const tug = (file, name, ...args) => run(process.execPath, [TUG, '-f', file, '-p', name, ...args, '--progress', 'quiet']);
/** With one JSON progress event per line on stderr: when tug asked for what. */
export const tugJson = (file, name, ...args) => run(process.execPath, [TUG, '-f', file, '-p', name, ...args, '--progress', 'json']);
export const compose = (file, name, ...args) => run('docker-compose', ['-f', file, '-p', name, ...args]);

/** docker-compose's version, installing it with apt-get when root may; undefined when it cannot be had. */
export async function ensureCompose() {
  const have = await run('docker-compose', ['version', '--short']);
  if (have.code === 0) return have.stdout.trim();
  const apt = await run('apt-get', ['--version']);
  if (apt.code !== 0 || process.getuid?.() !== 0) {
    note('docker-compose is not on PATH and apt-get is not usable here: its columns are skipped');
    return undefined;
  }
  console.log('  installing docker-compose with apt-get (once per machine)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '-q', 'docker-compose'], { env, timeoutMs: 600_000 });
  if (r.code !== 0) {
    // A fresh machine may have no package lists yet.
    await run('apt-get', ['update', '-q'], { env, timeoutMs: 600_000 });
    r = await run('apt-get', ['install', '-y', '-q', 'docker-compose'], { env, timeoutMs: 600_000 });
  }
  const after = await run('docker-compose', ['version', '--short']);
  if (after.code === 0) return after.stdout.trim();
  note(`installing docker-compose failed: its columns are skipped\n${r.stderr.trim().slice(-500)}`);
  return undefined;
}

/** The engine's version when it answers and has busybox:latest, else undefined. */
export async function engineReady() {
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
  if (r.code !== 0) return undefined;
  const img = await run('docker', ['image', 'inspect', 'busybox:latest']);
  return img.code === 0 ? r.stdout.trim() : undefined;
}

export async function runningCount(name) {
  return (await ids('container', `label=${LABEL}=${name}`).then(async (all) => {
    if (!all.length) return [];
    const r = await run('docker', ['inspect', '-f', '{{.State.Running}}', ...all]);
    return r.stdout.split('\n').filter((l) => l === 'true');
  })).length;
}

// The smallest stack tug accepts: what the copy of the build is tried on.
const PROBE_STACK = 'services:\n  s1:\n    image: busybox\n    init: true\n    command: ["sleep", "300"]\n';

/**
 * Copies bin/ and dist/ and checks that the copy runs: a copy taken while a rebuild was
 * emptying dist/chunks would miss chunks, so it is retried until one loads.
 */
export async function snapshotBuild() {
  const probe = writeStack('probe', PROBE_STACK);
  let last;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt) await sleep(2000);
    for (const f of ['dist/index.js', 'dist/tug.mjs']) {
      if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
    }
    rmSync(SNAPSHOT, { recursive: true, force: true });
    try {
      cpSync(join(ROOT, 'bin'), join(SNAPSHOT, 'bin'), { recursive: true });
      cpSync(join(ROOT, 'dist'), join(SNAPSHOT, 'dist'), { recursive: true });
    } catch (err) {
      last = String(err);
      continue;
    }
    // Verbs import their chunks lazily, so a missing one would only show mid-bench: check that
    // every relative import of every bundled file is there, then that the CLI really runs.
    const missing = missingChunks(join(SNAPSHOT, 'dist'));
    if (missing.length) {
      last = `missing ${missing.join(', ')}`;
      continue;
    }
    last = await run(process.execPath, [TUG, '-f', probe, '-p', `${RUN_ID}-probe`, 'config', '-q']);
    if (last.code === 0) return;
  }
  throw new Error(`could not take a working copy of dist/: ${typeof last === 'string' ? last : last.stderr.trim()}`);
}

function missingChunks(dist) {
  const files = [join(dist, 'tug.mjs'), ...readdirSync(join(dist, 'chunks')).map((f) => join(dist, 'chunks', f))];
  const missing = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = join(dirname(f), m[1]);
      if (!existsSync(target)) missing.push(target.slice(dist.length + 1));
    }
  }
  return missing;
}
