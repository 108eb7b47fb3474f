/**
 * Processes and stdio in the fake engine: an exec answers what the test configured for its
 * command (output, exit code, after a delay), an attach carries the container's own output
 * from then on and ends when the container stops.
 */
import { PassThrough } from 'node:stream';
import type { AttachOptions, ExecOptions, ExecSession } from '../../src/engine/engine.js';
import { sleep } from './util.js';
import { refuse, type FakeContainer, type World } from './world.js';

export interface ExecResult {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** How long the process runs before it prints and exits. */
  delayMs?: number;
}

export interface ExecRun {
  cmd: string[];
  /** The container's name. */
  container: string;
  opts: ExecOptions;
  /** What was written to its stdin (all of it when the rule `readsStdin`). */
  stdin: string;
}

export type ExecAnswer = ExecResult | ((run: ExecRun) => ExecResult);

/** Which commands an `onExec` rule answers: the exact command line, a pattern on it, or a predicate. */
export type ExecMatch = string | RegExp | ((cmd: string[], container: string) => boolean);

/** An exec or attach session as the engine saw it. */
export interface SessionRecord {
  kind: 'exec' | 'attach';
  container: string;
  cmd: string[];
  /** What was written to its stdin so far. */
  stdin: string;
  resizes: [number, number][];
  exitCode?: number;
}

export class Processes {
  readonly rules: { match: ExecMatch; answer: ExecAnswer; readsStdin: boolean }[] = [];
  readonly sessions: SessionRecord[] = [];
  private execs = 0;

  constructor(private readonly world: World) {}

  async exec(c: FakeContainer, opts: ExecOptions): Promise<ExecSession> {
    if (c.state === 'paused') refuse(409, `Container ${c.id} is paused, unpause the container before exec`);
    if (c.state !== 'running') refuse(409, `Container ${c.id} is not running`);
    const record: SessionRecord = { kind: 'exec', container: c.name, cmd: [...opts.cmd], stdin: '', resizes: [] };
    this.sessions.push(record);
    const execID = `exec${++this.execs}`;
    const line = opts.cmd.join(' ');
    this.world.emitContainer(c, `exec_create: ${line}`, { execID });
    this.world.emitContainer(c, `exec_start: ${line}`, { execID });
    const rule = [...this.rules].reverse().find((r) => matches(r.match, opts.cmd, c.name));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const stdin = new PassThrough();
    stdin.on('data', (d: Buffer) => (record.stdin += d.toString()));
    const stdinEnded = new Promise<void>((resolve) => stdin.on('end', resolve).on('close', resolve));
    let closed = false;
    const finished = (async (): Promise<number> => {
      if (rule?.readsStdin && opts.stdin && !opts.detach) await stdinEnded;
      const answer = rule?.answer ?? {};
      const r = typeof answer === 'function' ? answer({ cmd: opts.cmd, container: c.name, opts, stdin: record.stdin }) : answer;
      if (r.delayMs) await sleep(r.delayMs);
      if (!opts.detach && !closed) {
        if (opts.tty) stdout.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
        else {
          if (r.stdout) stdout.write(r.stdout);
          if (r.stderr) stderr.write(r.stderr);
        }
      }
      stdout.end();
      stderr.end();
      const code = r.exitCode ?? 0;
      record.exitCode = code;
      if (!c.removed) this.world.emitContainer(c, 'exec_die', { execID, exitCode: String(code) });
      return code;
    })();
    if (opts.detach) {
      stdout.resume();
      stderr.resume();
    }
    return {
      stream: stdin,
      ...(opts.stdin && !opts.detach ? { stdin } : {}),
      stdout,
      stderr,
      resize: async (rows, cols) => void record.resizes.push([rows, cols]),
      wait: () => finished,
      close: () => {
        closed = true;
        stdin.end();
      },
    };
  }

  attach(c: FakeContainer, opts: AttachOptions): ExecSession {
    const record: SessionRecord = { kind: 'attach', container: c.name, cmd: [], stdin: '', resizes: [] };
    this.sessions.push(record);
    const a = this.world.attach(c, opts.tty);
    const stdin = new PassThrough();
    stdin.on('data', (d: Buffer) => (record.stdin += d.toString()));
    stdin.resume();
    return {
      stream: stdin,
      ...(opts.stdin ? { stdin } : {}),
      stdout: a.stdout,
      stderr: a.stderr,
      resize: async (rows, cols) => void record.resizes.push([rows, cols]),
      wait: async () => {
        await a.done;
        const code = await this.world.waitContainer(c);
        record.exitCode = code;
        return code;
      },
      close: () => a.end(),
    };
  }
}

function matches(m: ExecMatch, cmd: string[], container: string): boolean {
  const line = cmd.join(' ');
  if (typeof m === 'string') return line === m;
  if (m instanceof RegExp) return m.test(line);
  return m(cmd, container);
}
