/** The limits every fuzz case must stay within, and reports on a run. */
import fs from 'node:fs';
import path from 'node:path';
import type { FuzzCase } from './generate.js';
import type { CaseResult } from './pool.js';

export const LIMITS = {
  /**
   * CPU time of one load (issue 10: "any file under the size limit is accepted or refused in
   * under 2 s"). CPU rather than wall time: a busy machine stretches wall time, not this. The
   * slowest cases measured here take a small fraction of it (see the test's report).
   */
  cpuMs: 2_000,
  /** What one case may add to its process's peak resident memory. */
  memBytes: 200 * 2 ** 20,
  /** Peak RSS of a whole `tug config -q` process (Node itself included). */
  cliRssBytes: 200 * 2 ** 20,
} as const;

/** Why a result breaks the rules, or undefined when it does not. */
export function verdictProblem(r: CaseResult): string | undefined {
  if (r.verdict.exit === 'failure') return r.verdict.why;
  if (r.cpuMs >= LIMITS.cpuMs) return `took ${r.cpuMs.toFixed(0)} ms of CPU (${r.ms.toFixed(0)} ms wall), limit ${LIMITS.cpuMs}`;
  if (r.memBytes >= LIMITS.memBytes) return `peak RSS grew by ${mb(r.memBytes)}, limit ${mb(LIMITS.memBytes)}`;
  return undefined;
}

export const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;

/** One line per figure: outcomes, the slowest and the hungriest cases. */
export function summarise(results: CaseResult[]): string {
  const ok = results.filter((r) => r.verdict.exit === 0).length;
  const invalid = results.filter((r) => r.verdict.exit === 3).length;
  const max = (f: (r: CaseResult) => number) => results.reduce((best, r) => (f(r) > f(best) ? r : best), results[0]!);
  const cpu = max((r) => r.cpuMs);
  const wall = max((r) => r.ms);
  const mem = max((r) => r.memBytes);
  const sorted = results.map((r) => r.cpuMs).sort((a, b) => a - b);
  return [
    `${results.length} cases: ${ok} loaded (exit 0), ${invalid} refused (exit 3), ${results.length - ok - invalid} failed`,
    `CPU in all: ${(results.reduce((t, r) => t + r.cpuMs, 0) / 1000).toFixed(1)} s`,
    `CPU per case: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)]?.toFixed(0)} ms, max ${cpu.cpuMs.toFixed(0)} ms (case ${cpu.index}, ${cpu.stack})`,
    `wall per case: max ${wall.ms.toFixed(0)} ms (case ${wall.index})`,
    `peak RSS growth per case: max ${mb(mem.memBytes)} (case ${mem.index}, ${mem.bytes} bytes of input)`,
  ].join('\n');
}

/** Saves a failing case for reproduction: the mutated file, and case.json saying how to rerun it. */
export function saveFailure(outDir: string, c: FuzzCase, r: CaseResult, problem: string): string {
  const dir = path.join(outDir, `seed-${c.seed}-case-${c.index}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, path.basename(c.written.path)), c.written.content);
  const info = {
    rerun: `npm run fuzz -- --seed ${c.seed} --case ${c.index}`,
    stack: c.stack,
    projectDir: c.projectDir,
    files: c.files,
    mutations: c.mutations,
    problem,
    cpuMs: r.cpuMs,
    ms: r.ms,
    memBytes: r.memBytes,
  };
  fs.writeFileSync(path.join(dir, 'case.json'), `${JSON.stringify(info, null, 2)}\n`);
  return dir;
}
