// Case 4: a stack on the real 3-node swarm (../shared/engine/swarm-up.sh, registry-up.sh).
// `tug --swarm up --wait` (dependency order honoured) beside `docker stack deploy
// --detach=false --resolve-image never` (which ignores depends_on and watches services one
// after another) and the cluster's floor: the same stack deployed detached and polled until
// every task runs, which is all the cluster itself must do. Then a changed-nothing second up.
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { list, median, ms, note, ratio, run, sleep, table, TUG, writeStack } from '../harness.mjs';

const MANAGER = 'unix:///var/run/docker-swnode1.sock';
const REGISTRY = '10.213.0.1:5000';
const IMAGE = `${REGISTRY}/local/busybox:latest`;
/** The health-check time the dependency order adds: db becomes healthy after its first probe. */
const PROBE_S = 1;

// db (healthy) -> api (healthy) -> web: three services, as the issue measured docker stack with.
const STACK = `services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    healthcheck: { test: ["CMD", "true"], interval: ${PROBE_S}s, timeout: 2s, retries: 30 }
  api:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    deploy: { replicas: 2 }
    healthcheck: { test: ["CMD", "true"], interval: ${PROBE_S}s, timeout: 2s, retries: 30 }
    depends_on: { db: { condition: service_healthy } }
  web:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    deploy: { mode: global }
    depends_on: { api: { condition: service_healthy } }
`;

const env = { ...process.env, DOCKER_HOST: MANAGER };
const docker = (...args) => run('docker', args, { env, timeoutMs: 300_000 });

async function swarmReady() {
  if (!existsSync(MANAGER.slice('unix://'.length))) return undefined;
  const r = await docker('node', 'ls', '--format', '{{.Status}}');
  if (r.code !== 0) return undefined;
  const ready = r.stdout.split('\n').filter((l) => l === 'Ready').length;
  return ready >= 2 ? ready : undefined;
}

/** Every service's tasks running (healthy, where they have a check): the floor's finish line. */
async function allRunning(stack) {
  const r = await docker('stack', 'services', stack, '--format', '{{.Replicas}}');
  if (r.code !== 0 || !r.stdout.trim()) return false;
  return r.stdout.trim().split('\n').every((l) => {
    const m = /^(\d+)\/(\d+)/.exec(l);
    return m && m[1] === m[2] && Number(m[2]) > 0;
  });
}

async function removeStack(stack) {
  await docker('stack', 'rm', stack);
  for (let i = 0; i < 120; i++) {
    const left = await docker('service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`);
    const nets = await docker('network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`);
    if (!left.stdout.trim() && !nets.stdout.trim()) return;
    await sleep(250);
  }
}

async function bench({ runs }) {
  console.log(`\n== 4. swarm: a 3-service stack (db -> api -> web, health-gated) on ${await swarmReady() ?? 0} nodes (wall, ${runs} run(s)) ==`);
  if (!(await swarmReady())) {
    note('no swarm at /var/run/docker-swnode1.sock (run ../shared/engine/swarm-up.sh and registry-up.sh): part 4 skipped');
    return {};
  }
  // Every node pulls from the registry: put the image there once, outside any timing.
  await run('docker', ['tag', 'local/busybox:latest', IMAGE]);
  const pushed = await run('docker', ['push', IMAGE]);
  if (pushed.code !== 0) {
    note(`cannot push ${IMAGE} (is registry-up.sh running?): part 4 skipped\n${pushed.stderr.slice(-400)}`);
    return {};
  }
  const file = writeStack('swarm', STACK);
  // docker stack deploy reads the v3 schema: depends_on only as a list (which it ignores anyway).
  const plainFile = writeStack('swarm-plain', STACK.replace(/depends_on: \{ (\w+): \{ condition: \w+ \} \}/g, 'depends_on: [$1]'));
  const times = { tug: [], again: [], stack: [], floor: [] };
  const tugRun = (name, ...args) => run(process.execPath, [TUG, '-f', file, '-p', name, '--swarm', ...args, '--progress', 'quiet'], { env, timeoutMs: 300_000 });
  const tools = [
    {
      key: 'tug',
      up: async (name) => {
        const r = await tugRun(name, 'up', '--wait', '--wait-timeout', '120');
        if (r.code === 0) {
          const again = await tugRun(name, 'up');
          times.again.push(again.code === 0 ? again.ms : NaN);
        }
        return r;
      },
      down: (name) => tugRun(name, 'down'),
    },
    {
      key: 'stack',
      up: (name) => docker('stack', 'deploy', '--detach=false', '--resolve-image', 'never', '-c', plainFile, name),
      down: (name) => removeStack(name),
    },
    {
      key: 'floor',
      up: async (name) => {
        const t0 = performance.now();
        const r = await docker('stack', 'deploy', '--detach=true', '--resolve-image', 'never', '-c', plainFile, name);
        if (r.code !== 0) return r;
        while (!(await allRunning(name))) {
          if (performance.now() - t0 > 120_000) return { code: 1, stderr: 'not converged in 120 s', ms: NaN };
          await sleep(100);
        }
        return { code: 0, stderr: '', ms: performance.now() - t0 };
      },
      down: (name) => removeStack(name),
    },
  ];
  for (let i = 0; i < runs; i++) {
    for (const tool of tools.map((_, k) => tools[(k + i) % tools.length])) {
      const name = `tugbench${process.pid}${tool.key}${i}`;
      const r = await tool.up(name);
      if (r.code !== 0) {
        note(`${tool.key} run ${i + 1}: exited ${r.code}; not counted\n${String(r.stderr).trim().slice(-600)}`);
        times[tool.key].push(NaN);
      } else times[tool.key].push(r.ms);
      await tool.down(name);
      await removeStack(name);
      await sleep(1000);
    }
  }
  const floor = median(times.floor);
  const rows = [
    ['tug --swarm up --wait', ms(median(times.tug)), list(times.tug), ratio(median(times.tug), floor)],
    ['docker stack deploy --detach=false', ms(median(times.stack)), list(times.stack), ratio(median(times.stack), floor)],
    ['floor: deploy detached, poll until all run', ms(floor), list(times.floor), '1.00x'],
    ['tug --swarm up, nothing changed', ms(median(times.again)), list(times.again), ''],
  ];
  table(['', 'median', 'runs (ms)', 'x floor'], rows);
  const tug = median(times.tug);
  // The chain db -> api -> web waits for two health checks the floor does not wait for.
  const allowance = 2 * PROBE_S * 1000;
  console.log(`\n  tug vs docker stack deploy: ${ratio(tug, median(times.stack))} (target about 0.2x)`);
  console.log(`  target: tug within 1.3x of the floor plus the chain's health checks (${allowance} ms): ` +
    `${ms(tug)} vs ${ms(1.3 * floor + allowance)} ${tug <= 1.3 * floor + allowance ? '(met)' : '(not met)'}`);
  console.log(`  target: a changed-nothing second up under 1 s: ${ms(median(times.again))} ${median(times.again) < 1000 ? '(met)' : '(not met)'}`);
  return { tug, floor };
}

export default {
  id: 4,
  name: 'swarm',
  title: 'swarm: tug --swarm up --wait vs docker stack deploy vs the cluster floor (needs the swarm)',
  needsEngine: true,
  run: bench,
};
