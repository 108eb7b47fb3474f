// Case 8: the same two-service build on the engine's BuildKit and on the classic builder. Two
// services, each its own context (200 small source files) and a six-step Dockerfile on
// `FROM busybox` (the only base image this machine has: no registry is reachable): COPY, then
// RUN steps that hash the sources, write an 8 MB file, append 200 lines, and an ENV. Timed as the
// wall time of `tug build --no-cache` (both services build at once, as tug always builds them),
// with BuildKit (the default) and with DOCKER_BUILDKIT=0 (the classic builder), interleaved.
//
// Cache condition: every build is `--no-cache`, so each runs every step; the base image is
// local for all of them, and nothing is pulled. The floors are the engine doing the same work
// without tug: two concurrent `docker build --no-cache` with the classic builder (the docker CLI
// here has no buildx, so it cannot drive BuildKit itself), and `docker-compose build --no-cache
// --parallel` (v1, which builds through docker-py with the classic builder) when it is there.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compose, list, median, ms, note, onCleanup, project, ratio, run, table, TUG, writeStack } from '../harness.mjs';

const SERVICES = ['api', 'web'];
const FILES = 200;

const DOCKERFILE = `FROM busybox
WORKDIR /app
COPY src/ ./src/
RUN find src -type f | sort | xargs cat | md5sum > /app/sources.sum
RUN dd if=/dev/zero of=/app/blob bs=1M count=8 2>/dev/null && md5sum /app/blob > /app/blob.sum
RUN for i in $(seq 1 200); do echo "line $i" >> /app/log; done
ENV MODE=bench
RUN echo "built $MODE" > /app/done
`;

function writeContexts(file) {
  const root = dirname(file);
  for (const s of SERVICES) {
    const src = join(root, s, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(root, s, 'Dockerfile'), DOCKERFILE);
    for (let i = 0; i < FILES; i++) writeFileSync(join(src, `m${String(i).padStart(3, '0')}.txt`), `module ${s} ${i}\n`.repeat(20));
  }
  return root;
}

async function bench({ runs, composeVersion }) {
  const n = Math.max(3, runs);
  console.log(`\n== 8. the same two-service build: BuildKit vs the classic builder (--no-cache, wall, median of ${n}) ==`);
  const stack = `services:\n${SERVICES.map((s) => `  ${s}:\n    build: ./${s}\n    image: IMAGE_${s}\n`).join('')}`;
  const name = project('build');
  // Each builder tags its own images, so that one's result is never the other's starting point.
  const tags = (variant) => Object.fromEntries(SERVICES.map((s) => [s, `${name}-${variant}-${s}:bench`]));
  const fileFor = (variant) => {
    const t = tags(variant);
    return writeStack(`build-${variant}`, stack.replace(/IMAGE_(\w+)/g, (_, s) => t[s]));
  };
  const files = { buildkit: fileFor('buildkit'), classic: fileFor('classic'), compose: fileFor('compose') };
  for (const f of Object.values(files)) writeContexts(f);
  const made = new Set();
  onCleanup(async () => {
    if (made.size) await run('docker', ['rmi', '-f', ...made], { timeoutMs: 120_000 });
  });
  /** Notes every image a build left (an earlier run's image becomes untagged, and is removed too). */
  const remember = async (variant) => {
    for (const ref of Object.values(tags(variant))) {
      const r = await run('docker', ['image', 'inspect', '-f', '{{.Id}}', ref]);
      if (r.code === 0) made.add(r.stdout.trim());
    }
  };

  const tugBuild = (variant, env) => async () => {
    const r = await run(process.execPath, [TUG, '-f', files[variant], '-p', name, 'build', '--no-cache', '--progress', 'quiet'],
      { env: { ...process.env, ...env }, timeoutMs: 300_000 });
    await remember(variant);
    return r;
  };
  const dockerBuilds = async () => {
    const root = dirname(files.classic);
    const t0 = performance.now();
    const rs = await Promise.all(SERVICES.map((s) => run('docker', ['build', '--no-cache', '-q', '-t', tags('docker')[s], join(root, s)],
      { env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 })));
    const took = performance.now() - t0;
    await remember('docker');
    const bad = rs.find((r) => r.code !== 0);
    return { code: bad ? bad.code : 0, stderr: bad?.stderr ?? '', ms: took };
  };
  const composeBuild = async () => {
    const r = await compose(files.compose, name, 'build', '--no-cache', '--parallel');
    await remember('compose');
    return r;
  };

  const rows = [
    { key: 'buildkit', label: 'tug build, BuildKit (the default)', fn: tugBuild('buildkit', {}) },
    { key: 'classic', label: 'tug build, classic (DOCKER_BUILDKIT=0)', fn: tugBuild('classic', { DOCKER_BUILDKIT: '0' }) },
    { key: 'docker', label: 'floor: 2x docker build, classic, concurrent', fn: dockerBuilds },
    ...(composeVersion ? [{ key: 'compose', label: `docker-compose ${composeVersion} build --parallel (classic)`, fn: composeBuild }] : []),
  ];
  const times = Object.fromEntries(rows.map((r) => [r.key, []]));
  // One unmeasured build each first: the page cache holds the contexts and the base image after it.
  for (const r of rows) {
    const w = await r.fn();
    if (w.code !== 0) note(`${r.label}: the warm-up build failed (${w.code}): ${(w.stderr || w.stdout).trim().slice(-400)}`);
  }
  for (let i = 0; i < n; i++) {
    const order = rows.map((_, k) => rows[(k + i) % rows.length]);
    for (const r of order) {
      const res = await r.fn();
      if (res.code !== 0) {
        note(`${r.label}: run ${i + 1} failed (${res.code}): ${(res.stderr || res.stdout).trim().slice(-400)}`);
        times[r.key].push(NaN);
      } else times[r.key].push(res.ms);
    }
  }
  const m = Object.fromEntries(rows.map((r) => [r.key, median(times[r.key])]));
  table(
    ['build (2 services, 6 steps each, --no-cache)', 'median', 'x BuildKit', 'x classic floor', 'runs (ms)'],
    rows.map((r) => [r.label, ms(m[r.key]), ratio(m[r.key], m.buildkit), ratio(m[r.key], m.docker), list(times[r.key])]),
  );
  console.log(`  BuildKit vs classic, tug: ${ms(m.buildkit)} vs ${ms(m.classic)} (classic takes ${ratio(m.classic, m.buildkit)} the BuildKit time)`);
  return { buildkitMs: m.buildkit, classicMs: m.classic, floorMs: m.docker };
}

export default {
  id: 8,
  name: 'build',
  title: 'the same two-service build on BuildKit and on the classic builder (--no-cache), beside docker build and docker-compose',
  needsEngine: true,
  run: bench,
};
