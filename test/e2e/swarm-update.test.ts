/**
 * Changing a deployed swarm stack with `tug --swarm up`: a changed environment, config and
 * secret roll out in the declared order (start-first), the config and secret as new objects
 * named by their content hash; a broken update is reported, fast. And what swarm mode refuses,
 * each before anything is created.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, ensureCli, removeDir, setupOnce, tug, uniqueProject, writeStack } from './helpers.js';
import {
  REGISTRY, STACK_NS, SWARM_IMAGE, cleanupStacks, inspectService, isoMs, labelled, nodeNames, nodeSocket, requireSwarm, running, said, sdocker,
  stug, swarmLock, taskContainer, tasksOf, until, type Json,
} from './swarm-helpers.js';

const U = uniqueProject('swupdate');
const R = uniqueProject('swrefuse');
const READY = '["sh", "-c", "sleep 2; touch /tmp/ok; exec sleep 600"]';

const stack = (v: { version: number; command?: string }) => `
name: ${U}
services:
  api:
    image: ${SWARM_IMAGE}
    init: true
    # Healthy 2-3 s after it starts: long enough to see which of old and new ran when.
    command: ${v.command ?? READY}
    environment:
      VERSION: "${v.version}"
    configs: [app]
    secrets: [token]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 1s
      timeout: 2s
      retries: 30
    deploy:
      replicas: 2
      update_config:
        order: start-first
        parallelism: 1
configs:
  app:
    content: "conf-v${Math.min(v.version, 3)}"
secrets:
  token:
    file: ./token.txt
`;

const hashed = (name: string, data: string) => `${name}-${createHash('sha256').update(data).digest('hex').slice(0, 10)}`;
const envOf = (t: Json): string[] => t.Spec.ContainerSpec.Env ?? [];

let dir: string | undefined;
const dirs: string[] = [];
let release: (() => void) | undefined;

const UP = ['--swarm', 'up', '--wait', '--wait-timeout', '60', '--registry', REGISTRY, '--progress', 'plain'];

setupOnce(async () => {
  release = await swarmLock('shared');
  await requireSwarm();
  await ensureCli();
  dir = await writeStack(stack({ version: 1 }));
  await writeFile(join(dir, 'token.txt'), 'tok-1');
  const r = await stug(UP, dir);
  if (r.code !== 0) throw new Error(`the first deploy failed: ${said(r)}`);
  console.log(`[swarm] first deploy of ${U} (2 replicas, healthy after ~3 s): ${r.ms} ms`);
}, 360_000);

afterAll(async () => {
  try {
    await cleanupStacks([U, R, RB, LATE]);
    await removeDir(dir);
    for (const d of dirs) await removeDir(d);
  } finally {
    release?.();
  }
}, 120_000);

describe('swarm update', () => {
  it('rolls a changed env, config and secret out start-first, onto new content-named objects, keeping the old ones to roll back to', async () => {
    const svc1 = await inspectService(`${U}_api`);
    expect(svc1.Spec.UpdateConfig.Order).toBe('start-first');
    const v1Config = hashed(`${U}_app`, 'conf-v1');
    const v1Secret = hashed(`${U}_token`, 'tok-1');
    expect(svc1.Spec.TaskTemplate.ContainerSpec.Configs.map((c: Json) => c.ConfigName)).toEqual([v1Config]);
    expect(svc1.Spec.TaskTemplate.ContainerSpec.Secrets.map((s: Json) => s.SecretName)).toEqual([v1Secret]);
    const old = running(await tasksOf(`${U}_api`));
    expect(old).toHaveLength(2);

    await writeStack(stack({ version: 2 }), dir);
    await writeFile(join(dir!, 'token.txt'), 'tok-2');
    const r = await stug(UP, dir!);
    console.log(`[swarm] rolling update of 2 start-first replicas: ${r.ms} ms`);
    expect(r.code, said(r)).toBe(0);

    const v2Config = hashed(`${U}_app`, 'conf-v2');
    const v2Secret = hashed(`${U}_token`, 'tok-2');
    const svc2 = await inspectService(`${U}_api`);
    expect(svc2.ID).toBe(svc1.ID);
    expect(svc2.Spec.UpdateConfig.Order).toBe('start-first');
    expect(svc2.Spec.TaskTemplate.ContainerSpec.Env).toContain('VERSION=2');
    expect(svc2.Spec.TaskTemplate.ContainerSpec.Configs.map((c: Json) => c.ConfigName)).toEqual([v2Config]);
    expect(svc2.Spec.TaskTemplate.ContainerSpec.Secrets.map((s: Json) => s.SecretName)).toEqual([v2Secret]);
    // The old objects stay while the service can roll back to them (its PreviousSpec names them).
    expect(svc2.PreviousSpec.TaskTemplate.ContainerSpec.Configs.map((c: Json) => c.ConfigName)).toEqual([v1Config]);
    expect((await labelled('config', U)).sort()).toEqual([v1Config, v2Config].sort());
    expect((await labelled('secret', U)).sort()).toEqual([v1Secret, v2Secret].sort());
    expect(r.stderr).not.toMatch(/ removed/);

    // --wait returned: two new tasks run, with the new environment and files.
    const names = await nodeNames();
    const fresh = running(await tasksOf(`${U}_api`));
    expect(fresh.map((t) => envOf(t))).toEqual([expect.arrayContaining(['VERSION=2']), expect.arrayContaining(['VERSION=2'])]);
    for (const t of fresh) {
      const { node, container } = await taskContainer(t, names);
      expect(container.Config.Env).toContain('VERSION=2');
      const files = await sdocker(['exec', container.Id, 'sh', '-c', 'cat /app; echo; cat /run/secrets/token'], { host: nodeSocket(node) });
      expect(files.stdout.trim().split('\n'), node).toEqual(['conf-v2', 'tok-2']);
    }

    // start-first: in each slot the new task was running (healthy) before the old one was shut down.
    const shutDown = await until('the old tasks shut down', async () => {
      const all = await tasksOf(`${U}_api`);
      const olds = all.filter((t) => old.some((o) => o.ID === t.ID));
      return olds.every((t) => t.Status.State === 'shutdown') ? olds : undefined;
    }, 30_000);
    for (const o of shutDown) {
      const successor = fresh.find((t) => t.Slot === o.Slot);
      expect(successor, `a new task in slot ${o.Slot}`).toBeDefined();
      expect(envOf(o)).toContain('VERSION=1');
      const newRunning = isoMs(successor!.Status.Timestamp);
      const oldShutdown = isoMs(o.Status.Timestamp);
      const { container } = await taskContainer(o, names);
      expect(newRunning, `slot ${o.Slot}: new running vs old shut down`).toBeLessThan(oldShutdown);
      expect(newRunning, `slot ${o.Slot}: new running vs old container stopped`).toBeLessThan(isoMs(container.State.FinishedAt));
      console.log(`[swarm] slot ${o.Slot}: new task running ${(oldShutdown - newRunning).toFixed(0)} ms before the old one was shut down`);
    }
  }, 120_000);

  it('removes the objects of two deploys ago once no spec or rollback spec names them', async () => {
    await writeStack(stack({ version: 3 }), dir);
    await writeFile(join(dir!, 'token.txt'), 'tok-3');
    const r = await stug(UP, dir!);
    expect(r.code, said(r)).toBe(0);
    const [c1, c2, c3] = [1, 2, 3].map((i) => hashed(`${U}_app`, `conf-v${i}`));
    const [s1, s2, s3] = [1, 2, 3].map((i) => hashed(`${U}_token`, `tok-${i}`));
    expect((await labelled('config', U)).sort()).toEqual([c2, c3].sort());
    expect((await labelled('secret', U)).sort()).toEqual([s2, s3].sort());
    expect(r.stderr).toMatch(new RegExp(`config ${c1} removed`));
    expect(r.stderr).toMatch(new RegExp(`secret ${s1} removed`));
    const live = running(await tasksOf(`${U}_api`));
    expect(live.map((t) => envOf(t).find((e) => e.startsWith('VERSION=')))).toEqual(['VERSION=3', 'VERSION=3']);
  }, 90_000);

  it('reports a failing update (exit 5, the task error and its node) quickly, and start-first leaves the old tasks running', async () => {
    await writeStack(stack({ version: 4, command: '["sh", "-c", "echo boom; exit 1"]' }), dir);
    const r = await stug(UP, dir!);
    console.log(`[swarm] failing update reported after ${r.ms} ms (--wait-timeout 60)`);
    expect(r.code, said(r)).toBe(5);
    expect(r.stderr).toMatch(/service "api" failed/);
    expect(r.stderr).toMatch(/non-zero exit \(1\)/);
    expect(r.stderr).toMatch(/ on swnode[123]: /);
    expect(r.stderr).toMatch(/boom/);
    expect(r.ms).toBeLessThan(30_000);

    const svc = await inspectService(`${U}_api`);
    expect(svc.UpdateStatus?.State).toBe('paused');
    // The tasks of the last good spec still run.
    const live = running(await tasksOf(`${U}_api`));
    expect(live.map((t) => envOf(t).find((e) => e.startsWith('VERSION=')))).toEqual(['VERSION=3', 'VERSION=3']);
  }, 90_000);
});

const RB = uniqueProject('swrollback');
const rollbackStack = (conf: string, command: string) => `
name: ${RB}
services:
  api:
    image: ${SWARM_IMAGE}
    init: true
    command: ["sh", "-c", "${command}"]
    configs: [app]
    deploy:
      update_config:
        order: start-first
        failure_action: rollback
        monitor: 2s
configs:
  app:
    content: "${conf}"
`;

describe('swarm rollback', () => {
  it('keeps the objects a service can roll back to: after an automatic rollback its configs all exist and it can be updated again', async () => {
    const d = await writeStack(rollbackStack('rb-1', 'exec sleep 600'));
    dirs.push(d);
    let r = await stug(['--swarm', 'up', '--wait', '--registry', REGISTRY], d);
    expect(r.code, said(r)).toBe(0);
    // A broken update with new config content, not waited for: the manager rolls it back by itself.
    await writeStack(rollbackStack('rb-2', 'exit 1'), d);
    r = await stug(['--swarm', 'up', '--registry', REGISTRY, '--progress', 'plain'], d);
    expect(r.code, said(r)).toBe(0);
    const svc = await until('the update rolled back', async () => {
      const s = await inspectService(`${RB}_api`);
      return s.UpdateStatus?.State === 'rollback_completed' ? s : undefined;
    }, 60_000, 500);
    const names: string[] = svc.Spec.TaskTemplate.ContainerSpec.Configs.map((c: Json) => c.ConfigName);
    expect(names).toEqual([hashed(`${RB}_app`, 'rb-1')]);
    for (const n of names) expect((await sdocker(['config', 'inspect', n], { allowFail: true })).code, `config ${n} of the rolled-back spec`).toBe(0);
    const force = await sdocker(['service', 'update', '--force', '--detach', `${RB}_api`], { allowFail: true });
    expect(force.code, force.stderr).toBe(0);
  }, 90_000);
});

const LATE = uniqueProject('swlate');
const lateStack = (command: string) => `
name: ${LATE}
services:
  api:
    image: ${SWARM_IMAGE}
    init: true
    command: ["sh", "-c", "${command}"]
    deploy:
      update_config:
        order: start-first
        monitor: 10s
`;

describe('swarm update monitor', () => {
  // --wait waits until the manager has finished an update, its monitor period included
  // (update_config.monitor): a task that fails within that window pauses the update, and tug
  // must report that instead of having exited 0 before it happened.
  it('--wait reports an update whose new task fails within the monitor period', async () => {
    const d = await writeStack(lateStack('exec sleep 600'));
    dirs.push(d);
    let r = await stug(['--swarm', 'up', '--wait', '--registry', REGISTRY], d);
    expect(r.code, said(r)).toBe(0);
    await writeStack(lateStack('sleep 4; exit 1'), d);
    r = await stug(['--swarm', 'up', '--wait', '--wait-timeout', '60', '--registry', REGISTRY], d);
    // What the manager concluded, for the record: the update paused on the failed task.
    const paused = await until('the update to pause', async () => {
      const s = await inspectService(`${LATE}_api`);
      return s.UpdateStatus?.State === 'paused' ? s : undefined;
    }, 30_000, 500);
    expect(paused.UpdateStatus.Message).toMatch(/paused due to failure/);
    expect(r.code, said(r)).toBe(5);
  }, 90_000);
});

describe('swarm refusals', () => {
  it('exec has no meaning in swarm mode: exit 2, by --swarm or by TUG_SWARM=1', async () => {
    for (const [args, env] of [[['--swarm', 'exec', 'api', 'ls'], {}], [['exec', 'api', 'ls'], { TUG_SWARM: '1' }]] as const) {
      const r = await stug([...args], dir!, { env });
      expect(r.code, said(r)).toBe(2);
      expect(r.stderr).toMatch(/tug exec has no meaning in swarm mode/);
      expect(r.stderr).toMatch(/hint: .*tug --swarm ps shows where/);
    }
  });

  it('refuses a key swarm cannot run (privileged) at its file:line, exit 3, before creating anything', async () => {
    const yaml = `name: ${R}
services:
  ok:
    image: ${SWARM_IMAGE}
    command: ["sleep", "600"]
    configs: [c]
  bad:
    image: ${SWARM_IMAGE}
    command: ["sleep", "600"]
    privileged: true
configs:
  c:
    content: "x"
`;
    const d = await writeStack(yaml);
    dirs.push(d);
    const line = yaml.split('\n').findIndex((l) => l.includes('privileged')) + 1;
    const r = await stug(['--swarm', 'up', '--registry', REGISTRY], d);
    expect(r.code, said(r)).toBe(3);
    expect(r.stderr).toContain(`${join(d, 'compose.yaml')}:${line}:`);
    expect(r.stderr).toMatch(/service "bad": privileged is not supported in swarm mode/);
    for (const kind of ['service', 'network', 'secret', 'config'] as const) expect(await labelled(kind, R), kind).toEqual([]);
  });

  it('refuses --swarm against an engine that is not a swarm manager: exit 4', async () => {
    const plain = 'unix:///var/run/docker.sock';
    const state = await docker(['-H', plain, 'info', '--format', '{{.Swarm.LocalNodeState}}'], { allowFail: true });
    expect(state.stdout.trim(), `the plain engine must be reachable and not in a swarm: ${state.stderr}`).toBe('inactive');
    const d = await writeStack(`name: ${R}\nservices:\n  a:\n    image: ${SWARM_IMAGE}\n    command: ["sleep", "600"]\n`);
    dirs.push(d);
    for (const args of [['--swarm', 'up', '--registry', REGISTRY], ['--swarm', 'ps'], ['nodes']]) {
      const r = await tug(args, d, { env: { DOCKER_HOST: plain } });
      expect(r.code, said(r)).toBe(4);
      expect(r.stderr).toMatch(/is not part of a swarm/);
      expect(r.stderr).toMatch(/hint: point DOCKER_HOST at a swarm manager/);
    }
    for (const kind of ['container', 'network'] as const) {
      const left = await docker(['-H', plain, kind, 'ls', ...(kind === 'container' ? ['-a'] : []), '-q', '--filter', `label=${STACK_NS}=${R}`]);
      expect(left.stdout.trim(), kind).toBe('');
    }
  });

  it('refuses a build-only service without a registry (exit 5) before building or creating anything, with the fix', async () => {
    const d = await writeStack(`name: ${R}\nservices:\n  b:\n    build: .\n    command: ["sleep", "600"]\n`);
    dirs.push(d);
    await writeFile(join(d, 'Dockerfile'), `FROM ${SWARM_IMAGE}\n`);
    const r = await stug(['--swarm', 'up'], d);
    expect(r.code, said(r)).toBe(5);
    expect(r.stderr).toMatch(/service "b" is built by tug, but swarm nodes can only pull images from a registry/);
    expect(r.stderr).toMatch(/hint: pass --registry HOST:PORT/);
    for (const kind of ['service', 'network', 'secret', 'config'] as const) expect(await labelled(kind, R), kind).toEqual([]);
    expect((await sdocker(['image', 'inspect', `${R}-b:latest`], { allowFail: true })).code, 'no image was built').not.toBe(0);
  });
});
