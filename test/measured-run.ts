/**
 * Runs a Node script (the CLI) in a child process and measures it: wall time, and its peak RSS
 * as the child itself reports it on exit. Shared by the load test and the fuzz runner, which
 * judge the outcome each their own way. No vitest import: `npm run fuzz` runs outside vitest.
 */
import { spawn } from 'node:child_process';

/**
 * Preloaded into the child: writes its peak RSS to fd 3 as it exits. `resourceUsage()` is the
 * kernel's getrusage high-water mark, so nothing is sampled and nothing is missed.
 */
const REPORT_RSS = `data:text/javascript,${encodeURIComponent(
  "import fs from 'node:fs'; process.on('exit', () => { try { fs.writeSync(3, String(process.resourceUsage().maxRSS * 1024)); } catch {} });",
)}`;

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Bytes; undefined when the child died before it could report. */
  maxRss: number | undefined;
  /** Killed (SIGKILL) for running past `timeoutMs`. */
  timedOut: boolean;
}

/** `node SCRIPT ARGS` in `cwd` with stdin closed; rejects only when it cannot be spawned. */
export function runMeasured(script: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<MeasuredRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', REPORT_RSS, script, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let rss = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (rss += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, maxRss: rss ? Number(rss) : undefined, timedOut });
    });
  });
}
