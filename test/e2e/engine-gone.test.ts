/**
 * The engine going away in the middle of `up`, on a real engine of the test's own: a dockerd
 * in a network namespace of its own (as ../shared/engine/swarm-up.sh starts the swarm's), with
 * its own data root and socket, and the busybox image copied in. Stopping it while a dependent
 * waits on a health gate stops its containers (SIGTERM: they exit 143) and closes its socket:
 * tug must say the engine stopped or cannot be reached (exit 4), not that a dependency "exited
 * with code 143". Killing it (SIGKILL) cuts the event stream: tug tries to subscribe again,
 * then says the same. Started again, the next `up` converges: one container per service, no error.
 *
 * The engine also runs in a PID and mount namespace of its own, dockerd their first process:
 * killed, it takes all it ran with it (containerd, shims, containers, mounts), as a crash of the
 * engine's machine would, and nothing is left over on this one.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../src/engine/docker/engine.js';
import { resolveHost } from '../../src/engine/connect.js';
import { listContainers } from '../../src/run/observe.js';
import { BIN, IMAGE, cliEnv, connect, ensureCli, removeDir, requireEngine, setupOnce, tug, uniqueProject, writeStack } from './helpers.js';

const sh = promisify(execFile);

/** One throwaway engine for this file. Short names: the containerd socket under exec-root must fit a socket path. */
const NAME = `tugk${randomBytes(2).toString('hex')}`;
const NETNS = NAME;
const DATA_ROOT = `/var/lib/tug-e2e-${NAME}`;
const EXEC_ROOT = `/var/run/tug-e2e-${NAME}`;
const SOCKET = `/var/run/tug-e2e-${NAME}.sock`;
const PIDFILE = `/var/run/tug-e2e-${NAME}.pid`;
const LOG = `/tmp/tug-e2e-dockerd-${NAME}.log`;
const HOST = `unix://${SOCKET}`;

const mainEngine = connect();
const engine = dockerEngine(resolveHost({}, { DOCKER_HOST: HOST }));
const dirs: string[] = [];
let netnsMade = false;

async function run(cmd: string, args: string[], opts: { allowFail?: boolean; timeout?: number } = {}): Promise<string> {
  try {
    return (await sh(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (e) {
    if (opts.allowFail) return '';
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr || (e as Error).message}`);
  }
}

/** The `unshare` that holds the engine's PID namespace (its pid here: nsenter executes it). */
let holder: number | undefined;

/** dockerd, as this namespace numbers it: the one child of `unshare`. */
function enginePid(): number | undefined {
  if (holder === undefined) return undefined;
  try {
    const pid = Number(readFileSync(`/proc/${holder}/task/${holder}/children`, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Processes whose command line names this engine's roots: its containerd and shims. */
function leftovers(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(EXEC_ROOT) || cmd.includes(DATA_ROOT)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function engineAnswers(): Promise<boolean> {
  return (await run('docker', ['-H', HOST, 'info', '--format', '{{.ServerVersion}}'], { allowFail: true, timeout: 10_000 })) !== '';
}

/** Starts the engine (in a session of its own, so it is nobody's child to signal) and waits until it answers. */
async function startEngine(): Promise<void> {
  // dockerd writes its own pid, 1 in its namespace: a file left by its last life would name a
  // process that exists (itself), and it would refuse to start.
  rmSync(PIDFILE, { force: true });
  // So would containerd's, left by a killed engine (as a reboot would empty /var/run).
  rmSync(`${EXEC_ROOT}/containerd/containerd.pid`, { force: true });
  const log = openSync(LOG, 'a');
  const child = spawn('nsenter', [`--net=/var/run/netns/${NETNS}`, 'unshare', '--pid', '--fork', '--kill-child', '--mount-proc',
    'dockerd', '--data-root', DATA_ROOT, '--exec-root', EXEC_ROOT, '-H', HOST, '--pidfile', PIDFILE],
  { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  closeSync(log);
  holder = child.pid;
  for (const deadline = Date.now() + 60_000; !(await engineAnswers());) {
    if (Date.now() > deadline) throw new Error(`the throwaway engine did not answer within 60 s; its log:\n${readFileSync(LOG, 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Stops the engine as a service manager would (SIGTERM), or kills it (SIGKILL: with it goes
 * everything in its namespace), waiting until the namespace's holder has gone.
 */
async function stopEngine(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const pid = enginePid();
  const h = holder;
  if (h === undefined || !alive(h)) return;
  if (pid !== undefined) process.kill(pid, signal);
  else process.kill(h, 'SIGKILL');
  for (const deadline = Date.now() + 40_000; alive(h);) {
    if (Date.now() > deadline) {
      process.kill(h, 'SIGKILL'); // --kill-child: dockerd, and all of its namespace, go with it
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  for (let i = 0; i < 50 && alive(h); i++) await new Promise((r) => setTimeout(r, 100));
  holder = undefined;
}

setupOnce(async () => {
  await requireEngine(mainEngine);
  await ensureCli();
  await run('ip', ['netns', 'add', NETNS]);
  netnsMade = true;
  await run('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  await startEngine();
  // The image, from the main engine: no registry can be reached here.
  await run('sh', ['-c', `docker save ${IMAGE} | docker -H ${HOST} load -q`], { timeout: 120_000 });
}, 180_000);

afterAll(async () => {
  await stopEngine();
  // Nothing should be left (its namespace took it all); should anything be, it is found by this
  // engine's own roots and ended by its pid.
  for (const p of leftovers()) {
    console.warn(`[engine-gone] a process of the throwaway engine outlived it: ${p}`);
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  // Whatever the engine left mounted under its roots (network namespaces of its containers...),
  // innermost first; /proc/mounts names them by their real paths (/var/run is /run).
  const roots = [DATA_ROOT, EXEC_ROOT].flatMap((r) => [r, realpathOr(dirname(r)) + r.slice(dirname(r).length)]);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
    .filter((m) => roots.some((r) => m.startsWith(r))).sort().reverse();
  for (const m of mounts) await run('umount', ['-l', m], { allowFail: true });
  for (const p of [DATA_ROOT, EXEC_ROOT, SOCKET, PIDFILE, LOG]) rmSync(p, { recursive: true, force: true });
  if (netnsMade) await run('ip', ['netns', 'del', NETNS], { allowFail: true });
  if (existsSync(`/var/run/netns/${NETNS}`)) console.warn(`[engine-gone] could not remove network namespace ${NETNS}`);
  for (const d of dirs) await removeDir(d);
}, 120_000);

/**
 * In its first life db turns healthy only after 20 s: app is still waiting on it when the
 * engine stops. In the next (its volume remembers), at once.
 */
function stack(project: string): string {
  return `
name: ${project}
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "if [ ! -f /data/lived ]; then touch /data/lived; sleep 20; fi; touch /tmp/ready; exec sleep 600"]
    volumes: ["data:/data"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      timeout: 2s
      retries: 100
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    depends_on:
      db:
        condition: service_healthy
  side:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
volumes:
  data: {}
`;
}

interface JsonEvent { service?: string; action: string; state: string }

/** `tug up -d` on the throwaway engine; resolves once app waits for db, with the run's exit. */
async function upUntilAppWaits(dir: string): Promise<{ exit: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'up', '-d', '--progress', 'json'], { cwd: dir, env: { ...cliEnv(), DOCKER_HOST: HOST }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let appWaiting!: () => void;
  const waiting = new Promise<void>((r) => (appWaiting = r));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const line of stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const e = JSON.parse(line) as JsonEvent;
        if (e.service === 'app' && e.action === 'wait' && e.state === 'working') appWaiting();
      } catch {
        // a partial line
      }
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = new Promise<number | null>((r) => child.on('close', (code) => {
    clearTimeout(killer);
    r(code);
  }));
  await Promise.race([waiting, exit.then(() => {
    throw new Error(`tug exited before app waited for db:\n${stderr}`);
  })]);
  return { exit, stderr: () => stderr };
}

/** What tug printed for people (the JSON progress lines left out). */
const prose = (stderr: string) => stderr.split('\n').filter((l) => !l.startsWith('{')).join('\n');

/** The engine is back: the next up brings the stack up, one container per service, with nothing to complain about. */
async function convergesAfterRestart(project: string, dir: string): Promise<void> {
  await startEngine();
  const again = await tug(['up', '-d', '--wait'], dir, { env: { DOCKER_HOST: HOST }, timeoutMs: 150_000 });
  console.log(`[engine-gone] the next up: exit ${again.code} in ${again.ms} ms`);
  expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
  expect(again.stderr).not.toMatch(/error|warning/i);
  const containers = await listContainers(engine, { project, all: true });
  const byService = Object.fromEntries(['db', 'app', 'side'].map((s) => [s, containers.filter((c) => c.service === s).map((c) => c.state)]));
  expect(byService).toEqual({ db: ['running'], app: ['running'], side: ['running'] });
  expect(containers).toHaveLength(3);
}

describe('the engine going away in the middle of up', () => {
  it('stopped (SIGTERM): exit 4 saying the engine stopped, not "db exited with code 143"; once it runs again the next up converges, nothing duplicated', async () => {
    const project = uniqueProject('enginegone');
    const dir = await writeStack(stack(project));
    dirs.push(dir);
    const run = await upUntilAppWaits(dir);
    const t0 = Date.now();
    await stopEngine('SIGTERM');
    const stopped = Date.now() - t0;
    const code = await run.exit;
    const reported = Date.now() - t0;
    const text = prose(run.stderr());
    console.log(`[engine-gone] SIGTERM: the engine stopped in ${stopped} ms; tug exited ${code} ${reported} ms after the stop began:\n${text}`);
    expect(code, run.stderr()).toBe(4);
    expect(text).toContain(`the Docker engine at ${HOST} stopped or cannot be reached`);
    // Not reported as a failure of db's: db stopped because the engine did.
    expect(text).not.toMatch(/cannot start: its dependency "db" exited|service_failed/);
    await convergesAfterRestart(project, dir);
  }, 300_000);

  it('killed (SIGKILL, its event stream cut): exit 4 saying it cannot be reached, after trying to subscribe again; the next up converges', async () => {
    const project = uniqueProject('enginekill');
    const dir = await writeStack(stack(project));
    dirs.push(dir);
    const run = await upUntilAppWaits(dir);
    const t0 = Date.now();
    // The whole engine dies, as in a crash of its machine: dockerd, and with it (its PID
    // namespace) its containerd, shims and containers. (A Docker 20.10 whose dockerd alone was
    // killed can come back holding tasks of containers it reports as exited, refusing every
    // start of them with "task ... already exists": the engine's recovery, not tug's, to test.)
    await stopEngine('SIGKILL');
    expect(leftovers()).toEqual([]);
    const code = await run.exit;
    const reported = Date.now() - t0;
    const text = prose(run.stderr());
    console.log(`[engine-gone] SIGKILL: tug exited ${code} ${reported} ms after the kill:\n${text}`);
    expect(code, run.stderr()).toBe(4);
    expect(text).toContain(`the Docker engine at ${HOST} stopped or cannot be reached`);
    expect(reported).toBeLessThan(20_000);
    await convergesAfterRestart(project, dir);
  }, 300_000);
});
