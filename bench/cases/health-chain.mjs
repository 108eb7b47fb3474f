// Case 2: a 5-deep `service_healthy` chain. From the engine's own events, per edge, the time from
// the dependency's `health_status: healthy` to the dependent's `start`, for tug and
// docker-compose; tug's edge split into its own reaction and the engine's start work; and the
// startup cost of a CLI process.
import { spawn } from 'node:child_process';
import {
  children, compose, LABEL, list, median, ms, must, note, pct, project, ratio, removeProject, sleep, table, TUG, tug, tugJson,
  writeStack,
} from '../harness.mjs';

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

async function bench({ runs, composeVersion, results }) {
  // Part 1's `tug up -d` wall time, to put tug's own startup cost in proportion.
  const tugUp20 = results.independent?.tugUp ?? NaN;
  const DEPTH = 5;
  console.log(`\n== 2. ${DEPTH}-deep service_healthy chain: dependency healthy -> dependent start (engine events, ${runs} run(s)) ==`);
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
  for (let run = 0; run < runs; run++) {
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

export default {
  id: 2,
  name: 'health-chain',
  title: '5-deep service_healthy chain: dependency healthy -> dependent start, and CLI startup',
  needsEngine: true,
  run: bench,
};
