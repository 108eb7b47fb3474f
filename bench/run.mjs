#!/usr/bin/env node
// tug's benchmark: one run that puts tug beside docker-compose v1 and the bare engine and
// prints medians and ratios. It asserts nothing: timings on a shared 2-core machine are too
// noisy to gate on, so the numbers are for people to read (see bench/README.md).
//
//   node bench/run.mjs [--runs N] [--only CASE,...] [--no-compose] [--list]
//
// Needs `npm run build` first (it runs bin/tug.js and imports dist/index.js). The harness is
// bench/harness.mjs; each benchmark is a module of bench/cases/.
import { cpus } from 'node:os';
import aliases from './cases/aliases.mjs';
import build from './cases/build.mjs';
import healthChain from './cases/health-chain.mjs';
import independent from './cases/independent.mjs';
import plan from './cases/plan.mjs';
import podman from './cases/podman.mjs';
import swarm from './cases/swarm.mjs';
import watch from './cases/watch.mjs';
import {
  cleanupAll, cleanupOnSignals, engineReady, ensureCompose, note, noteCount, part, run, snapshotBuild, startWork, sweepStale, TUG,
} from './harness.mjs';

/** In the order they run: a later case may read an earlier one's result. */
const CASES = [independent, healthChain, plan, swarm, podman, watch, aliases, build];

const USAGE = `usage: node bench/run.mjs [--runs N] [--only CASE,...] [--no-compose] [--list]

  --runs N         how many times each timing of cases 1, 2, 4, 5 and 8 is taken (default 3)
  --only CASE,...  run only these cases, by number or name (default: all)
  --no-compose     leave docker-compose out: no columns for it, and no install
  --list           list the cases and exit

cases:
${CASES.map((c) => `  ${c.id}  ${c.name.padEnd(13)} ${c.title}${c.needsEngine ? ' (needs the engine)' : ''}`).join('\n')}`;

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = { runs: 3, only: new Set(CASES), compose: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--runs') opts.runs = Number(value());
    else if (flag === '--only') opts.only = new Set(String(value()).split(',').map(caseNamed));
    else if (flag === '--no-compose') opts.compose = false;
    else if (flag === '--list') {
      for (const c of CASES) console.log(`${c.id}  ${c.name.padEnd(13)} ${c.title}${c.needsEngine ? ' (needs the engine)' : ''}`);
      process.exit(0);
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown argument: ${argv[i]}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) {
    console.error('--runs takes a positive integer');
    process.exit(2);
  }
  return opts;
}

function caseNamed(s) {
  const c = CASES.find((k) => String(k.id) === s.trim() || k.name === s.trim());
  if (c) return c;
  console.error(`unknown case: ${s} (cases: ${CASES.map((k) => `${k.id} ${k.name}`).join(', ')})`);
  process.exit(2);
}

const OPTS = parseArgs(process.argv.slice(2));
cleanupOnSignals();

// ---------------------------------------------------------------- main

/** "part 1 is" / "parts 1 and 2 are" */
function partsAre(cases) {
  const ids = cases.map((c) => c.id);
  return ids.length === 1 ? `part ${ids[0]} is` : `parts ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]} are`;
}

async function main() {
  startWork();
  await snapshotBuild();
  const selected = CASES.filter((c) => OPTS.only.has(c));
  const engineCases = selected.filter((c) => c.needsEngine);
  const engine = engineCases.length ? await engineReady() : undefined;
  // docker-compose is looked for (and installed) only when some selected case can run.
  const runnable = Boolean(engine) || selected.some((c) => !c.needsEngine);
  const composeVersion = OPTS.compose && runnable ? await ensureCompose() : undefined;
  const tugVersion = (await run(process.execPath, [TUG, '--version'])).stdout.trim();
  console.log(`tug bench: tug ${tugVersion}, node ${process.version}, engine ${engine ?? (engineCases.length ? 'unavailable' : 'not checked')}, ` +
    `docker-compose ${composeVersion ?? (OPTS.compose ? 'unavailable' : 'left out (--no-compose)')}, ${cpus().length} cores, --runs ${OPTS.runs}`);
  if (engine) await sweepStale();

  if (engineCases.length && !engine) {
    note(`no Docker engine with busybox:latest (try \`bash ../shared/engine/engine-up.sh\`): ${partsAre(engineCases)} skipped`);
  }
  const ctx = { runs: OPTS.runs, composeVersion, results: {} };
  for (const c of selected) {
    if (c.needsEngine && !engine) continue;
    await part(c.id, async () => (ctx.results[c.name] = await c.run(ctx)));
  }
  if (noteCount()) console.log(`\n${noteCount()} note(s) above: some values were not counted or columns skipped.`);
}

try {
  await main();
} catch (err) {
  console.error(`\nbench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
