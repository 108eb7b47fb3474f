/**
 * Load (issue 10): a stack of 200 services through `up -d --wait`, `ps` and `down` with no
 * engine error and the tug process peaking under 120 MB of RSS; and 20 stacks brought up and
 * down at once by 20 separate tug processes, all converging, nothing of theirs left behind.
 *
 * Peak RSS is the kernel's high-water mark for the tug process (getrusage, what
 * `/usr/bin/time -v` reports as "Maximum resident set size"), read by a module preloaded into
 * it as it exits: nothing is sampled, so no peak is missed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { listContainers, listNetworks, listVolumes } from '../../src/run/observe.js';
import { runMeasured } from '../measured-run.js';
import { BIN, IMAGE, cleanupProject, cliEnv, connect, ensureCli, removeDir, requireEngine, setupOnce, uniqueProject, writeStack } from './helpers.js';

const engine = connect();
const MB = 2 ** 20;
const SERVICES = 200;
const STACKS = 20;
const RSS_LIMIT = 120 * MB;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  maxRss: number;
}

/** `tug ARGS` in `cwd`, with its peak RSS; killed (and failed) past `timeoutMs`. */
async function tugMeasured(args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  const r = await runMeasured(BIN, args, { cwd, env: cliEnv(), timeoutMs });
  if (r.timedOut) throw new Error(`tug ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr: ${r.stderr.slice(-3000)}`);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: r.ms, maxRss: r.maxRss ?? 0 };
}

/** Exit 0, else the failure with tug's error lines (the progress lines would bury them). */
/**
 * Everything of the projects goes, even after a failure: a network whose endpoints the engine
 * is still releasing (after hundreds of containers) is asked again for up to 30 s.
 */
async function cleanup(projects: string[]): Promise<void> {
  for (const p of projects) await cleanupProject(engine, p);
  for (let i = 0; i < 30; i++) {
    const left = (await Promise.all(projects.map((p) => listNetworks(engine, { project: p })))).flat();
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
    for (const n of left) await engine.networks.remove(n.id).catch(() => {});
  }
}

const ok = (r: Run, what: string) =>
  expect(r.code, `${what} exited ${r.code}:\n${r.stderr.split('\n').filter((l) => /error|warning|hint/i.test(l)).join('\n').slice(0, 4000) || r.stderr.slice(-4000)}`).toBe(0);
const figures: string[] = [];

afterAll(() => {
  if (figures.length) console.info(`load figures:\n  ${figures.join('\n  ')}`);
});

describe(`${SERVICES} services in one stack`, () => {
  const project = uniqueProject('load200');
  let dir: string;
  setupOnce(async () => {
    await requireEngine(engine);
    await ensureCli();
    const services = Array.from({ length: SERVICES }, (_, i) => `  s${i}:\n    image: ${IMAGE}\n    command: ["sleep", "600"]\n    init: true\n`).join('');
    dir = await writeStack(`name: ${project}\nservices:\n${services}`);
  });
  afterAll(async () => {
    await cleanup([project]);
    await removeDir(dir);
  }, 300_000);

  it(`up -d --wait, ps and down: no engine error, tug's peak RSS under ${RSS_LIMIT / MB} MB`, async () => {
    const upRun = await tugMeasured(['up', '-d', '--wait', '--progress', 'plain'], dir, 600_000);
    ok(upRun, 'up');
    expect(upRun.stderr).not.toMatch(/error|internal/i);
    const running = await listContainers(engine, { project });
    expect(running).toHaveLength(SERVICES);
    expect(new Set(running.map((c) => c.service)).size).toBe(SERVICES);

    const psRun = await tugMeasured(['ps', '--format', 'json'], dir, 120_000);
    ok(psRun, 'ps');
    // Compose's shape: one object a line.
    const listed = psRun.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Service: string; State: string });
    expect(listed).toHaveLength(SERVICES);
    expect(new Set(listed.map((c) => c.Service)).size).toBe(SERVICES);
    expect(listed.filter((c) => c.State !== 'running')).toEqual([]);

    const downRun = await tugMeasured(['down', '--progress', 'plain'], dir, 600_000);
    expect(await listContainers(engine, { project, all: true })).toEqual([]);
    // Docker 20.10 under heavy load sometimes keeps counting an endpoint on a network after
    // every container has left it (inspect shows none; only an engine restart clears it: seen
    // in 1 of 3 and 2 of 5 runs here at load average 15-25, never on a quiet machine). That is
    // the engine's fault, not a request of tug's, and tug must say exactly that (exit 5,
    // network_in_use with the engine named as the cause), leaving nothing else behind.
    const network = await listNetworks(engine, { project });
    const staleEndpoint = downRun.code === 5 && network.length === 1
      && (await engine.networks.inspect(network[0]!.id))?.containers.length === 0
      && downRun.stderr.includes('the engine says it has active endpoints, yet no container is attached to it');
    if (staleEndpoint) {
      console.warn(`[load] the engine kept a stale endpoint on ${network[0]!.name}: tug reported it as the engine's fault (exit 5)`);
      expect(downRun.stderr).toContain('restart the Docker engine');
      expect(downRun.stderr).not.toMatch(/internal error|\n\s+at /);
    } else {
      ok(downRun, 'down');
      expect(downRun.stderr).not.toMatch(/error|internal/i);
      expect(network).toEqual([]);
    }

    figures.push(
      `${SERVICES} services: up -d --wait ${(upRun.ms / 1000).toFixed(1)} s (peak RSS ${(upRun.maxRss / MB).toFixed(0)} MB), ` +
        `ps ${(psRun.ms / 1000).toFixed(1)} s (${(psRun.maxRss / MB).toFixed(0)} MB), down ${(downRun.ms / 1000).toFixed(1)} s (${(downRun.maxRss / MB).toFixed(0)} MB)`,
    );
    for (const [what, r] of [['up', upRun], ['ps', psRun], ['down', downRun]] as const) {
      expect(r.maxRss, `${what}: peak RSS ${(r.maxRss / MB).toFixed(0)} MB`).toBeGreaterThan(10 * MB);
      expect(r.maxRss, `${what}: peak RSS ${(r.maxRss / MB).toFixed(0)} MB`).toBeLessThan(RSS_LIMIT);
    }
  }, 1_200_000);
});

describe(`${STACKS} stacks up and down at once, by ${STACKS} separate processes`, () => {
  const projects = Array.from({ length: STACKS }, (_, i) => uniqueProject(`load${i}`));
  const dirs: string[] = [];
  // One network each: 20 stacks of two would use 40 of the engine's 31 default address pools.
  setupOnce(async () => {
    await requireEngine(engine);
    await ensureCli();
    for (const p of projects) {
      dirs.push(await writeStack(`name: ${p}
services:
  db:
    image: ${IMAGE}
    command: ["sleep", "600"]
    init: true
    volumes: [data:/data, /scratch]
  app:
    image: ${IMAGE}
    command: ["sleep", "600"]
    init: true
    depends_on: [db]
volumes:
  data: {}
`));
    }
  });
  afterAll(async () => {
    await cleanup(projects);
    for (const d of dirs) await removeDir(d);
  }, 300_000);

  it('all converge, then all are removed with their volumes, nothing left behind', async () => {
    const t0 = Date.now();
    const ups = await Promise.all(dirs.map((d) => tugMeasured(['up', '-d', '--wait', '--progress', 'plain'], d, 600_000)));
    const upMs = Date.now() - t0;
    ups.forEach((r, i) => ok(r, `up of ${projects[i]}`));
    for (const p of projects) {
      const cs = await listContainers(engine, { project: p });
      expect(cs.map((c) => `${c.service}:${c.state}`).sort(), p).toEqual(['app:running', 'db:running']);
      expect((await listNetworks(engine, { project: p })).map((n) => n.name), p).toEqual([`${p}_default`]);
    }

    const t1 = Date.now();
    const downs = await Promise.all(dirs.map((d) => tugMeasured(['down', '-v', '--progress', 'plain'], d, 600_000)));
    const downMs = Date.now() - t1;
    downs.forEach((r, i) => ok(r, `down -v of ${projects[i]}`));
    for (const p of projects) {
      expect(await listContainers(engine, { project: p, all: true }), p).toEqual([]);
      expect(await listNetworks(engine, { project: p }), p).toEqual([]);
      // The named volume and the anonymous one (/scratch) both carry the project's label.
      expect(await listVolumes(engine, { project: p }), p).toEqual([]);
    }
    const peak = Math.max(...ups.map((r) => r.maxRss), ...downs.map((r) => r.maxRss));
    figures.push(`${STACKS} stacks at once: up -d --wait ${(upMs / 1000).toFixed(1)} s, down -v ${(downMs / 1000).toFixed(1)} s, peak RSS of any one tug ${(peak / MB).toFixed(0)} MB`);
  }, 1_200_000);
});
