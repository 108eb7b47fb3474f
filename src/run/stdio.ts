/**
 * Joins a process in a container (an exec, or an attached `run` container) to tug's own
 * stdio for as long as it runs. With a TTY the local terminal goes raw, so that every key,
 * Ctrl-C included, reaches the process rather than tug, and it follows the window's size;
 * the terminal is put back however the session ends.
 */
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { ExecSession } from '../engine/engine.js';

export interface LocalInput extends Readable {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

export interface LocalOutput extends Writable {
  isTTY?: boolean;
  rows?: number;
  columns?: number;
}

export interface LocalStdio {
  stdin: LocalInput;
  stdout: LocalOutput;
  stderr: Writable;
}

export const processStdio = (): LocalStdio => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/** A TTY only makes sense when a person is at both ends, as `docker compose` decides it. */
export function wantsTty(io: LocalStdio, noTty: boolean | undefined): boolean {
  return !noTty && io.stdin.isTTY === true && io.stdout.isTTY === true;
}

export interface PumpOptions {
  tty: boolean;
  /** Ends the session early: the terminal is restored and `signal.reason` thrown. */
  signal?: AbortSignal;
}

/** Copies input and output until the process's output ends; resolves with its exit code. */
export async function pump(session: ExecSession, io: LocalStdio, opts: PumpOptions): Promise<number> {
  const raw = opts.tty && io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  if (raw) io.stdin.setRawMode!(true);
  const follow = opts.tty && io.stdout.isTTY === true;
  // One resize call at a time, the latest size last: `stty rows 40 cols 120` is two SIGWINCHs,
  // and two calls in flight can reach the engine in either order.
  let inFlight = false;
  let pending: { rows: number; cols: number } | undefined;
  const send = (size: { rows: number; cols: number }): void => {
    inFlight = true;
    // The process may have gone already; a size it never gets costs nothing.
    void session.resize(size.rows, size.cols).catch(() => {}).then(() => {
      inFlight = false;
      const next = pending;
      pending = undefined;
      if (next) send(next);
    });
  };
  const resize = (): void => {
    const { rows, columns } = io.stdout;
    if (!rows || !columns) return;
    if (inFlight) pending = { rows, cols: columns };
    else send({ rows, cols: columns });
  };
  if (follow) {
    resize();
    io.stdout.on('resize', resize);
  }
  if (session.stdin) io.stdin.pipe(session.stdin);
  session.stdout.pipe(io.stdout, { end: false });
  session.stderr.pipe(io.stderr, { end: false });
  const ended = Promise.all([finished(session.stdout), finished(session.stderr)]);
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      session.close();
      reject(opts.signal!.reason);
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([ended, aborted]);
    return await Promise.race([session.wait(), aborted]);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
    if (follow) io.stdout.off('resize', resize);
    if (session.stdin) io.stdin.unpipe(session.stdin);
    // A paused stdin no longer holds the event loop open, so tug can exit.
    io.stdin.pause();
    if (raw) io.stdin.setRawMode!(false);
  }
}
