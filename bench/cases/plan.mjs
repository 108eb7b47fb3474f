// Case 3: planning a generated 2,000-service stack in-process (loadProject, the dependency
// graph, configHash, planUp), then `tug config -q` against `docker-compose config -q` as a
// user pays for it, a whole process per call. Needs no engine.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE, list, median, ms, must, note, pct, project, ratio, ROOT, SNAPSHOT, table, timeIt, TUG, writeStack } from '../harness.mjs';

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

async function bench({ runs, composeVersion }) {
  const N = 2000;
  const ITER = Math.max(5, runs);
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

export default {
  id: 3,
  name: 'plan',
  title: 'planning a generated 2,000-service stack in-process, and config -q as a process',
  needsEngine: false,
  run: bench,
};
