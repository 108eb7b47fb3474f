/**
 * What tug reports when the swarm itself changes under a stack: a drained node's tasks move
 * to the others, and a worker whose engine stops is marked down and its tasks rescheduled.
 *
 * These tests disturb the whole swarm, so this file holds the swarm lock exclusively (the other
 * swarm files wait), puts every node back (active, engine running, ready) before letting go,
 * and runs the engine stop last. Swarm mode is selected by TUG_SWARM=1 here.
 */
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCli, removeDir, setupOnce, uniqueProject, writeStack } from './helpers.js';
import {
  NODES, REGISTRY, SWARM_UP, SWARM_IMAGE, cleanupStacks, nodeNames, nodeSocket, nodeStates, requireSwarm, running, said, sdocker, stug, swarmLock, tasksOf, until,
} from './swarm-helpers.js';

const N = uniqueProject('swnodes');
const VICTIM = 'swnode3';
const ENV = { TUG_SWARM: '1' };

const service = (name: string) => `
  ${name}:
    image: ${SWARM_IMAGE}
    init: true
    command: ["sleep", "600"]
    deploy:
      replicas: 3
      # Rescheduled after 1 s instead of the default 5 s.
      restart_policy: { condition: any, delay: 1s }
`;
const stack = (names: string[]) => `name: ${N}\nservices:${names.map(service).join('')}`;

interface Row { name: string; service: string; node: string; desired: string; current: string; history: boolean }
interface NodeRow { hostname: string; state: string; availability: string; tasks: string[] }

let dir: string | undefined;
let release: (() => void) | undefined;
const UP = ['up', '--wait', '--wait-timeout', '90', '--registry', REGISTRY, '--progress', 'plain'];

const sh = promisify(execFile);

setupOnce(async () => {
  release = await swarmLock('exclusive');
  await requireSwarm();
  await ensureCli();
  dir = await writeStack(stack(['a']));
  const r = await stug(UP, dir, { env: ENV });
  if (r.code !== 0) throw new Error(`the first deploy failed: ${said(r)}`);
  console.log(`[swarm] first deploy of ${N}: ${r.ms} ms`);
}, 360_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Puts the victim node back: engine running, node ready and active. Safe to call when it is. */
async function restoreVictim(): Promise<void> {
  if ((await sdocker(['info'], { host: nodeSocket(VICTIM), allowFail: true })).code !== 0) {
    // In a session of its own: the engine it restarts must outlive this test process.
    await sh('setsid', ['--wait', 'bash', SWARM_UP], { timeout: 120_000 });
  }
  await sdocker(['node', 'update', '--availability', 'active', VICTIM], { allowFail: true });
  await until(`${VICTIM} ready and active again`, async () => {
    const s = (await nodeStates()).find((n) => n.hostname === VICTIM);
    return s?.state === 'ready' && s.availability === 'active' ? true : undefined;
  }, 90_000, 500);
}

afterAll(async () => {
  try {
    await restoreVictim();
    await cleanupStacks([N]);
    await removeDir(dir);
  } finally {
    release?.();
  }
}, 240_000);

async function ps(all = false): Promise<Row[]> {
  const r = await stug(['ps', '--format', 'json', ...(all ? ['-a'] : [])], dir!, { env: ENV });
  expect(r.code, said(r)).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

async function nodes(): Promise<NodeRow[]> {
  const r = await stug(['nodes', '--format', 'json'], dir!, { env: ENV });
  expect(r.code, said(r)).toBe(0);
  return JSON.parse(r.stdout) as NodeRow[];
}

const runningRows = (rows: Row[], svc: string) => rows.filter((r) => r.service === `${N}_${svc}` && r.desired === 'Running' && r.current.startsWith('Running'));

/** Waits until the service has 3 running tasks, none on the victim; returns where tug ps says they run. */
const movedOff = (svc: string) => until(`3 running ${svc} tasks, none on ${VICTIM}`, async () => {
  const rows = runningRows(await ps(), svc);
  return rows.length === 3 && rows.every((r) => r.node !== VICTIM) ? rows : undefined;
}, 60_000, 500);

describe('swarm nodes', () => {
  it('moves a drained node\'s tasks to the other nodes, and ps and nodes show where', async () => {
    const before = runningRows(await ps(), 'a');
    expect(before.map((r) => r.node).sort(), 'one task per node to begin with').toEqual([...NODES]);
    try {
      await sdocker(['node', 'update', '--availability', 'drain', VICTIM]);
      const rows = await movedOff('a');
      expect(rows.every((r) => r.node === 'swnode1' || r.node === 'swnode2'), rows.map((r) => r.node).join(', ')).toBe(true);
      // The engine agrees.
      const names = await nodeNames();
      expect(running(await tasksOf(`${N}_a`)).map((t) => names[t.NodeID]).filter((n) => n === VICTIM)).toEqual([]);
      // tug nodes: the victim drained and empty, the others holding the three tasks.
      const list = await nodes();
      const victim = list.find((n) => n.hostname === VICTIM)!;
      expect(victim.availability).toBe('drain');
      expect(victim.state).toBe('ready');
      expect(victim.tasks).toEqual([]);
      expect(list.flatMap((n) => n.tasks).filter((t) => t.startsWith(`${N}_a.`)).sort()).toEqual([1, 2, 3].map((i) => `${N}_a.${i}`));
      // ps -a keeps the task that left the drained node, shut down.
      const history = (await ps(true)).filter((r) => r.service === `${N}_a` && r.node === VICTIM);
      expect(history.length).toBeGreaterThanOrEqual(1);
      expect(history.every((r) => r.desired === 'Shutdown')).toBe(true);
    } finally {
      await sdocker(['node', 'update', '--availability', 'active', VICTIM], { allowFail: true });
    }
    const back = await until(`${VICTIM} active`, async () => ((await nodes()).find((n) => n.hostname === VICTIM)?.availability === 'active' ? true : undefined), 15_000);
    expect(back).toBe(true);
  }, 120_000);

  // Last in the file: it stops an engine.
  it('reschedules the tasks of a worker whose engine stopped, and ps and nodes report the node down', async () => {
    // A new service: the scheduler spreads it over all three nodes again (the drained node is empty).
    await writeStack(stack(['a', 'b']), dir);
    const up = await stug(UP, dir!, { env: ENV });
    expect(up.code, said(up)).toBe(0);
    const before = runningRows(await ps(), 'b');
    expect(before.map((r) => r.node).sort(), 'one b task per node to begin with').toEqual([...NODES]);

    const pid = Number(readFileSync(`/var/run/docker-${VICTIM}.pid`, 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    const t0 = Date.now();
    try {
      process.kill(pid, 'SIGTERM');
      // A loaded machine can keep an engine shutting down for long: past 30 s it is killed.
      const gone = await until(`${VICTIM}'s engine (pid ${pid}) to exit`, async () => (alive(pid) ? undefined : true), 30_000, 250).catch(() => false);
      if (!gone) process.kill(pid, 'SIGKILL');
      console.log(`[swarm] ${VICTIM}'s engine ${gone ? 'stopped' : 'killed after 30 s'}: ${Date.now() - t0} ms`);
      await until(`tug nodes to report ${VICTIM} down`, async () => ((await nodes()).find((n) => n.hostname === VICTIM)?.state === 'down' ? true : undefined), 90_000, 1000);
      console.log(`[swarm] ${VICTIM}'s engine stopped → node down: ${Date.now() - t0} ms`);
      const rows = await movedOff('b');
      console.log(`[swarm] ${VICTIM}'s engine stopped → its b task running elsewhere: ${Date.now() - t0} ms`);
      expect(rows.map((r) => r.name).sort()).toEqual([1, 2, 3].map((i) => `${N}_b.${i}`));

      const list = await nodes();
      const victim = list.find((n) => n.hostname === VICTIM)!;
      expect(victim.state).toBe('down');
      expect(victim.tasks).toEqual([]);
      expect(list.filter((n) => n.hostname !== VICTIM).every((n) => n.state === 'ready')).toBe(true);
      expect(list.flatMap((n) => n.tasks).filter((t) => t.startsWith(`${N}_b.`)).sort()).toEqual([1, 2, 3].map((i) => `${N}_b.${i}`));
      // The task the down node held is history: desired shut down, never heard from again.
      const left = (await ps(true)).filter((r) => r.service === `${N}_b` && r.node === VICTIM);
      expect(left).toHaveLength(1);
      expect(left[0]!.desired).toBe('Shutdown');
      expect(left[0]!.history).toBe(true);
      // The table says it too.
      const table = await stug(['nodes'], dir!, { env: ENV });
      expect(table.stdout.split('\n').find((l) => l.includes(VICTIM))).toMatch(/\bdown\b/);
    } finally {
      await restoreVictim();
    }
    console.log(`[swarm] ${VICTIM} back, ready and active: ${Date.now() - t0} ms after its engine was stopped`);
  }, 330_000);
});
