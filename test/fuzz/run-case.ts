/**
 * Running one fuzz case, in-process (the loader API, as `tug config -q` calls it) or through
 * the CLI binary, and judging the outcome: a loaded stack (exit 0) or an invalid-stack error
 * (exit 3) with a message, nothing else. Anything else, an internal error, another exit code,
 * a stack trace or a JavaScript error's text in a message, is a failure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSwarm } from '../../src/cli/swarm-mode.js';
import { ExitCode, TugError, formatDiagnostic } from '../../src/errors.js';
import { loadProject } from '../../src/stack/load.js';
import { runMeasured } from '../measured-run.js';
import type { FuzzCase } from './generate.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin/tug.js');

export type Verdict =
  | { exit: 0 }
  | { exit: 3; code: string; message: string }
  /** What must never happen. */
  | { exit: 'failure'; why: string };

/**
 * The environment of both ways of running: a fixed, small one, so that in-process and CLI
 * runs see the same variables and nothing of whoever runs the tests (COMPOSE_*) leaks in.
 */
export function fuzzEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), NO_COLOR: '1' };
}

/** JavaScript's own error texts: an exception shown to the user as if it were a message. */
const JS_ERROR_TEXT = /\n\s+at [^\n]+:\d+:\d+\)?|Maximum call stack|RangeError|TypeError|ReferenceError|SyntaxError: Unexpected|Cannot read propert|is not a function|is not iterable|undefined is not|internal error/;

/** Checks a TugError as the CLI would report it; the text is what reaches stderr. */
export function judgeError(err: unknown): Verdict {
  if (!(err instanceof TugError)) {
    const e = err as Error;
    return { exit: 'failure', why: `not a TugError (the CLI says "internal error", exit 1): ${e?.stack ?? String(err)}` };
  }
  if (err.exitCode !== ExitCode.invalidStack) return { exit: 'failure', why: `exit ${err.exitCode} (${err.code}), not 3: ${err.message}` };
  const ds = err.diagnostics();
  if (ds.length === 0) return { exit: 'failure', why: `a TugError without diagnostics: ${err.code}` };
  const text = ds.map(formatDiagnostic).join('\n');
  if (ds.some((d) => !d.message.trim())) return { exit: 'failure', why: `an empty message: ${text}` };
  if (JS_ERROR_TEXT.test(text)) return { exit: 'failure', why: `a JavaScript error's text in the message: ${text.slice(0, 2000)}` };
  return { exit: 3, code: err.code, message: text };
}

/** What `tug config -q` does: load (read, interpolate, merge, validate, normalise); in swarm mode also translate. */
export async function runInProcess(c: FuzzCase): Promise<Verdict> {
  const env = fuzzEnv();
  try {
    const project = await loadProject({
      cwd: c.projectDir,
      files: c.files,
      projectDirectory: c.projectDir,
      env,
      onWarning: () => {},
      hostCpus: os.availableParallelism(),
      swarm: false,
    });
    if (isSwarm({}, project, env)) {
      const { translate } = await import('../../src/run/swarm/config.js');
      translate(project);
    }
    return { exit: 0 };
  } catch (err) {
    return judgeError(err);
  }
}

/** `tug config -q` for the case: the same files and project directory as runInProcess. */
export function cliArgs(c: FuzzCase): string[] {
  return ['config', '-q', '--project-directory', c.projectDir, ...c.files.flatMap((f) => ['-f', f])];
}

export interface CliRun {
  verdict: Verdict;
  /** Peak resident memory of the tug process, in bytes (Node's own figure, read as it exits). */
  maxRss?: number;
  ms: number;
  stderr: string;
}

/** Runs the real binary; a run past `timeoutMs` is killed and is a failure (a hang). */
export async function runCli(c: FuzzCase, timeoutMs = 60_000): Promise<CliRun> {
  // stdin closed as the in-process runs have it (/dev/null), so `/dev/stdin` means the same to both.
  const { code, signal, stdout, stderr, ms, maxRss, timedOut } = await runMeasured(BIN, cliArgs(c), { cwd: c.projectDir, env: fuzzEnv(), timeoutMs });
  const fail = (why: string): CliRun => ({ verdict: { exit: 'failure', why: `${why}\nstderr: ${stderr.slice(0, 3000)}` }, maxRss, ms, stderr });
  if (timedOut) return fail(`no exit within ${timeoutMs} ms (a hang)`);
  if (code === null) return fail(`killed by ${signal}`);
  if (JS_ERROR_TEXT.test(stderr)) return fail('a stack trace or an internal error on stderr');
  if (stdout) return fail(`config -q printed to stdout: ${stdout.slice(0, 500)}`);
  if (code === 0) return { verdict: { exit: 0 }, maxRss, ms, stderr };
  if (code === 3) {
    if (!/^error: /m.test(stderr)) return fail('exit 3 without an error message');
    return { verdict: { exit: 3, code: '', message: stderr }, maxRss, ms, stderr };
  }
  return fail(`exit ${code}, not 0 or 3`);
}

/** Writes the case's mutated file; returns a function removing it. */
export function writeCase(c: FuzzCase): () => void {
  fs.mkdirSync(path.dirname(c.written.path), { recursive: true });
  fs.writeFileSync(c.written.path, c.written.content);
  return () => fs.rmSync(c.written.path, { force: true });
}
