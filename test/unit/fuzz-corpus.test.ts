/**
 * Issue 10's fuzz suite: mutations of every corpus stack (../shared/corpus), a fixed-seed
 * sample of 2,000 cases. Each is loaded as `tug config -q` loads it and must be loaded (exit 0)
 * or refused as an invalid stack (exit 3) with a message: never an internal error, another exit
 * code or a stack trace; within 2 s of CPU and 200 MB of peak memory. Every 40th case also runs
 * through the real binary, which must give the same exit code, print no stack trace, and peak
 * under 200 MB of RSS for the whole process.
 *
 * The cases run on a fixed pool of worker processes (test/fuzz/pool.ts): the kernel measures
 * each case's memory, and a case that never returns is killed and reported rather than hanging
 * the run. Longer runs: `npm run fuzz -- --cases 100000 [--seed N]`.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_ROOT, corpusStacks, corpusTemplates } from '../fuzz/corpus.js';
import { MUTATION_KINDS, generateCase, generator, makeArena, removeArena, type Arena } from '../fuzz/generate.js';
import { LIMITS, mb, saveFailure, summarise, verdictProblem } from '../fuzz/judge.js';
import { runPool, type CaseResult } from '../fuzz/pool.js';
import { runCli, writeCase, type CliRun } from '../fuzz/run-case.js';

const SEED = 20261206;
const CASES = 2_000;
const CLI_EVERY = 40;

const stacks = corpusStacks();

describe.skipIf(stacks.length === 0)('fuzz: mutated corpus stacks are loaded or refused, never crash, in bounded time and memory', () => {
  let arena: Arena;
  beforeAll(() => {
    arena = makeArena();
  });
  afterAll(() => removeArena(arena));
  const results = new Map<number, CaseResult>();

  it('the generator: the same case from the same seed, every corpus stack and every kind of mutation', () => {
    const g = generator(stacks, corpusTemplates(), arena);
    const a = generateCase(g, SEED, 7);
    const b = generateCase(g, SEED, 7);
    expect(b.written.content.equals(a.written.content)).toBe(true);
    expect(b.mutations).toEqual(a.mutations);
    expect(generateCase(g, SEED + 1, 7).written.content.equals(a.written.content)).toBe(false);
    const used = new Set<string>();
    const kinds = new Set<string>();
    for (let i = 0; i < CASES; i++) {
      const c = generateCase(g, SEED, i);
      used.add(c.stack);
      for (const m of c.mutations) kinds.add(m.split(':', 1)[0]!);
    }
    expect(used.size).toBe(stacks.length);
    expect([...kinds].sort()).toEqual([...MUTATION_KINDS].sort());
  });

  it(`${CASES} cases through the loader: exit 0 or 3 with a message, under ${LIMITS.cpuMs} ms of CPU and ${mb(LIMITS.memBytes)} each`, async () => {
    await runPool({
      seed: SEED,
      indices: Array.from({ length: CASES }, (_, i) => i),
      workers: Math.min(2, os.availableParallelism()),
      arenaDir: arena.dir,
      corpusRoot: CORPUS_ROOT,
      memLimit: LIMITS.memBytes,
      onResult: (r) => void results.set(r.index, r),
    });
    const all = [...results.values()];
    console.info(`fuzz, seed ${SEED}:\n${summarise(all)}`);
    const failures = all.filter((r) => verdictProblem(r) !== undefined);
    const g = generator(stacks, corpusTemplates(), arena);
    const report = failures.slice(0, 10).map((r) => {
      const dir = saveFailure(`${os.tmpdir()}/tug-fuzz-failures`, generateCase(g, SEED, r.index), r, verdictProblem(r)!);
      return `case ${SEED}:${r.index} (${r.stack}; ${r.mutations.join('; ')}): ${verdictProblem(r)!.slice(0, 1500)}\n  saved in ${dir}; rerun: npm run fuzz -- --seed ${SEED} --case ${r.index}`;
    });
    expect(report, `${failures.length} failing case(s)`).toEqual([]);
    expect(all).toHaveLength(CASES);
    // Both outcomes must be common, or the mutations are too timid (or too brutal) to test much.
    expect(all.filter((r) => r.verdict.exit === 0).length).toBeGreaterThan(CASES / 20);
    expect(all.filter((r) => r.verdict.exit === 3).length).toBeGreaterThan(CASES / 2);
  }, 600_000);

  it(`every ${CLI_EVERY}th case through the binary (tug config -q): the same exit code, no stack trace, peak RSS under ${mb(LIMITS.cliRssBytes)}`, async () => {
    expect(results.size, 'the in-process run comes first').toBe(CASES);
    const g = generator(stacks, corpusTemplates(), arena);
    const indices = Array.from({ length: CASES / CLI_EVERY }, (_, k) => k * CLI_EVERY);
    const runs: { index: number; run: CliRun }[] = [];
    const lane = async () => {
      for (let index = indices.shift(); index !== undefined; index = indices.shift()) {
        const c = generateCase(g, SEED, index);
        const remove = writeCase(c);
        try {
          runs.push({ index, run: await runCli(c) });
        } finally {
          remove();
        }
      }
    };
    await Promise.all([lane(), lane()]);
    const problems = runs.flatMap(({ index, run }) => {
      const inProcess = results.get(index)!.verdict.exit;
      if (run.verdict.exit === 'failure') return [`case ${index}: ${run.verdict.why}`];
      if (run.verdict.exit !== inProcess) return [`case ${index}: the CLI exits ${run.verdict.exit}, the loader in-process gives ${inProcess}:\n${run.stderr}`];
      if (run.maxRss === undefined) return [`case ${index}: no peak RSS reported`];
      if (run.maxRss >= LIMITS.cliRssBytes) return [`case ${index}: peak RSS ${mb(run.maxRss)}`];
      return [];
    });
    expect(problems).toEqual([]);
    expect(runs).toHaveLength(CASES / CLI_EVERY);
    const peak = Math.max(...runs.map((r) => r.run.maxRss!));
    console.info(`fuzz through the CLI: ${runs.length} runs, peak RSS ${mb(peak)}, slowest ${Math.max(...runs.map((r) => r.run.ms)).toFixed(0)} ms`);
  }, 600_000);
});
