/**
 * Lifecycle hooks through the CLI on the real engine: post_start, pre_stop and pre_start with
 * their command, user, privileges, working_dir and environment, in order, their output in
 * progress, and their failures (exit 5, with the output and exit code). Orders are read from
 * the engine's own event timestamps (an exec's `exec_start`/`exec_die`, a container's `start`,
 * `die`), never from tug's report.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { listContainers } from '../../src/run/observe.js';
import { EventLog, IMAGE, docker, dockerExec, e2eScope, tug, writeStack } from './helpers.js';

const scope = e2eScope();
const { engine } = scope;

const sleeper = `
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]`;

async function stack(what: string, body: (project: string) => string): Promise<{ project: string; dir: string; yaml: string }> {
  const project = scope.project(what);
  const yaml = `name: ${project}\n${body(project)}`;
  const dir = await scope.stack(yaml);
  return { project, dir, yaml };
}

/** Runs the CLI while recording the project's engine events. */
async function recorded(project: string, dir: string, args: string[], env?: NodeJS.ProcessEnv) {
  const log = await EventLog.record(engine, project);
  try {
    const r = await tug([...args, '--progress', 'plain'], dir, env ? { env } : {});
    await log.flush();
    return { ...r, log };
  } finally {
    await log.stop();
  }
}

/** The container events of a service whose action starts with `prefix` (`exec_start`, `die`...). */
function events(log: EventLog, service: string, prefix: string): EngineEvent[] {
  return log.events.filter((e) => e.type === 'container' && e.attributes[LABEL.service] === service && e.action.startsWith(prefix));
}

/** What a one-off busybox finds in a named volume. */
async function readVolume(volume: string, file: string): Promise<string> {
  return (await docker(['run', '--rm', '-v', `${volume}:/data`, IMAGE, 'cat', `/data/${file}`], { allowFail: true })).stdout;
}

describe('lifecycle hooks', () => {
  it('post_start runs in order by exec once the container started, with its user, working_dir and environment; dependents wait for it', async () => {
    const { project, dir } = await stack('hk-post', () => `services:
  db:${sleeper}
    post_start:
      - command: ["sh", "-c", "echo first as $$(id -u) in $$(pwd) with $$GREETING; sleep 2"]
        user: "65534"
        working_dir: /tmp
        environment: {GREETING: hello}
      - command: ["sh", "-c", "echo second as $$(id -u); touch /tmp/post-started"]
  web:${sleeper}
    depends_on: [db]
`);
    const r = await recorded(project, dir, ['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`container ${project}-db-1 post_start[0]: first as 65534 in /tmp with hello`);
    expect(r.stderr).toContain(`container ${project}-db-1 post_start[1]: second as 0`);
    await dockerExec(`${project}-db-1`, 'test -e /tmp/post-started');
    // In order, after the container's start; the dependent starts once both have exited.
    const dbStart = r.log.first('db', 'start');
    const execs = events(r.log, 'db', 'exec_start');
    const dies = events(r.log, 'db', 'exec_die');
    expect(execs).toHaveLength(2);
    expect(dies).toHaveLength(2);
    expect(execs[0]!.timeNano).toBeGreaterThan(dbStart);
    expect(execs[1]!.timeNano).toBeGreaterThan(dies[0]!.timeNano);
    expect(r.log.first('web', 'start')).toBeGreaterThan(dies[1]!.timeNano);
  }, 90_000);

  it('a privileged hook is run privileged: with every capability, or refused as `docker exec --privileged` is where the engine cannot grant them', async () => {
    const { project, dir } = await stack('hk-privileged', () => `services:
  db:${sleeper}
    post_start:
      - command: ["sh", "-c", "grep CapEff /proc/self/status"]
        privileged: true
`);
    // Some engines (this project's CI engine among them) run where capabilities cannot be granted.
    const canGrant = (await docker(['run', '--rm', '--privileged', IMAGE, 'true'], { allowFail: true })).code === 0;
    const r = await tug(['up', '-d', '--progress', 'plain'], dir);
    if (canGrant) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`container ${project}-db-1 post_start\\[0\\]: CapEff:\\s+0000(00|01|003)f?f{8,}`));
    } else {
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain('unable to apply caps');
      // Unprivileged, the same command runs.
      const plain = await tug(['exec', '-T', 'db', 'sh', '-c', 'grep CapEff /proc/self/status'], dir);
      expect(plain.code, plain.stderr).toBe(0);
    }
  }, 60_000);

  it('a failing post_start exits 5 with its output and exit code', async () => {
    const { project, dir } = await stack('hk-post-fail', () => `services:
  db:${sleeper}
    post_start:
      - command: ["sh", "-c", "echo checking; echo it is broken >&2; exit 3"]
`);
    const r = await tug(['up', '-d', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`container ${project}-db-1 post_start[0]: checking`);
    const report = r.stderr.slice(r.stderr.indexOf('error:'));
    expect(report).toContain('error: service "db": post_start[0] hook (sh -c echo checking; echo it is broken >&2; exit 3) exited with code 3');
    expect(report).toContain('  > checking');
    expect(report).toContain('  > it is broken');
  }, 60_000);

  it('pre_stop runs before the container stops on stop, restart, a recreate and down, with its output shown', async () => {
    const yaml = (v: string) => (project: string) => `services:
  db:${sleeper}
    environment: {V: "${v}"}
    volumes: [data:/data]
    pre_stop:
      - command: ["sh", "-c", "echo flushing v$$V; echo \\"$$VERB v$$V\\" >> /data/pre_stop.log"]
        environment: {VERB: "\${VERB}"}
volumes:
  data: {}
# ${project}
`;
    const { project, dir } = await stack('hk-pre-stop', yaml('1'));
    const volume = `${project}_data`;
    expect((await tug(['up', '-d', '--progress', 'quiet'], dir, { env: { VERB: 'up' } })).code).toBe(0);
    const run = async (verb: string, args: string[]) => {
      const r = await recorded(project, dir, args, { VERB: verb });
      expect(r.code, `${verb}: ${r.stderr}`).toBe(0);
      const hookDone = events(r.log, 'db', 'exec_die')[0];
      const died = events(r.log, 'db', 'die')[0];
      expect(hookDone, `${verb}: the hook ran`).toBeDefined();
      expect(died, `${verb}: the container stopped`).toBeDefined();
      expect(hookDone!.timeNano, `${verb}: the hook ended before the container died`).toBeLessThan(died!.timeNano);
      return r;
    };
    const stopped = await run('stop', ['stop']);
    expect(stopped.stderr).toContain(`container ${project}-db-1 pre_stop[0]: flushing v1`);
    expect((await tug(['start', '--progress', 'quiet'], dir, { env: { VERB: 'start' } })).code).toBe(0);
    await run('restart', ['restart']);
    // A recreate: the replaced container's hook runs before it goes.
    await writeStack(`name: ${project}\n${yaml('2')(project)}`, dir);
    await run('recreate', ['up', '-d']);
    await run('down', ['down']);
    expect((await readVolume(volume, 'pre_stop.log')).trim().split('\n')).toEqual(['stop v1', 'restart v1', 'recreate v1', 'down v2']);
    await docker(['volume', 'rm', volume], { allowFail: true });
  }, 120_000);

  it('pre_stop is bounded by the stop grace period; a failing pre_stop exits 5 and leaves the container running', async () => {
    const { project, dir } = await stack('hk-pre-stop-bound', () => `services:
  slow:${sleeper}
    stop_grace_period: 2s
    pre_stop:
      - command: ["sh", "-c", "echo taking my time; sleep 60"]
  broken:${sleeper}
    pre_stop:
      - command: ["sh", "-c", "echo cannot flush >&2; exit 2"]
`);
    expect((await tug(['up', '-d', '--progress', 'quiet'], dir)).code).toBe(0);
    const slow = await tug(['stop', 'slow', '--progress', 'plain'], dir);
    expect(slow.code, slow.stderr).toBe(0);
    expect(slow.ms).toBeLessThan(6000);
    expect(slow.stderr).toContain(`container ${project}-slow-1 pre_stop[0]: taking my time`);
    expect(slow.stderr).toContain(`warning: ${project}-slow-1: pre_stop[0] did not finish within the 2s stop grace period: stopping the container anyway`);
    const broken = await tug(['stop', 'broken', '--progress', 'plain'], dir);
    expect(broken.code, broken.stderr).toBe(5);
    expect(broken.stderr).toContain('error: service "broken": pre_stop[0] hook (sh -c echo cannot flush >&2; exit 2) exited with code 2');
    expect(broken.stderr).toContain('  > cannot flush');
    const state = (await listContainers(engine, { project, all: true })).map((c) => [c.service, c.state]).sort();
    expect(state).toEqual([['broken', 'running'], ['slow', 'exited']]);
  }, 90_000);

  it('pre_start runs each step in order in a one-off container of the service\'s image, with its volumes and networks, before the service starts', async () => {
    const { project, dir } = await stack('hk-pre-start', () => `services:
  db:${sleeper}
  app:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "cat /data/migrated; sleep 300"]
    environment: {ROLE: app}
    volumes: [data:/data]
    depends_on: [db]
    pre_start:
      - command: ["sh", "-c", "echo checking as $$(id -u) in $$(pwd) role=$$ROLE step=$$STEP"]
        user: "65534"
        working_dir: /tmp
        environment: {STEP: one}
      - command: ["sh", "-c", "echo migrated by pre_start > /data/migrated"]
      - command: ["sh", "-c", "echo third step sees $$(cat /data/migrated); ping -c 1 -W 5 db > /dev/null && echo db reachable"]
volumes:
  data: {}
`);
    const r = await recorded(project, dir, ['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('service app pre_start[0]: checking as 65534 in /tmp role=app step=one');
    expect(r.stderr).toContain('service app pre_start[2]: third step sees migrated by pre_start');
    expect(r.stderr).toContain('service app pre_start[2]: db reachable');
    // Every step's container exited before the service's own container started, and is gone.
    const hookDies = r.log.events.filter((e) => e.action === 'die' && e.attributes[LABEL.hook] === 'pre_start');
    expect(hookDies).toHaveLength(3);
    const appStart = r.log.events.find((e) => e.action === 'start' && e.attributes.name === `${project}-app-1`)!;
    expect(hookDies.every((e) => e.timeNano < appStart.timeNano)).toBe(true);
    expect((await listContainers(engine, { project, all: true })).map((c) => c.name).sort()).toEqual([`${project}-app-1`, `${project}-db-1`]);
    // The service finds what the steps left in its volume.
    expect((await docker(['logs', `${project}-app-1`])).stdout).toContain('migrated by pre_start');
    // A scale up leaves the running replica alone, and the steps are not run again.
    const scaled = await recorded(project, dir, ['up', '-d', '--scale', 'app=2']);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stderr).not.toContain('pre_start[0]');
  }, 120_000);

  it('a failing pre_start step exits 5 with its output and exit code, starts no replica, and keeps its container for inspection until the next run', async () => {
    const body = (code: number) => () => `services:
  app:${sleeper}
    pre_start:
      - command: ["sh", "-c", "echo migration failed >&2; exit ${code}"]
`;
    const { project, dir } = await stack('hk-pre-start-fail', body(4));
    const r = await tug(['up', '-d', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(5);
    const report = r.stderr.slice(r.stderr.indexOf('error:'));
    expect(report).toContain('error: service "app": pre_start[0] hook (sh -c echo migration failed >&2; exit 4) exited with code 4');
    expect(report).toContain('  > migration failed');
    const after = await listContainers(engine, { project, all: true });
    const kept = after.find((c) => c.labels[LABEL.hook] === 'pre_start');
    expect(kept?.state).toBe('exited');
    expect(report).toContain(`its container ${kept!.name} is kept for inspection`);
    expect(after.find((c) => c.name === `${project}-app-1`)?.state).toBe('created');
    await writeStack(`name: ${project}\n${body(0)()}`, dir);
    const again = await tug(['up', '-d', '--progress', 'quiet'], dir);
    expect(again.code, again.stderr).toBe(0);
    const now = await listContainers(engine, { project, all: true });
    expect(now.map((c) => [c.name, c.state])).toEqual([[`${project}-app-1`, 'running']]);
  }, 90_000);
  it('run: a one-off runs its service\'s post_start hooks once started, as Compose\'s run does; a failing one exits 5 with its output', async () => {
    const { project, dir } = await stack('hk-run', () => `services:
  db:${sleeper}
    post_start:
      - command: ["sh", "-c", "echo hooked in $$(pwd) with $$WHO > /tmp/hooked"]
        working_dir: /etc
        environment: {WHO: the-hook}
  broken:${sleeper}
    post_start:
      - command: ["sh", "-c", "echo the hook broke >&2; exit 3"]
`);
    // The one-off waits for what its hook writes, and prints it: proof the hook ran inside it.
    const wait = 'for i in $(seq 100); do if [ -e /tmp/hooked ]; then cat /tmp/hooked; exit 0; fi; usleep 50000; done; echo no hook; exit 7';
    const log = await EventLog.record(engine, project);
    const r = await tug(['--progress', 'plain', 'run', '--rm', '-T', 'db', 'sh', '-c', wait], dir).finally(async () => {
      await log.flush();
      await log.stop();
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hooked in /etc with the-hook');
    const execs = log.events.filter((e) => e.type === 'container' && e.action.startsWith('exec_start') && e.attributes[LABEL.oneoff] === 'True');
    expect(execs).toHaveLength(1);

    // The one-off itself succeeds, the hook fails: the command fails with the hook's report.
    const failed = await tug(['run', '--rm', '-T', 'broken', 'sh', '-c', 'sleep 1; echo done'], dir);
    expect(failed.code, failed.stderr).toBe(5);
    expect(failed.stdout).toContain('done');
    expect(failed.stderr).toContain('error: service "broken": post_start[0] hook (sh -c echo the hook broke >&2; exit 3) exited with code 3');
    expect(failed.stderr).toContain('  > the hook broke');
    // The one-off's own failure is the answer when both fail.
    const both = await tug(['run', '--rm', '-T', 'broken', 'sh', '-c', 'sleep 1; exit 4'], dir);
    expect(both.code, both.stderr).toBe(4);
    // Detached, tug returns once the hooks ran, and fails with them.
    const detached = await tug(['run', '-d', 'broken', 'sleep', '30'], dir);
    expect(detached.code, detached.stderr).toBe(5);
    expect(detached.stderr).toContain('post_start[0] hook');
  }, 90_000);
});
