// Case 5: tug on Podman (its Docker-compatible API, DOCKER_HOST=unix:///run/tug-podman/podman.sock,
// started by ../shared/engine/podman-up.sh) beside podman-compose on the same stacks: 10
// independent services (`up -d`, `down`) and a 4-deep `service_healthy` chain. For the chain, the
// engine's own events say whether each dependent started after its dependency was healthy:
// podman-compose 1.0.3 reads depends_on for order only, ignores the conditions, and stops
// containers one at a time (`podman stop -t 10` each). Also `tug ps` on Podman.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname } from 'node:path';
import {
  isStale, LABEL, list, median, ms, note, onCleanup, ratio, run, RUN_ID, sleep, table, TUG, writeStack,
} from '../harness.mjs';

const SOCKET = '/run/tug-podman/podman.sock';
const env = { ...process.env, DOCKER_HOST: `unix://${SOCKET}` };
const N = 10;
const DEPTH = 4;

// Both stacks as in cases 1 and 2 (init: true, so every process stops on SIGTERM).
function independentStack(n) {
  let y = 'services:\n';
  for (let i = 1; i <= n; i++) y += `  s${i}:\n    image: busybox\n    init: true\n    command: ["sleep", "300"]\n`;
  return y;
}

function chainStack(depth) {
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

// ---------------------------------------------------------------- Podman's API

/** GET on Podman's socket: status and parsed JSON (undefined when the body is not JSON). */
function api(path) {
  return new Promise((resolve) => {
    const req = request({ socketPath: SOCKET, path, timeout: 20_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(body);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode, json });
      });
    });
    req.on('error', () => resolve({ status: 0 }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const labelled = (name) => `filters=${encodeURIComponent(JSON.stringify({ label: [`${LABEL}=${name}`] }))}`;

/** The project's containers, stopped ones too. */
async function containers(name) {
  const r = await api(`/containers/json?all=true&${labelled(name)}`);
  return Array.isArray(r.json) ? r.json : [];
}

async function podmanReady() {
  if (!existsSync(SOCKET)) return undefined;
  const v = await api('/version');
  const img = await api('/images/busybox:latest/json');
  return v.status === 200 && img.status === 200 ? `${v.json?.Version} (API ${v.json?.ApiVersion})` : undefined;
}

/**
 * The project's container events from now on, health in either form (Podman's is a bare
 * `health_status` with the state in `HealthStatus`, once per probe). Resolves once subscribed.
 */
function watchEvents(name) {
  const events = [];
  const filters = encodeURIComponent(JSON.stringify({ label: [`${LABEL}=${name}`], type: ['container'] }));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: SOCKET, path: `/events?filters=${filters}` }, (res) => {
      let buf = '';
      res.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            const e = JSON.parse(line);
            let action = String(e.Action ?? e.status ?? '');
            if (action === 'health_status' && e.HealthStatus) action = `health_status: ${e.HealthStatus}`;
            events.push({ action, service: e.Actor?.Attributes?.['com.docker.compose.service'], ns: BigInt(e.timeNano) });
          } catch {
            // not an event line
          }
        }
      });
      res.on('error', () => {});
      resolve({ events, stop: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** First time (ns) each service emitted `action`. */
function firstOf(events, action) {
  const out = new Map();
  for (const e of events) if (e.action === action && e.service && !out.has(e.service)) out.set(e.service, e.ns);
  return out;
}

// ---------------------------------------------------------------- tools and clean-up

/** podman-compose's version, installing it with apt-get when root may; undefined when it cannot be had. */
async function ensurePodmanCompose() {
  const version = async () => {
    const r = await run('podman-compose', ['version']);
    const m = /podman-composer? version:?\s+([\d.]+)/.exec(r.stdout + r.stderr);
    return r.code === 0 && m ? m[1] : undefined;
  };
  const have = await version();
  if (have) return have;
  if ((await run('apt-get', ['--version'])).code !== 0 || process.getuid?.() !== 0) {
    note('podman-compose is not on PATH and apt-get is not usable here: its columns are skipped');
    return undefined;
  }
  console.log('  installing podman-compose with apt-get (once per machine)...');
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '-q', 'podman-compose'], { env: aptEnv, timeoutMs: 600_000 });
  if (r.code !== 0) {
    await run('apt-get', ['update', '-q'], { env: aptEnv, timeoutMs: 600_000 });
    r = await run('apt-get', ['install', '-y', '-q', 'podman-compose'], { env: aptEnv, timeoutMs: 600_000 });
  }
  const after = await version();
  if (!after) note(`installing podman-compose failed: its columns are skipped\n${r.stderr.trim().slice(-500)}`);
  return after;
}

/** Everything labelled with the project on Podman: containers, then networks and volumes. */
async function removePodmanProject(name) {
  const ids = (await containers(name)).map((c) => c.Id);
  if (ids.length) await run('podman', ['rm', '-f', '-v', ...ids], { timeoutMs: 120_000 });
  for (const kind of ['network', 'volume']) {
    const r = await run('podman', [kind, 'ls', '-q', '--filter', `label=${LABEL}=${name}`]);
    const found = r.stdout.split('\n').filter(Boolean);
    if (found.length) await run('podman', [kind, 'rm', '-f', ...found], { timeoutMs: 60_000 });
  }
}

const created = new Set();
function podmanProject(suffix) {
  const name = `${RUN_ID}-${suffix}`;
  created.add(name);
  return name;
}
onCleanup(async () => {
  if (!existsSync(SOCKET)) return;
  for (const name of created) await removePodmanProject(name);
});

/** Projects of earlier bench runs that died before cleaning up after themselves on Podman. */
async function sweepStalePodman() {
  const r = await api(`/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ label: [LABEL] }))}`);
  const stale = new Set((Array.isArray(r.json) ? r.json : []).map((c) => c.Labels?.[LABEL]).filter((p) => p && isStale(p)));
  for (const p of stale) await removePodmanProject(p);
}

// ---------------------------------------------------------------- the bench

async function bench({ runs }) {
  console.log(`\n== 5. Podman: tug vs podman-compose, ${N} independent services and a ${DEPTH}-deep service_healthy chain (wall, ${runs} run(s)) ==`);
  const podman = await podmanReady();
  if (!podman) {
    note(`no Podman with busybox:latest at ${SOCKET} (run ../shared/engine/podman-up.sh): part 5 skipped`);
    return {};
  }
  const pcVersion = await ensurePodmanCompose();
  console.log(`  podman ${podman}, podman-compose ${pcVersion ?? 'unavailable'}`);
  await sweepStalePodman();

  const tugRun = (file, name, ...args) => run(process.execPath, [TUG, '-f', file, '-p', name, ...args, '--progress', 'quiet'], { env });
  // podman-compose drives the podman CLI (same storage as the socket's service); it reads the file's directory.
  const pcRun = (file, name, ...args) => run('podman-compose', ['-f', file, '-p', name, ...args], { cwd: dirname(file), timeoutMs: 300_000 });
  const tools = [
    { key: 'tug', label: 'tug (DOCKER_HOST=podman)', run: tugRun },
    ...(pcVersion ? [{ key: 'pc', label: `podman-compose ${pcVersion}`, run: pcRun }] : []),
  ];

  // ---- 10 independent services
  const indFile = writeStack('podman-independent', independentStack(N));
  const ind = Object.fromEntries(tools.map((t) => [t.key, { up: [], down: [] }]));
  const psTimes = [];
  for (let i = 0; i < runs; i++) {
    for (const tool of tools.map((_, k) => tools[(k + i) % tools.length])) {
      const name = podmanProject(`pm-ind-${tool.key}-${i}`);
      const up = await tool.run(indFile, name, 'up', '-d');
      const running = (await containers(name)).filter((c) => c.State === 'running').length;
      if (up.code !== 0 || running !== N) {
        note(`${tool.key} run ${i + 1}: up exited ${up.code} with ${running}/${N} running; not counted\n${up.stderr.trim().slice(-800)}`);
        ind[tool.key].up.push(NaN);
      } else ind[tool.key].up.push(up.ms);
      if (tool.key === 'tug') {
        for (let k = 0; k < 3; k++) {
          const ps = await tugRun(indFile, name, 'ps');
          psTimes.push(ps.code === 0 ? ps.ms : NaN);
        }
      }
      await sleep(500);
      const down = await tool.run(indFile, name, 'down');
      const left = (await containers(name)).length;
      if (down.code !== 0 || left !== 0) {
        note(`${tool.key} run ${i + 1}: down exited ${down.code} leaving ${left} container(s); not counted\n${down.stderr.trim().slice(-800)}`);
        ind[tool.key].down.push(NaN);
      } else ind[tool.key].down.push(down.ms);
      await removePodmanProject(name);
      await sleep(500);
    }
  }

  // ---- the chain
  const chainFile = writeStack('podman-chain', chainStack(DEPTH));
  const chain = Object.fromEntries(tools.map((t) => [t.key, { up: [], down: [], edges: [] }]));
  for (let i = 0; i < runs; i++) {
    for (const tool of tools.map((_, k) => tools[(k + i) % tools.length])) {
      const name = podmanProject(`pm-chain-${tool.key}-${i}`);
      const watch = await watchEvents(name);
      let edges = Array(DEPTH - 1).fill(NaN);
      try {
        const up = await tool.run(chainFile, name, 'up', '-d');
        if (up.code !== 0) {
          note(`${tool.key} chain run ${i + 1}: up exited ${up.code}\n${up.stderr.trim().slice(-800)}`);
          chain[tool.key].up.push(NaN);
        } else {
          chain[tool.key].up.push(up.ms);
          // Whatever the tool waited for, wait for every start and every dependency's health.
          const deadline = Date.now() + 30_000;
          const deps = Array.from({ length: DEPTH - 1 }, (_, k) => `s${k + 1}`);
          while (Date.now() < deadline) {
            const starts = firstOf(watch.events, 'start');
            const healthy = firstOf(watch.events, 'health_status: healthy');
            if (starts.has(`s${DEPTH}`) && deps.every((s) => healthy.has(s))) break;
            await sleep(100);
          }
          const starts = firstOf(watch.events, 'start');
          const healthy = firstOf(watch.events, 'health_status: healthy');
          edges = deps.map((dep, k) => {
            const h = healthy.get(dep);
            const s = starts.get(`s${k + 2}`);
            return h !== undefined && s !== undefined ? Number(s - h) / 1e6 : NaN;
          });
        }
      } finally {
        watch.stop();
      }
      chain[tool.key].edges.push(edges);
      const down = await tool.run(chainFile, name, 'down');
      chain[tool.key].down.push(down.code === 0 && (await containers(name)).length === 0 ? down.ms : NaN);
      await removePodmanProject(name);
      await sleep(500);
    }
  }

  // ---- report
  const row = (label, key, phaseTimes) => [label, ms(median(phaseTimes[key])), list(phaseTimes[key])];
  for (const [title, data] of [[`${N} independent services`, ind], [`${DEPTH}-deep service_healthy chain`, chain]]) {
    for (const phase of ['up', 'down']) {
      console.log(`\n  ${title}, ${phase === 'up' ? 'up -d' : 'down'}:`);
      const times = Object.fromEntries(tools.map((t) => [t.key, data[t.key][phase]]));
      table(['', 'median', 'runs (ms)', 'x podman-compose'], tools.map((t) => [
        ...row(t.label, t.key, times), pcVersion ? ratio(median(times[t.key]), median(times.pc)) : '—',
      ]));
    }
  }
  const edgeNames = Array.from({ length: DEPTH - 1 }, (_, k) => `s${k + 1}->s${k + 2}`);
  console.log(`\n  chain: dependency healthy -> dependent start, from Podman's events (ms; negative: started before its dependency was healthy):`);
  table(['', ...edgeNames, 'edges honoured'], tools.map((t) => {
    const all = chain[t.key].edges.flat().filter(Number.isFinite);
    return [t.label, ...edgeNames.map((_, e) => list(chain[t.key].edges.map((r) => r[e]))), `${all.filter((x) => x >= 0).length}/${all.length}`];
  }));
  console.log(`\n  tug ps on Podman (${N} services, median of ${psTimes.length}): ${ms(median(psTimes))} [${list(psTimes)}]`);
  if (pcVersion) {
    console.log(`  tug / podman-compose: up -d ${ratio(median(ind.tug.up), median(ind.pc.up))}, down ${ratio(median(ind.tug.down), median(ind.pc.down))} ` +
      `(${N} services); chain up -d ${ratio(median(chain.tug.up), median(chain.pc.up))}, down ${ratio(median(chain.tug.down), median(chain.pc.down))}`);
    console.log('  (podman-compose up -d runs one `podman run` after another and returns without waiting for health; its');
    console.log('   down stops one container at a time with `podman stop -t 10`: 10 s each for a process that ignores SIGTERM)');
  }
  return { tugUp: median(ind.tug.up) };
}

export default {
  id: 5,
  name: 'podman',
  title: 'Podman: tug vs podman-compose, 10 independent services and a 4-deep service_healthy chain (needs podman-up.sh)',
  needsEngine: false,
  run: bench,
};
