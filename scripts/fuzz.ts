/**
 * Long fuzz runs of the stack loader: `npm run fuzz -- --cases 100000 [--seed N] [--workers N]`.
 * The same cases and checks as test/unit/fuzz-corpus.test.ts (which runs 2,000 of them in
 * `npm test`): mutations of every corpus stack, each loaded in a worker process and judged
 * (exit 0 or 3, a message and no stack trace, under 2 s of CPU, under 200 MB).
 *
 * Progress goes to stderr; each failing case is saved under fuzz-failures/ (the mutated file
 * and case.json), and `npm run fuzz -- --seed N --case I` runs that one case again, in-process
 * and through the CLI. Exit 1 when any case failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error: a plain .mjs build script, without type declarations.
import { bundleCli, generateValidator, validatorIsStale } from './build.mjs';
import { CORPUS_ROOT, corpusStacks, corpusTemplates } from '../test/fuzz/corpus.js';
import { generateCase, generator, makeArena, removeArena } from '../test/fuzz/generate.js';
import { LIMITS, saveFailure, summarise, verdictProblem } from '../test/fuzz/judge.js';
import { runPool, type CaseResult } from '../test/fuzz/pool.js';
import { runCli, runInProcess, writeCase } from '../test/fuzz/run-case.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    case: { type: 'string' },
    workers: { type: 'string', default: String(Math.max(1, os.availableParallelism() - 1)) },
    corpus: { type: 'string', default: CORPUS_ROOT },
    out: { type: 'string', default: 'fuzz-failures' },
  },
});

const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : Math.floor(Math.random() * 2 ** 32);
const corpus = path.resolve(values.corpus!);
if (!fs.existsSync(corpus)) {
  process.stderr.write(`fuzz: no corpus at ${corpus} (pass --corpus DIR)\n`);
  process.exit(2);
}
if (validatorIsStale()) await generateValidator();

const arena = makeArena();
process.on('exit', () => removeArena(arena));
process.on('SIGINT', () => process.exit(130));

if (values.case !== undefined) {
  // One case again: in-process here, then through the CLI.
  await bundleCli();
  const g = generator(corpusStacks(corpus), corpusTemplates(corpus), arena);
  const c = generateCase(g, seed, Number(values.case));
  const remove = writeCase(c);
  process.stderr.write(`case ${c.id}: ${c.stack}\n  ${c.mutations.join('\n  ')}\n  ${c.written.content.length} bytes at ${c.written.path}\n`);
  const t0 = performance.now();
  const inProcess = await runInProcess(c);
  process.stderr.write(`in-process (${(performance.now() - t0).toFixed(0)} ms): ${JSON.stringify(inProcess).slice(0, 3000)}\n`);
  const cli = await runCli(c);
  remove();
  process.stderr.write(`tug config -q (${cli.ms.toFixed(0)} ms, peak RSS ${((cli.maxRss ?? 0) / 2 ** 20).toFixed(0)} MB): ${JSON.stringify(cli.verdict).slice(0, 3000)}\n`);
  process.exit(inProcess.exit === 'failure' || cli.verdict.exit === 'failure' ? 1 : 0);
}

const total = Number(values.cases);
const workers = Math.max(1, Number(values.workers));
process.stderr.write(`fuzz: ${total} cases, seed ${seed}, ${workers} worker(s), corpus ${corpus}\n`);
const results: CaseResult[] = [];
let failures = 0;
const t0 = Date.now();
let lastReport = t0;
await runPool({
  seed,
  indices: Array.from({ length: total }, (_, i) => i),
  workers,
  arenaDir: arena.dir,
  corpusRoot: corpus,
  memLimit: LIMITS.memBytes,
  onResult: (r) => {
    results.push({ ...r, mutations: [], verdict: r.verdict.exit === 'failure' ? r.verdict : { exit: r.verdict.exit } as CaseResult['verdict'] });
    const problem = verdictProblem(r);
    if (problem) {
      failures++;
      const g = generator(corpusStacks(corpus), corpusTemplates(corpus), arena);
      const dir = saveFailure(path.resolve(values.out!), generateCase(g, seed, r.index), r, problem);
      process.stderr.write(`\nFAIL case ${seed}:${r.index} (${r.stack}): ${problem.split('\n', 1)[0]}\n  saved in ${dir}\n`);
    }
    const now = Date.now();
    if (now - lastReport > 5000 || results.length === total) {
      lastReport = now;
      const rate = results.length / ((now - t0) / 1000);
      process.stderr.write(`${results.length}/${total} cases, ${failures} failure(s), ${rate.toFixed(0)}/s, eta ${((total - results.length) / rate).toFixed(0)} s\n`);
    }
  },
});
process.stderr.write(`${summarise(results)}\n`);
process.stderr.write(failures ? `${failures} failing case(s), saved under ${values.out}/\n` : 'no failures\n');
process.exit(failures ? 1 : 0);
