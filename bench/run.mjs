#!/usr/bin/env node
// tug's benchmark: one run that puts tug beside docker-compose v1 and the bare engine and
// prints medians and ratios. It asserts nothing: timings on a shared 2-core machine are too
// noisy to gate on, so the numbers are for people to read (see bench/README.md).
//
//   node bench/run.mjs [--runs N] [--only 1,2,3]
//
// Needs `npm run build` first (it runs bin/tug.js and imports dist/index.js).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'bench/.cache');
// Other people rebuild dist/ while this runs (the build empties dist/chunks first), so the bench
// runs a private copy of bin/ and dist/ taken at start. It lives under bench/.cache, inside the
// project, so that the externals (dockerode) still resolve from the project's node_modules.
const SNAPSHOT = join(CACHE, `build-${process.pid}`);
const TUG = join(SNAPSHOT, 'bin/tug.js');
const LABEL = 'com.docker.compose.project';
// Every project this bench creates starts with PREFIX-<pid>-, so a later run can tell which
// leftovers belong to a bench that died (its pid is gone) without touching anyone else's.
const PREFIX = 'tugbench';
const RUN_ID = `${PREFIX}-${process.pid}`;

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = { runs: 3, only: new Set([1, 2, 3]) };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--runs') opts.runs = Number(value());
    else if (flag === '--only') opts.only = new Set(String(value()).split(',').map(Number));
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node bench/run.mjs [--runs N] [--only 1,2,3]');
      process.exit(0);
    } else {
      console.error(`unknown argument: ${argv[i]}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) {
    console.error('--runs takes a positive integer');
    process.exit(2);
  }
  return opts;
}

const OPTS = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------- processes

/** Children still running, so an interrupt can end them (by pid) before cleaning up. */
const children = new Set();

/**
 * Runs a command to completion and times it from spawn to exit: the wall time a user waits,
 * process startup included. Never rejects; callers look at `code`.
 */
function run(cmd, args, { timeoutMs = 180_000, env, cwd = ROOT } = {}) {
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
async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- numbers and tables

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + ' ms' : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) + 'x' : '—');
const pct = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? ((100 * a) / b).toFixed(0) + '%' : '—');
const list = (xs) => xs.map((x) => (Number.isFinite(x) ? x.toFixed(0) : '✗')).join(', ');

function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  console.log(line(cells[0]));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('   '));
  for (const r of cells.slice(1)) console.log(line(r));
}

const notes = [];
function note(msg) {
  notes.push(msg);
  console.log(`  note: ${msg}`);
}

// ---------------------------------------------------------------- engine state and cleanup

/** Project names this process created, cleaned up whatever happens. */
const projects = new Set();
function project(suffix) {
  const name = `${RUN_ID}-${suffix}`;
  projects.add(name);
  return name;
}

async function ids(kind, filter) {
  const args =
    kind === 'container' ? ['ps', '-aq', '--no-trunc', '--filter', filter]
    : kind === 'network' ? ['network', 'ls', '-q', '--filter', filter]
    : ['volume', 'ls', '-q', '--filter', filter];
  const r = await run('docker', args, { timeoutMs: 60_000 });
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** Removes everything labelled with the project: containers first, since they hold networks and volumes. */
async function removeProject(name) {
  const filter = `label=${LABEL}=${name}`;
  const containers = await ids('container', filter);
  if (containers.length) await run('docker', ['rm', '-f', '-v', ...containers], { timeoutMs: 120_000 });
  const networks = await ids('network', filter);
  if (networks.length) await run('docker', ['network', 'rm', ...networks], { timeoutMs: 60_000 });
  const volumes = await ids('volume', filter);
  if (volumes.length) await run('docker', ['volume', 'rm', '-f', ...volumes], { timeoutMs: 60_000 });
}

/** Leftovers of earlier bench runs that died before their own cleanup. */
async function sweepStale() {
  const found = new Set();
  for (const args of [
    ['ps', '-a', '--filter', `label=${LABEL}`, '--format', `{{.Label "${LABEL}"}}`],
    ['network', 'ls', '--filter', `label=${LABEL}`, '--format', `{{.Label "${LABEL}"}}`],
    ['volume', 'ls', '--filter', `label=${LABEL}`, '--format', `{{.Label "${LABEL}"}}`],
  ]) {
    const r = await run('docker', args, { timeoutMs: 60_000 });
    for (const p of r.stdout.split('\n')) {
      const m = new RegExp(`^${PREFIX}-(\\d+)-`).exec(p);
      if (m && !alive(Number(m[1]))) found.add(p);
    }
  }
  for (const p of found) await removeProject(p);
  if (found.size) console.log(`  removed leftovers of ${found.size} project(s) from earlier, interrupted bench runs`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

let cleaning;
function cleanupAll() {
  cleaning ??= (async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const p of projects) await removeProject(p);
    if (WORK) rmSync(WORK, { recursive: true, force: true });
    rmSync(SNAPSHOT, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`\n[bench] ${sig}: cleaning up`);
    cleanupAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- stacks

let WORK;
function writeStack(dirName, text) {
  const dir = join(WORK, dirName);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text);
  return file;
}

// Both tools accept the compose-spec format (no top-level `version`); docker-compose 1.29 reads it
// as the latest 3.x-compatible schema and still honours `condition: service_healthy`.
function independentStack(n) {
  let y = 'services:\n';
  for (let i = 1; i <= n; i++) {
    y += `  s${i}:\n    image: busybox\n    init: true\n    command: ["sleep", "300"]\n`;
  }
  return y;
}

// busybox httpd serving /etc, so `/hostname` is a file that answers 200 once the server listens.
function healthChainStack(depth) {
  let y = 'services:\n';
  for (let i = 1; i <= depth; i++) {
    y += `  s${i}:
    image: busybox
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/hostname"]
      interval: 1s
      timeout: 2s
      retries: 30
`;
    if (i > 1) y += `    depends_on:\n      s${i - 1}:\n        condition: service_healthy\n`;
  }
  return y;
}

/** A deterministic PRNG, so every run plans the same generated stack. */
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A large random DAG: each service depends on ~3 earlier ones (so it is acyclic by
 * construction), with a sprinkling of ports, volumes, env and healthchecks so that every
 * normaliser path has something to do.
 */
function bigStack(n, seed = 42) {
  const rnd = mulberry32(seed);
  const pad = (i) => `svc${String(i).padStart(4, '0')}`;
  const healthy = (i) => i % 10 === 0;
  const volumes = [];
  let y = 'services:\n';
  for (let i = 0; i < n; i++) {
    y += `  ${pad(i)}:\n    image: busybox\n    init: true\n    command: ["sleep", "300"]\n`;
    y += `    environment:\n      ROLE: r${i % 7}\n      INDEX: "${i}"\n`;
    if (i % 25 === 0) y += `    ports:\n      - "127.0.0.1:${20000 + i}:80"\n`;
    if (i % 40 === 0) {
      volumes.push(`data${i}`);
      y += `    volumes:\n      - data${i}:/data\n      - ./conf:/conf:ro\n`;
    }
    if (healthy(i)) {
      y += `    healthcheck:\n      test: ["CMD", "true"]\n      interval: 5s\n      timeout: 2s\n      retries: 3\n`;
    }
    const deps = new Set();
    for (let k = 0; k < Math.min(i, 3); k++) deps.add(Math.floor(rnd() * i));
    if (deps.size) {
      y += '    depends_on:\n';
      for (const d of [...deps].sort((a, b) => a - b)) {
        y += `      ${pad(d)}:\n        condition: ${healthy(d) ? 'service_healthy' : 'service_started'}\n`;
      }
    }
  }
  if (volumes.length) y += 'volumes:\n' + volumes.map((v) => `  ${v}: {}\n`).join('');
  return y;
}

// ---------------------------------------------------------------- tools

const tug = (file, name, ...args) => run(process.execPath, [TUG, '-f', file, '-p', name, ...args, '--progress', 'quiet']);
/** With one JSON progress event per line on stderr: when tug asked for what. */
const tugJson = (file, name, ...args) => run(process.execPath, [TUG, '-f', file, '-p', name, ...args, '--progress', 'json']);

/** Epoch ms at which tug issued each service's start call, from its JSON progress. */
function startRequests(stderr) {
  const at = new Map();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line);
      if (e.resource === 'container' && e.action === 'start' && e.state === 'working' && !at.has(e.service)) at.set(e.service, Date.parse(e.time));
    } catch {
      // not an event
    }
  }
  return at;
}
const compose = (file, name, ...args) => run('docker-compose', ['-f', file, '-p', name, ...args]);

async function ensureCompose() {
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

async function runningCount(name) {
  return (await ids('container', `label=${LABEL}=${name}`).then(async (all) => {
    if (!all.length) return [];
    const r = await run('docker', ['inspect', '-f', '{{.State.Running}}', ...all]);
    return r.stdout.split('\n').filter((l) => l === 'true');
  })).length;
}

// ---------------------------------------------------------------- 1. 20 independent services

async function benchIndependent(composeVersion) {
  const N = 20;
  console.log(`\n== 1. ${N} independent services: up -d and down (wall, ${OPTS.runs} run(s)) ==`);
  const file = writeStack('independent', independentStack(N));

  const engineUp = async (name, network) => {
    const t0 = performance.now();
    if (network) await must('docker', ['network', 'create', '--label', `${LABEL}=${name}`, `${name}_default`]);
    const rs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        run('docker', [
          'run', '-d', '--init', '--name', `${name}-s${i + 1}`, '--label', `${LABEL}=${name}`,
          ...(network ? ['--network', `${name}_default`] : []), 'busybox', 'sleep', '300',
        ]),
      ),
    );
    const took = performance.now() - t0;
    const bad = rs.find((r) => r.code !== 0);
    return { code: bad ? bad.code : 0, stderr: bad?.stderr ?? '', ms: took };
  };
  const engineDown = async (name, network) => {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: N }, (_, i) => run('docker', ['rm', '-f', `${name}-s${i + 1}`])));
    if (network) rs.push(await run('docker', ['network', 'rm', `${name}_default`]));
    const bad = rs.find((r) => r.code !== 0);
    return { code: bad ? bad.code : 0, stderr: bad?.stderr ?? '', ms: performance.now() - t0 };
  };

  const tools = [
    { key: 'tug', label: 'tug up -d / tug down', up: (p) => tug(file, p, 'up', '-d'), down: (p) => tug(file, p, 'down') },
    ...(composeVersion
      ? [{ key: 'compose', label: `docker-compose ${composeVersion}`, up: (p) => compose(file, p, 'up', '-d'), down: (p) => compose(file, p, 'down') }]
      : []),
    { key: 'engine', label: `engine: ${N}x docker run -d / rm -f`, up: (p) => engineUp(p, false), down: (p) => engineDown(p, false) },
    { key: 'engine+net', label: 'engine + network create/rm', up: (p) => engineUp(p, true), down: (p) => engineDown(p, true) },
  ];
  const times = Object.fromEntries(tools.map((t) => [t.key, { up: [], down: [] }]));

  for (let run = 0; run < OPTS.runs; run++) {
    // Rotating the order spreads whatever else the machine is doing over all the columns.
    const order = tools.map((_, i) => tools[(i + run) % tools.length]);
    for (const tool of order) {
      const name = project(`ind-${tool.key.replace('+', '')}-${run}`);
      const up = await tool.up(name);
      const running = await runningCount(name);
      if (up.code !== 0 || running !== N) {
        note(`${tool.key} run ${run + 1}: up exited ${up.code} with ${running}/${N} running; not counted\n${up.stderr.trim().slice(-800)}`);
        times[tool.key].up.push(NaN);
      } else times[tool.key].up.push(up.ms);
      await sleep(500);
      const down = await tool.down(name);
      const left = (await ids('container', `label=${LABEL}=${name}`)).length;
      if (down.code !== 0 || left !== 0) {
        note(`${tool.key} run ${run + 1}: down exited ${down.code} leaving ${left} container(s); not counted\n${down.stderr.trim().slice(-800)}`);
        times[tool.key].down.push(NaN);
      } else times[tool.key].down.push(down.ms);
      await removeProject(name);
      await sleep(500);
    }
  }

  const eng = { up: median(times.engine.up), down: median(times.engine.down) };
  const engNet = { up: median(times['engine+net'].up), down: median(times['engine+net'].down) };
  for (const phase of ['up', 'down']) {
    console.log(`\n  ${phase === 'up' ? 'up -d' : 'down'}:`);
    table(
      ['', 'median', 'runs (ms)', 'x engine', 'x engine+net'],
      tools.map((t) => {
        const m = median(times[t.key][phase]);
        return [t.label, ms(m), list(times[t.key][phase]), ratio(m, eng[phase]), ratio(m, engNet[phase])];
      }),
    );
  }
  const tugUp = median(times.tug.up);
  console.log(`\n  target: tug up within 1.1x of the engine -> ${ratio(tugUp, eng.up)} ${tugUp <= 1.1 * eng.up ? '(met)' : '(not met)'}`);
  console.log('  (tug and compose also create and remove a project network; "engine + network" adds that step to the engine baseline)');
  return { tugUp };
}

// ---------------------------------------------------------------- 2. service_healthy chain

/**
 * Subscribes to the engine's events for one project. `--since` a second before now replays
 * anything emitted while the subscription was being set up, so nothing is missed.
 */
function watchEvents(name) {
  const events = [];
  const since = (Date.now() / 1000 - 1).toFixed(3);
  const child = spawn('docker', ['events', '--since', since, '--format', '{{json .}}', '--filter', `label=${LABEL}=${name}`, '--filter', 'type=container'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const e = JSON.parse(line);
        events.push({ action: e.Action ?? e.status, service: e.Actor?.Attributes?.['com.docker.compose.service'], ns: BigInt(e.timeNano) });
      } catch {
        // Not an event line: ignore.
      }
    }
  });
  return {
    events,
    stop() {
      child.kill('SIGTERM');
      children.delete(child);
    },
  };
}

/** First time (ns) each service emitted `action`. */
function firstOf(events, action) {
  const out = new Map();
  for (const e of events) if (e.action === action && e.service && !out.has(e.service)) out.set(e.service, e.ns);
  return out;
}

async function benchHealthChain(composeVersion, tugUp20) {
  const DEPTH = 5;
  console.log(`\n== 2. ${DEPTH}-deep service_healthy chain: dependency healthy -> dependent start (engine events, ${OPTS.runs} run(s)) ==`);
  const file = writeStack('chain', healthChainStack(DEPTH));
  const tools = [
    { key: 'tug', up: (p) => tugJson(file, p, 'up', '-d'), down: (p) => tug(file, p, 'down') },
    ...(composeVersion ? [{ key: 'compose', up: (p) => compose(file, p, 'up', '-d'), down: (p) => compose(file, p, 'down') }] : []),
  ];
  const gaps = Object.fromEntries(tools.map((t) => [t.key, []])); // per run: [edge ms...]
  // tug's edges split in two: healthy event -> its start call, and start call -> start event.
  const reaction = [];
  const engineStart = [];
  const walls = Object.fromEntries(tools.map((t) => [t.key, []]));
  for (let run = 0; run < OPTS.runs; run++) {
    const order = tools.map((_, i) => tools[(i + run) % tools.length]);
    for (const tool of order) {
      const name = project(`chain-${tool.key}-${run}`);
      const watch = watchEvents(name);
      let edges = Array(DEPTH - 1).fill(NaN);
      try {
        const up = await tool.up(name);
        if (up.code !== 0) {
          note(`${tool.key} chain run ${run + 1}: up exited ${up.code}\n${up.stderr.trim().slice(-800)}`);
          walls[tool.key].push(NaN);
        } else {
          walls[tool.key].push(up.ms);
          // `up -d` returns once the last service started; give the event stream time to deliver it.
          const deadline = Date.now() + 10_000;
          while (Date.now() < deadline) {
            const starts = firstOf(watch.events, 'start');
            const healthy = firstOf(watch.events, 'health_status: healthy');
            if (starts.has(`s${DEPTH}`) && Array.from({ length: DEPTH - 1 }, (_, i) => `s${i + 1}`).every((s) => healthy.has(s))) break;
            await sleep(100);
          }
          const starts = firstOf(watch.events, 'start');
          const healthy = firstOf(watch.events, 'health_status: healthy');
          edges = Array.from({ length: DEPTH - 1 }, (_, i) => {
            const dep = healthy.get(`s${i + 1}`);
            const dependent = starts.get(`s${i + 2}`);
            return dep !== undefined && dependent !== undefined ? Number(dependent - dep) / 1e6 : NaN;
          });
          if (tool.key === 'tug') {
            const asked = startRequests(up.stderr);
            for (let i = 1; i < DEPTH; i++) {
              const dep = healthy.get(`s${i}`);
              const dependent = starts.get(`s${i + 1}`);
              const request = asked.get(`s${i + 1}`);
              if (dep === undefined || dependent === undefined || request === undefined) continue;
              reaction.push(request - Number(dep) / 1e6);
              engineStart.push(Number(dependent) / 1e6 - request);
            }
          }
        }
      } finally {
        watch.stop();
      }
      gaps[tool.key].push(edges);
      await tool.down(name);
      await removeProject(name);
    }
  }

  const edgeNames = Array.from({ length: DEPTH - 1 }, (_, i) => `s${i + 1}->s${i + 2}`);
  const medians = {};
  console.log();
  table(
    ['', ...edgeNames.map((e) => `${e} (ms)`), 'median', 'up -d wall'],
    tools.map((t) => {
      medians[t.key] = median(gaps[t.key].flat());
      // Each edge's cell lists that edge's value in every run.
      return [
        t.key === 'tug' ? 'tug' : `docker-compose ${composeVersion}`,
        ...edgeNames.map((_, e) => list(gaps[t.key].map((r) => r[e]))),
        ms(medians[t.key]),
        ms(median(walls[t.key])),
      ];
    }),
  );
  if (composeVersion) console.log(`\n  tug / compose (edge median): ${ratio(medians.tug, medians.compose)}`);
  // The gap ends with the engine's own start work (namespaces, veth, iptables), which no
  // client can shorten: measure that floor on this engine so the gap can be read against it.
  const floor = await engineStartFloor();
  if (Number.isFinite(floor)) {
    console.log(`  engine floor: starting a pre-created container on a user network takes ${ms(floor)} (median of 5)`);
  }
  // Clocks: engine events carry the engine's time, tug's progress the same host's, to the ms.
  console.log(`  tug's edge, split: healthy event -> tug's start call ${ms(median(reaction))}, start call -> start event ${ms(median(engineStart))} (medians)`);
  console.log(`  target: tug under 200 ms per edge -> ${ms(medians.tug)} ${medians.tug < 200 ? '(met)' : '(not met)'}; compose v1 is said to take ~400 ms`);
  console.log('  (compose v1 creates each container only once its dependency is healthy; tug creates them all up front, so its gap is start only)');

  // Startup: the fixed cost of each CLI invocation, which every wall time above includes.
  const tugStart = [];
  const composeStart = [];
  for (let i = 0; i < 10; i++) {
    tugStart.push((await must(process.execPath, [TUG, '--version'])).ms);
    if (composeVersion) composeStart.push((await must('docker-compose', ['--version'])).ms);
  }
  const ts = median(tugStart);
  console.log('\n  CLI process startup (median of 10):');
  table(
    ['', 'median', 'share of tug up -d (20 services)'],
    [
      ['node bin/tug.js --version', ms(ts), pct(ts, tugUp20)],
      ...(composeVersion ? [['docker-compose --version', ms(median(composeStart)), '']] : []),
    ],
  );
}

/**
 * Median time from issuing the Engine API start call to the engine's `start` event, for a
 * pre-created container on a user-defined network: the same call tug makes when a gate opens.
 */
async function engineStartFloor() {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker();
  const name = project('floor');
  const labels = { 'com.docker.compose.project': name };
  const times = [];
  try {
    await docker.createNetwork({ Name: `${name}_net`, Labels: labels });
    for (let i = 0; i < 5; i++) {
      const c = await docker.createContainer({
        name: `${name}-c${i}`, Image: 'busybox:latest', Cmd: ['sleep', '300'], Labels: { ...labels, 'com.docker.compose.service': `c${i}` },
        HostConfig: { Init: true, NetworkMode: `${name}_net` },
      });
      const watch = watchEvents(name);
      await sleep(300); // the `docker events` subscription must be live before the start call
      const t0 = Date.now();
      await c.start();
      const deadline = Date.now() + 5000;
      while (!firstOf(watch.events, 'start').has(`c${i}`) && Date.now() < deadline) await sleep(20);
      const started = firstOf(watch.events, 'start').get(`c${i}`);
      watch.stop();
      if (started !== undefined) times.push(Number(started) / 1e6 - t0);
    }
  } catch (err) {
    note(`engine floor not measured: ${err.message}`);
  } finally {
    await removeProject(name);
  }
  return median(times);
}

// ---------------------------------------------------------------- 3. planning a 2,000-service stack

/**
 * planUp and configHash are internal (not exported from dist/index.js): compile them from the
 * sources into bench/.cache with the project's own esbuild, the same way the build bundles them.
 */
async function loadPlanner(lib) {
  if (typeof lib.planUp === 'function' && typeof lib.configHash === 'function') return lib;
  const esbuild = await import('esbuild');
  const outfile = join(CACHE, 'plan.mjs');
  mkdirSync(CACHE, { recursive: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    stdin: {
      contents: "export { planUp } from './src/plan/up.ts';\nexport { configHash } from './src/engine/spec.ts';\n",
      resolveDir: ROOT,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    define: { __TUG_VERSION__: '"bench"' },
    logLevel: 'error',
  });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}

async function timeIt(iterations, fn) {
  const out = [];
  let result;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    result = await fn();
    out.push(performance.now() - t0);
  }
  return { times: out, result };
}

async function benchPlan(composeVersion) {
  const N = 2000;
  const ITER = Math.max(5, OPTS.runs);
  console.log(`\n== 3. planning a ${N}-service stack in-process (cold = first call, warm = median of ${ITER}) ==`);
  const lib = await import(pathToFileURL(join(SNAPSHOT, 'dist/index.js')).href);
  const file = writeStack('big', bigStack(N));
  const loadOpts = { files: [file], projectName: project('plan'), env: {} };

  const load = await timeIt(ITER + 1, () => lib.loadProject(loadOpts));
  const proj = load.result;
  const nServices = Object.keys(proj.services).length;
  const graph = await timeIt(ITER + 1, () => {
    const g = lib.DependencyGraph.fromServices(proj.services);
    g.topoOrder();
    return g;
  });
  let planner;
  try {
    planner = await loadPlanner(lib);
  } catch (err) {
    note(`could not compile planUp from src/ (${String(err.message ?? err).split('\n')[0]}): its rows are skipped`);
  }
  const rows = [
    ['loadProject (parse+validate+normalise)', load.times],
    ['DependencyGraph build + topoOrder', graph.times],
  ];
  if (planner) {
    const hashes = await timeIt(ITER + 1, () => new Map(Object.keys(proj.services).map((s) => [s, planner.configHash(proj.services[s])])));
    const empty = { containers: [], networks: [], volumes: [] };
    const plan = await timeIt(ITER + 1, () => planner.planUp(proj, graph.result, empty, (s) => hashes.result.get(s)));
    const creates = plan.result.services.filter((s) => s.replicas.length === 1 && s.replicas[0].kind === 'create').length;
    if (creates !== N) note(`planUp planned ${creates}/${N} creates: the generated stack or the planner changed`);
    rows.push(['configHash of every service', hashes.times], ['planUp against an empty engine', plan.times]);
  }
  const warm = rows.map(([, t]) => median(t.slice(1)));
  const total = warm.reduce((a, b) => a + b, 0);
  console.log(`  ${nServices} services, ${graph.result.topoOrder().length} in topological order, ${countEdges(proj)} depends_on edges\n`);
  table(
    ['stage', 'cold', 'warm median', 'per service', 'share of warm total'],
    [
      ...rows.map(([label, t], i) => [label, ms(t[0]), ms(warm[i]), `${((warm[i] * 1000) / N).toFixed(1)} µs`, pct(warm[i], total)]),
      ['total', ms(rows.reduce((a, [, t]) => a + t[0], 0)), ms(total), `${((total * 1000) / N).toFixed(1)} µs`, '100%'],
    ],
  );

  // The same parse and checks as a user pays for them: a whole CLI process per call.
  const SMALL = 100;
  const small = writeStack('config100', bigStack(SMALL));
  const name = project('config');
  console.log(`\n  config -q on a ${SMALL}-service file (wall, median of 10):`);
  const tugTimes = [];
  const coldTimes = [];
  const composeTimes = [];
  // Caches off is what the first run after an edit pays: the file parsed and validated afresh.
  const cold = { env: { ...process.env, TUG_NO_CACHE: '1' } };
  for (let i = 0; i < 10; i++) {
    tugTimes.push((await must(process.execPath, [TUG, '-f', small, '-p', name, 'config', '-q'])).ms);
    coldTimes.push((await must(process.execPath, [TUG, '-f', small, '-p', name, 'config', '-q'], cold)).ms);
    if (composeVersion) composeTimes.push((await must('docker-compose', ['-f', small, '-p', name, 'config', '-q'])).ms);
  }
  const bigTimes = [];
  for (let i = 0; i < 3; i++) bigTimes.push((await must(process.execPath, [TUG, '-f', file, '-p', name, 'config', '-q'])).ms);
  const t = median(tugTimes);
  const c = median(composeTimes);
  table(
    ['', 'median', 'runs (ms)', 'x compose'],
    [
      [`tug config -q (${SMALL} services)`, ms(t), list(tugTimes), ratio(t, c)],
      [`tug config -q (${SMALL} services), caches off`, ms(median(coldTimes)), list(coldTimes), ratio(median(coldTimes), c)],
      ...(composeVersion ? [[`docker-compose config -q (${SMALL} services)`, ms(c), list(composeTimes), '1.00x']] : []),
      [`tug config -q (${N} services, median of 3)`, ms(median(bigTimes)), list(bigTimes), ''],
    ],
  );
}

function countEdges(proj) {
  return Object.values(proj.services).reduce((n, s) => n + Object.keys(s.depends_on ?? {}).length, 0);
}

// ---------------------------------------------------------------- main

async function engineReady() {
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
  if (r.code !== 0) return undefined;
  const img = await run('docker', ['image', 'inspect', 'busybox:latest']);
  return img.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * Copies bin/ and dist/ and checks that the copy runs: a copy taken while a rebuild was
 * emptying dist/chunks would miss chunks, so it is retried until one loads.
 */
async function snapshotBuild() {
  const probe = writeStack('probe', independentStack(1));
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

/** One part failing (a rebuild of dist/ under it, an engine hiccup) still leaves the others' numbers. */
async function part(n, fn) {
  try {
    await fn();
  } catch (err) {
    process.exitCode = 1;
    note(`part ${n} failed: ${err.stack ?? err}`);
  }
}

async function main() {
  WORK = mkdtempSync(join(tmpdir(), `${RUN_ID}-`));
  await snapshotBuild();
  const engine = (OPTS.only.has(1) || OPTS.only.has(2)) ? await engineReady() : undefined;
  const composeVersion = engine || OPTS.only.has(3) ? await ensureCompose() : undefined;
  const tugVersion = (await run(process.execPath, [TUG, '--version'])).stdout.trim();
  console.log(`tug bench: tug ${tugVersion}, node ${process.version}, engine ${engine ?? (OPTS.only.has(1) || OPTS.only.has(2) ? 'unavailable' : 'not checked')}, ` +
    `docker-compose ${composeVersion ?? 'unavailable'}, ${cpus().length} cores, --runs ${OPTS.runs}`);
  if (engine) await sweepStale();

  let tugUp20 = NaN;
  if ((OPTS.only.has(1) || OPTS.only.has(2)) && !engine) {
    note('no Docker engine with busybox:latest (try `bash /work/shared/engine/engine-up.sh`): parts 1 and 2 are skipped');
  } else {
    if (OPTS.only.has(1)) await part(1, async () => (tugUp20 = (await benchIndependent(composeVersion)).tugUp));
    if (OPTS.only.has(2)) await part(2, () => benchHealthChain(composeVersion, tugUp20));
  }
  if (OPTS.only.has(3)) await part(3, () => benchPlan(composeVersion));
  if (notes.length) console.log(`\n${notes.length} note(s) above: some values were not counted or columns skipped.`);
}

try {
  await main();
} catch (err) {
  console.error(`\nbench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
