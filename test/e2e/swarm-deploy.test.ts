/**
 * `tug --swarm up` on the real three-node swarm: where the tasks land, the limits each node
 * enforces, the dependency order proved from the manager's own timestamps, a job gating its
 * dependent, `docker stack` seeing tug's stack, an unchanged second deploy, scale, and a down
 * that takes exactly this stack away.
 *
 * The stack selects swarm mode with `x-tug: {mode: swarm}`, so its `up` runs without --swarm.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCli, removeDir, setupOnce, uniqueProject, writeStack } from './helpers.js';
import {
  NODES, REGISTRY, SWARM_IMAGE, cleanupStacks, inspectService, isoMs, labelled, named, nodeNames, requireSwarm, running, said, sdocker,
  stug, swarmLock, taskContainer, tasksOf, until, type Json,
} from './swarm-helpers.js';

const P = uniqueProject('swdeploy');
const Q = uniqueProject('swother');
const SERVICES = ['api', 'db', 'migrate', 'web', 'worker'];

const STACK = `
name: ${P}
x-tug:
  mode: swarm

x-probe: &probe
  interval: 1s
  timeout: 2s
  retries: 30

services:
  db:
    image: ${SWARM_IMAGE}
    init: true
    # Healthy only ~4 s after it starts: its dependents must wait that long.
    command: ["sh", "-c", "sleep 4; touch /tmp/ready; exec sleep 600"]
    healthcheck:
      <<: *probe
      test: ["CMD", "test", "-f", "/tmp/ready"]

  migrate:
    image: ${SWARM_IMAGE}
    command: ["sh", "-c", "sleep 2; echo migrated"]
    deploy:
      mode: replicated-job
    depends_on:
      db:
        condition: service_healthy

  api:
    image: ${SWARM_IMAGE}
    init: true
    command: ["sleep", "600"]
    configs: [app]
    secrets: [token]
    healthcheck:
      <<: *probe
      test: ["CMD", "test", "-f", "/app"]
    deploy:
      replicas: 3
      placement:
        max_replicas_per_node: 1
      resources:
        limits: { cpus: "0.5", memory: 64M, pids: 100 }
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully

  web:
    image: ${SWARM_IMAGE}
    init: true
    command: ["sleep", "600"]
    deploy:
      mode: global
    depends_on:
      api:
        condition: service_healthy

  worker:
    image: ${SWARM_IMAGE}
    init: true
    command: ["sleep", "600"]
    deploy:
      replicas: 2

configs:
  app:
    content: "setting=1\\n"
secrets:
  token:
    file: ./token.txt
`;

const OTHER = `
name: ${Q}
services:
  keep:
    image: ${SWARM_IMAGE}
    init: true
    command: ["sleep", "600"]
    configs: [c]
    secrets: [s]
configs:
  c:
    content: "other\\n"
secrets:
  s:
    file: ./s.txt
`;

interface Row {
  id: string;
  name: string;
  service: string;
  node: string;
  desired: string;
  current: string;
}

let dir: string | undefined;
let otherDir: string | undefined;
let release: (() => void) | undefined;

const UP = ['up', '--wait', '--wait-timeout', '90', '--registry', REGISTRY, '--progress', 'plain'];

setupOnce(async () => {
  release = await swarmLock('shared');
  await requireSwarm();
  await ensureCli();
  dir = await writeStack(STACK);
  await writeFile(join(dir, 'token.txt'), 'tok-1\n');
  const r = await stug(UP, dir);
  if (r.code !== 0) throw new Error(`the first deploy failed: ${said(r)}`);
  console.log(`[swarm] first deploy of ${P} (5 services, a 4 s healthcheck and a 2 s job on the way): ${r.ms} ms`);
}, 360_000);

afterAll(async () => {
  try {
    await cleanupStacks([P, Q]);
    await removeDir(dir);
    await removeDir(otherDir);
  } finally {
    release?.();
  }
}, 120_000);

async function psRows(): Promise<Row[]> {
  const r = await stug(['--swarm', 'ps', '--format', 'json'], dir!);
  expect(r.code, said(r)).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

const runningOn = (rows: Row[], service: string): string[] =>
  rows.filter((r) => r.service === `${P}_${service}` && r.desired === 'Running' && r.current.startsWith('Running')).map((r) => r.node).sort();

describe('swarm deploy', () => {
  it('spreads three replicas (max one per node) and a global service over all three nodes', async () => {
    const rows = await psRows();
    expect(runningOn(rows, 'api'), JSON.stringify(rows, null, 1)).toEqual([...NODES]);
    expect(runningOn(rows, 'web')).toEqual([...NODES]);

    // The manager's view: the NodeIDs of the running tasks.
    const names = await nodeNames();
    for (const s of ['api', 'web']) {
      expect(running(await tasksOf(`${P}_${s}`)).map((t) => names[t.NodeID]).sort(), s).toEqual([...NODES]);
    }

    // tug nodes: one api and one web task of the project on each node.
    const r = await stug(['nodes', '--format', 'json'], dir!);
    expect(r.code, said(r)).toBe(0);
    const nodes = JSON.parse(r.stdout) as { id: string; hostname: string; state: string; tasks: string[] }[];
    expect(nodes.map((n) => n.hostname)).toEqual([...NODES]);
    const apiSlots: string[] = [];
    for (const n of nodes) {
      expect(n.state).toBe('ready');
      const api = n.tasks.filter((t) => t.startsWith(`${P}_api.`));
      expect(api, `${n.hostname}: ${n.tasks.join(', ')}`).toHaveLength(1);
      apiSlots.push(...api);
      expect(n.tasks.filter((t) => t.startsWith(`${P}_web.`))).toEqual([`${P}_web.${n.id}`]);
    }
    expect(apiSlots.sort()).toEqual([1, 2, 3].map((i) => `${P}_api.${i}`));
  });

  it('sets cpu, memory and pids limits in the service spec, and each node enforces them on the task container', async () => {
    const svc = await inspectService(`${P}_api`);
    expect(svc.Spec.TaskTemplate.Resources.Limits).toEqual({ NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024, Pids: 100 });
    const names = await nodeNames();
    const tasks = running(await tasksOf(`${P}_api`));
    expect(tasks).toHaveLength(3);
    const inspectedOn: string[] = [];
    for (const t of tasks) {
      const { node, container } = await taskContainer(t, names);
      inspectedOn.push(node);
      expect(container.HostConfig.NanoCpus, node).toBe(500_000_000);
      expect(container.HostConfig.Memory, node).toBe(64 * 1024 * 1024);
      expect(container.HostConfig.PidsLimit, node).toBe(100);
    }
    expect(inspectedOn.sort()).toEqual([...NODES]);
  });

  it('creates a dependent only after its dependency is healthy, and independent services at once (manager timestamps)', async () => {
    const svc: Record<string, Json> = {};
    for (const s of SERVICES) svc[s] = await inspectService(`${P}_${s}`);
    const created = (s: string) => isoMs(svc[s]!.CreatedAt);
    const [dbTask] = running(await tasksOf(`${P}_db`));
    expect(dbTask, 'a running db task').toBeDefined();
    const dbRunning = isoMs(dbTask!.Status.Timestamp);
    const { container } = await taskContainer(dbTask!);
    const dbStarted = isoMs(container.State.StartedAt);

    // The premise: the task turned `running` only once healthy, ~4 s after its process started.
    expect(dbRunning - dbStarted).toBeGreaterThanOrEqual(3500);
    // Its dependents were created after that, the slow healthcheck's gap visible from db's creation.
    expect(created('migrate')).toBeGreaterThan(dbRunning);
    expect(created('api')).toBeGreaterThan(dbRunning);
    expect(created('migrate') - created('db')).toBeGreaterThanOrEqual(3500);
    // web waits for every api task to be healthy (running).
    const apiRunning = running(await tasksOf(`${P}_api`)).map((t) => isoMs(t.Status.Timestamp));
    expect(apiRunning).toHaveLength(3);
    expect(created('web')).toBeGreaterThan(Math.max(...apiRunning));
    // worker depends on nothing: it did not wait for db.
    expect(created('worker')).toBeLessThan(dbRunning);
    console.log(`[swarm] db created → db task running (healthy): ${(dbRunning - created('db')).toFixed(0)} ms; db running → migrate created: `
      + `${(created('migrate') - dbRunning).toFixed(0)} ms; last api task running → web created: ${(created('web') - Math.max(...apiRunning)).toFixed(0)} ms`);
  });

  it('creates the dependent of a replicated-job only after the job task completed', async () => {
    const migrate = await inspectService(`${P}_migrate`);
    expect(migrate.Spec.Mode.ReplicatedJob).toEqual({ MaxConcurrent: 1, TotalCompletions: 1 });
    const done = (await tasksOf(`${P}_migrate`)).filter((t) => t.Status.State === 'complete');
    expect(done, 'one completed job task').toHaveLength(1);
    expect(done[0]!.Status.ContainerStatus.ExitCode).toBe(0);
    const completed = isoMs(done[0]!.Status.Timestamp);
    const api = await inspectService(`${P}_api`);
    expect(isoMs(api.CreatedAt)).toBeGreaterThan(completed);
    // The job runs ~2 s: api waited for it to finish, not merely to start.
    expect(isoMs(api.CreatedAt) - isoMs(migrate.CreatedAt)).toBeGreaterThanOrEqual(1500);
    // The node's container says the same.
    const { container } = await taskContainer(done[0]!);
    expect(container.State.ExitCode).toBe(0);
    expect(isoMs(api.CreatedAt)).toBeGreaterThan(isoMs(container.State.FinishedAt));
    const rows = await psRows();
    expect(rows.filter((r) => r.service === `${P}_migrate`).map((r) => [r.desired, r.current.split(' ')[0]])).toEqual([['Complete', 'Complete']]);
    console.log(`[swarm] job task complete → api created: ${(isoMs(api.CreatedAt) - completed).toFixed(0)} ms`);
  });

  it('is a stack to docker stack ls, docker stack services and docker stack ps', async () => {
    const ls = (await sdocker(['stack', 'ls', '--format', '{{.Name}} {{.Services}}'])).stdout.split('\n');
    expect(ls).toContain(`${P} 5`);
    const services = (await sdocker(['stack', 'services', P, '--format', '{{.Name}}|{{.Mode}}|{{.Replicas}}'])).stdout.trim().split('\n').sort();
    expect(services).toEqual([
      `${P}_api|replicated|3/3 (max 1 per node)`,
      `${P}_db|replicated|1/1`,
      `${P}_migrate|replicated job|0/1 (1/1 completed)`,
      `${P}_web|global|3/3`,
      `${P}_worker|replicated|2/2`,
    ]);
    const ps = (await sdocker(['stack', 'ps', P, '--filter', 'desired-state=running', '--format', '{{.Name}} {{.Node}} {{.CurrentState}}'])).stdout.trim().split('\n');
    const api = ps.filter((l) => l.startsWith(`${P}_api.`)).map((l) => l.split(' '));
    expect(api.map(([name]) => name).sort()).toEqual([1, 2, 3].map((i) => `${P}_api.${i}`));
    expect(api.map(([, node]) => node).sort()).toEqual([...NODES]);
    expect(api.every(([, , state]) => state === 'Running')).toBe(true);
    expect(ps.filter((l) => l.startsWith(`${P}_web.`))).toHaveLength(3);
  });

  it('a second up of the unchanged stack does nothing, says so, and is quick', async () => {
    const snapshot = async () => {
      const out: Record<string, unknown> = {};
      for (const s of SERVICES) {
        const svc = await inspectService(`${P}_${s}`);
        out[s] = { version: svc.Version.Index, updated: svc.UpdatedAt, tasks: (await tasksOf(`${P}_${s}`)).map((t) => `${t.ID} ${t.DesiredState}`).sort() };
      }
      for (const kind of ['network', 'secret', 'config'] as const) out[kind] = await labelled(kind, P);
      return out;
    };
    const before = await snapshot();
    const r = await stug(UP, dir!);
    console.log(`[swarm] second up, nothing changed: ${r.ms} ms`);
    expect(r.code, said(r)).toBe(0);
    expect(r.stderr).toMatch(/Nothing to do: 5 services already up to date/);
    expect(r.stderr).not.toMatch(/\b(created|updated|removed)\b/);
    expect(await snapshot()).toEqual(before);
    expect(r.ms).toBeLessThan(5000);
  });

  it('scale changes the replica count on the swarm, and a later up sets the file\'s count again', async () => {
    const name = `${P}_worker`;
    const replicas = async () => (await inspectService(name)).Spec.Mode.Replicated.Replicas as number;
    const settle = (n: number) => until(`${n} running worker tasks (engine and tug ps)`, async () => {
      const engine = running(await tasksOf(name)).length;
      const tugSays = runningOn(await psRows(), 'worker').length;
      return engine === n && tugSays === n ? true : undefined;
    }, 30_000);

    let r = await stug(['--swarm', 'scale', 'worker=3'], dir!);
    expect(r.code, said(r)).toBe(0);
    expect(await replicas()).toBe(3);
    await settle(3);

    r = await stug(['--swarm', 'scale', 'worker=1'], dir!);
    expect(r.code, said(r)).toBe(0);
    expect(await replicas()).toBe(1);
    await settle(1);

    r = await stug(UP, dir!);
    expect(r.code, said(r)).toBe(0);
    expect(r.stderr).not.toMatch(/Nothing to do/);
    expect(r.stderr).toMatch(new RegExp(`service ${name} updated`));
    expect(await replicas()).toBe(2);
    // --wait returned: both are running already.
    expect(running(await tasksOf(name))).toHaveLength(2);
    // Only worker changed.
    expect(r.stderr).not.toMatch(new RegExp(`service ${P}_(api|db|migrate|web) (created|updated)`));
  }, 90_000);

  it('down removes every service, network, secret and config of the stack (by label and by name), and nothing of another stack', async () => {
    otherDir = await writeStack(OTHER);
    await writeFile(join(otherDir, 's.txt'), 'other-secret\n');
    const o = await stug(['--swarm', 'up', '--wait', '--registry', REGISTRY], otherDir);
    expect(o.code, said(o)).toBe(0);
    const keep = await inspectService(`${Q}_keep`);
    const keepTasks = running(await tasksOf(`${Q}_keep`)).map((t) => t.ID);
    expect(keepTasks).toHaveLength(1);
    const other: Record<string, string[]> = {};
    for (const kind of ['service', 'network', 'secret', 'config'] as const) {
      other[kind] = await labelled(kind, Q);
      expect(other[kind], kind).toHaveLength(1);
    }
    // What there is to remove.
    expect((await labelled('service', P)).sort()).toEqual(SERVICES.map((s) => `${P}_${s}`));
    expect(await labelled('secret', P)).toHaveLength(1);
    expect(await labelled('config', P)).toHaveLength(1);

    const r = await stug(['--swarm', 'down', '--progress', 'plain'], dir!);
    expect(r.code, said(r)).toBe(0);
    for (const kind of ['service', 'secret', 'config'] as const) {
      expect(await labelled(kind, P), `${kind}s labelled ${P}`).toEqual([]);
      expect(await named(kind, P), `${kind}s named ${P}_*`).toEqual([]);
    }
    // The network: tug removes the swarm's object; the manager lists its own node's copy until
    // the node's tasks have stopped (a few seconds), and a network nobody removed would stay for good.
    expect(r.stderr).toMatch(new RegExp(`network ${P}_default removed`));
    await until(`no network of ${P} listed by label or name, nor inspectable`, async () =>
      ((await labelled('network', P)).length + (await named('network', P)).length === 0
        && (await sdocker(['network', 'inspect', `${P}_default`], { allowFail: true })).code !== 0 ? true : undefined), 30_000);
    expect((await sdocker(['stack', 'ls', '--format', '{{.Name}}'])).stdout.split('\n')).not.toContain(P);

    // The other stack is as it was.
    const keepAfter = await inspectService(`${Q}_keep`);
    expect(keepAfter.Version.Index).toBe(keep.Version.Index);
    expect(running(await tasksOf(`${Q}_keep`)).map((t) => t.ID)).toEqual(keepTasks);
    for (const kind of ['service', 'network', 'secret', 'config'] as const) expect(await labelled(kind, Q), kind).toEqual(other[kind]);
  }, 90_000);
});
