/**
 * A fixed pool of worker processes running fuzz cases through the loader. Processes, not
 * threads: each case's memory is measured by the kernel for its process, a runaway case can
 * be killed without taking the test runner with it, and a case that never returns (a hang,
 * a synchronous loop) is a failure reported as such instead of a stuck test run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Verdict } from './run-case.js';

export interface ToWorker {
  seed: number;
  index: number;
  memLimit: number;
}

export interface CaseResult {
  type: 'result';
  index: number;
  stack: string;
  mutations: string[];
  bytes: number;
  verdict: Verdict;
  /** Wall time of the load. */
  ms: number;
  /** CPU time (user + system, all threads) of the load: what noisy neighbours change least. */
  cpuMs: number;
  /** Growth of the worker's peak RSS over its baseline before the case (see worker.ts). */
  memBytes: number;
}

export type FromWorker = { type: 'ready' } | { type: 'recycle'; index: number } | CaseResult;

export interface PoolOptions {
  seed: number;
  indices: number[];
  workers: number;
  arenaDir: string;
  corpusRoot: string;
  /** A case not answered within this is a hang: its worker is killed (default 30 s). */
  hangMs?: number;
  /** Bytes a case may add to its worker's peak RSS before it counts as a failure. */
  memLimit: number;
  /** Heap limit of a worker, so a runaway case dies instead of eating the machine (MB). */
  heapMb?: number;
  onResult: (r: CaseResult) => void;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs every index on the pool; resolves when all have a result (failures included). */
export async function runPool(o: PoolOptions): Promise<void> {
  const queue = [...o.indices];
  const hangMs = o.hangMs ?? 30_000;

  const startWorker = (): Promise<ChildProcess> =>
    new Promise((resolve, reject) => {
      const child = fork(WORKER, [o.arenaDir, o.corpusRoot], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${o.heapMb ?? 768}`],
        // stdin /dev/null, as the CLI runs have it (what `/dev/stdin` names in a case).
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const onMessage = (m: FromWorker) => {
        if (m.type !== 'ready') return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(child);
      };
      const onExit = (code: number | null) => reject(new Error(`a fuzz worker exited (${code}) before it was ready`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  /** One case on `child`; resolves with the (possibly replaced) worker to use next. */
  const runOne = (child: ChildProcess, index: number, fresh: boolean): Promise<{ child: ChildProcess; result?: CaseResult }> =>
    new Promise((resolve) => {
      const failed = (why: string): CaseResult => ({
        type: 'result', index, stack: '?', mutations: [], bytes: 0, verdict: { exit: 'failure', why }, ms: hangMs, cpuMs: 0, memBytes: 0,
      });
      const detach = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const done = (r: { child: ChildProcess; result?: CaseResult }) => {
        detach();
        resolve(r);
      };
      const replace = async (result?: CaseResult) => {
        // Detached first: the kill's own exit event is not another failure.
        detach();
        child.kill('SIGKILL');
        resolve({ child: await startWorker(), result });
      };
      const onMessage = (m: FromWorker) => {
        if (m.type === 'result' && m.index === index) done({ child, result: m });
        // The worker's high-water mark is too high to judge the next case: a fresh process runs it.
        else if (m.type === 'recycle' && m.index === index) {
          // A fresh worker whose own start-up left a mark that high would ask forever.
          if (fresh) void replace(failed('a fresh worker already has a peak RSS over the limit: cannot measure'));
          else void replace();
        }
      };
      const onExit = (code: number | null, signal: string | null) =>
        void replace(failed(`the worker process died (${signal ?? `exit ${code}`}): out of memory or a crash`));
      const timer = setTimeout(() => void replace(failed(`no answer within ${hangMs} ms: a hang`)), hangMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ seed: o.seed, index, memLimit: o.memLimit } satisfies ToWorker);
    });

  const lane = async (): Promise<void> => {
    let child = await startWorker();
    let fresh = true;
    try {
      for (let index = queue.shift(); index !== undefined; ) {
        const r = await runOne(child, index, fresh);
        fresh = r.child !== child;
        child = r.child;
        if (!r.result) continue; // recycled: the same index again, on the fresh worker
        o.onResult(r.result);
        index = queue.shift();
      }
    } finally {
      child.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, lane));
}

export const workerPath = path.relative(ROOT, WORKER);
