// Case 1: 20 independent services, `up -d` then `down`, against docker-compose and the bare
// engine doing the same work (20 concurrent `docker run -d`, with and without the network).
import { performance } from 'node:perf_hooks';
import {
  compose, ids, LABEL, list, median, ms, must, note, project, ratio, removeProject, run, runningCount, sleep, table, tug,
  writeStack,
} from '../harness.mjs';

// Both tools accept the compose-spec format (no top-level `version`); docker-compose 1.29 reads it
// as the latest 3.x-compatible schema and still honours `condition: service_healthy`.
function independentStack(n) {
  let y = 'services:\n';
  for (let i = 1; i <= n; i++) {
    y += `  s${i}:\n    image: busybox\n    init: true\n    command: ["sleep", "300"]\n`;
  }
  return y;
}

async function bench({ runs, composeVersion }) {
  const N = 20;
  console.log(`\n== 1. ${N} independent services: up -d and down (wall, ${runs} run(s)) ==`);
  const file = writeStack('independent', independentStack(N));

  const engineUp = async (name, network) => {
    const t0 = performance.now();
    if (network) await must('docker', ['network', 'create', '--label', `${LABEL}=${name}`, `${name}_default`]);
    const rs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        run('docker', [
          'run', '-d', '--init', '--name', `${name}-s${i + 1}`, '--label', `${LABEL}=${name}`,
          ...(network ? ['--network', `${name}_default`] : []), 'busybox', 'sleep', '300',
        ]),
      ),
    );
    const took = performance.now() - t0;
    const bad = rs.find((r) => r.code !== 0);
    return { code: bad ? bad.code : 0, stderr: bad?.stderr ?? '', ms: took };
  };
  const engineDown = async (name, network) => {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: N }, (_, i) => run('docker', ['rm', '-f', `${name}-s${i + 1}`])));
    if (network) rs.push(await run('docker', ['network', 'rm', `${name}_default`]));
    const bad = rs.find((r) => r.code !== 0);
    return { code: bad ? bad.code : 0, stderr: bad?.stderr ?? '', ms: performance.now() - t0 };
  };

  const tools = [
    { key: 'tug', label: 'tug up -d / tug down', up: (p) => tug(file, p, 'up', '-d'), down: (p) => tug(file, p, 'down') },
    ...(composeVersion
      ? [{ key: 'compose', label: `docker-compose ${composeVersion}`, up: (p) => compose(file, p, 'up', '-d'), down: (p) => compose(file, p, 'down') }]
      : []),
    { key: 'engine', label: `engine: ${N}x docker run -d / rm -f`, up: (p) => engineUp(p, false), down: (p) => engineDown(p, false) },
    { key: 'engine+net', label: 'engine + network create/rm', up: (p) => engineUp(p, true), down: (p) => engineDown(p, true) },
  ];
  const times = Object.fromEntries(tools.map((t) => [t.key, { up: [], down: [] }]));

  for (let run = 0; run < runs; run++) {
    // Rotating the order spreads whatever else the machine is doing over all the columns.
    const order = tools.map((_, i) => tools[(i + run) % tools.length]);
    for (const tool of order) {
      const name = project(`ind-${tool.key.replace('+', '')}-${run}`);
      const up = await tool.up(name);
      const running = await runningCount(name);
      if (up.code !== 0 || running !== N) {
        note(`${tool.key} run ${run + 1}: up exited ${up.code} with ${running}/${N} running; not counted\n${up.stderr.trim().slice(-800)}`);
        times[tool.key].up.push(NaN);
      } else times[tool.key].up.push(up.ms);
      await sleep(500);
      const down = await tool.down(name);
      const left = (await ids('container', `label=${LABEL}=${name}`)).length;
      if (down.code !== 0 || left !== 0) {
        note(`${tool.key} run ${run + 1}: down exited ${down.code} leaving ${left} container(s); not counted\n${down.stderr.trim().slice(-800)}`);
        times[tool.key].down.push(NaN);
      } else times[tool.key].down.push(down.ms);
      await removeProject(name);
      await sleep(500);
    }
  }

  const eng = { up: median(times.engine.up), down: median(times.engine.down) };
  const engNet = { up: median(times['engine+net'].up), down: median(times['engine+net'].down) };
  for (const phase of ['up', 'down']) {
    console.log(`\n  ${phase === 'up' ? 'up -d' : 'down'}:`);
    table(
      ['', 'median', 'runs (ms)', 'x engine', 'x engine+net'],
      tools.map((t) => {
        const m = median(times[t.key][phase]);
        return [t.label, ms(m), list(times[t.key][phase]), ratio(m, eng[phase]), ratio(m, engNet[phase])];
      }),
    );
  }
  const tugUp = median(times.tug.up);
  console.log(`\n  target: tug up within 1.1x of the engine -> ${ratio(tugUp, eng.up)} ${tugUp <= 1.1 * eng.up ? '(met)' : '(not met)'}`);
  console.log('  (tug and compose also create and remove a project network; "engine + network" adds that step to the engine baseline)');
  return { tugUp };
}

export default {
  id: 1,
  name: 'independent',
  title: '20 independent services: up -d and down, against docker-compose and the bare engine',
  needsEngine: true,
  run: bench,
};
