/**
 * A fuzz worker process (started by pool.ts with tsx and --expose-gc): generates the cases it
 * is sent, runs each through the loader in-process, and measures what each one cost.
 *
 * Memory: the heap is collected before a case and the RSS taken as its baseline. On Linux the
 * kernel's peak-RSS mark (VmHWM) is reset to it, and read after the case: its own peak. Elsewhere
 * the process's high-water mark (getrusage maxRSS) after the case bounds its peak from above. While the mark
 * is below baseline + limit on arrival, "mark after - baseline >= limit" can only be this
 * case's doing, so the measure is exact where it matters; a worker whose mark is already that
 * high asks to be replaced by a fresh process first (rare: only after a case close to the limit).
 */
import fs from 'node:fs';
import process from 'node:process';
import { corpusStacks, corpusTemplates } from './corpus.js';
import { arenaAt, generateCase, generator } from './generate.js';
import { runInProcess, writeCase } from './run-case.js';
import type { ToWorker, FromWorker } from './pool.js';

const [arenaDir, corpusRoot] = process.argv.slice(2);
const g = generator(corpusStacks(corpusRoot), corpusTemplates(corpusRoot), arenaAt(arenaDir!));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('the fuzz worker needs --expose-gc');

const maxRss = (): number => process.resourceUsage().maxRSS * 1024;

/**
 * Linux lets a process reset its peak RSS (VmHWM) to its current RSS: with that, each case's
 * peak is measured on its own, whatever came before (start-up, an earlier case).
 */
function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
function peakSinceReset(): number | undefined {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
}
const send = (m: FromWorker): void => void process.send!(m);

process.on('message', (msg: ToWorker) => {
  void (async () => {
    const c = generateCase(g, msg.seed, msg.index);
    const remove = writeCase(c);
    try {
      // Collected first when there is much to collect, so the baseline is what the process holds.
      if (process.memoryUsage().heapUsed > 64 * 2 ** 20) gc();
      const rss0 = process.memoryUsage().rss;
      const exact = resetPeak();
      if (!exact && maxRss() - rss0 >= msg.memLimit) return send({ type: 'recycle', index: msg.index });
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const verdict = await runInProcess(c);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      send({
        type: 'result',
        index: msg.index,
        stack: c.stack,
        mutations: c.mutations,
        bytes: c.written.content.length,
        verdict,
        ms,
        cpuMs: (cpu.user + cpu.system) / 1000,
        memBytes: Math.max(0, (exact ? peakSinceReset() ?? maxRss() : maxRss()) - rss0),
      });
    } finally {
      remove();
    }
  })();
});

// The pool gone (its test timed out, its process killed): nothing left to answer.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
