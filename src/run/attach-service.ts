/**
 * `tug attach`: tug's stdio joined to a running container's own, as `docker attach` does.
 * With a TTY the terminal goes raw and Ctrl-P Ctrl-Q detaches (everything else, Ctrl-C
 * included, is the container's); without one, signals tug receives are passed on to the
 * container, so Ctrl-C stops what it runs. The exit code is the container's when it stops.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Engine } from '../engine/engine.js';
import { ExitCode, InterruptedError, TugError } from '../errors.js';
import type { Project } from '../stack/model.js';
import { runningContainer } from './exec.js';
import { pump, type LocalInput, type LocalStdio } from './stdio.js';
import { onSignals } from '../util/signals.js';

/** Ctrl-P then Ctrl-Q: docker's default detach keys. */
export const DETACH_KEYS = Buffer.from([0x10, 0x11]);

export interface AttachRequest {
  service: string;
  index?: number;
  /** Do not feed tug's stdin to the container. */
  noStdin?: boolean;
  /** Pass SIGINT/SIGTERM on to the container (without a TTY); otherwise they end tug's side only. */
  sigProxy?: boolean;
  signal?: AbortSignal;
}

export class Detached extends TugError {
  constructor() {
    super('detached', 'detached from the container; it goes on running', { exitCode: ExitCode.ok });
  }
}

/**
 * The stdin bytes, less a detach sequence: when the sequence arrives, `onDetach` runs and the
 * keys are not sent on. A lone first key is held back until the next byte shows it is not one.
 */
export function detachFilter(keys: Buffer, onDetach: () => void): Transform {
  let matched = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const out: number[] = [];
      for (const byte of chunk) {
        if (byte === keys[matched]) {
          matched++;
          if (matched === keys.length) {
            onDetach();
            matched = 0;
          }
          continue;
        }
        for (let i = 0; i < matched; i++) out.push(keys[i]!);
        matched = byte === keys[0] ? 1 : 0;
        if (matched === 0) out.push(byte);
      }
      done(null, out.length ? Buffer.from(out) : undefined);
    },
    flush(done: TransformCallback) {
      done(null, matched ? keys.subarray(0, matched) : undefined);
    },
  });
}

/** The container's exit code once it stops; Detached is thrown when the user detaches. */
export async function attachToService(engine: Engine, project: Project, req: AttachRequest, io: LocalStdio): Promise<number> {
  const target = await runningContainer(engine, project, req.service, req.index);
  const config = (await engine.containers.inspect(target.id)).config;
  const tty = config.Tty === true;
  const stdin = !req.noStdin && config.OpenStdin === true;
  const session = await engine.exec.attach(target.id, { stdin, tty });

  const detach = new AbortController();
  const stop = req.signal ? AbortSignal.any([req.signal, detach.signal]) : detach.signal;
  let filter: (Transform & LocalInput) | undefined;
  if (stdin && tty) {
    filter = detachFilter(DETACH_KEYS, () => detach.abort(new Detached()));
    // pump reads the terminal's state from the stream it is given.
    filter.isTTY = io.stdin.isTTY;
    if (io.stdin.setRawMode) filter.setRawMode = (raw: boolean) => io.stdin.setRawMode!(raw);
    io.stdin.pipe(filter);
  }
  // A signal either goes on to the container, or ends tug's side only (exit 130), leaving the
  // terminal restored and the container running.
  const forward = (sig: NodeJS.Signals) => (): void => {
    engine.containers.kill(target.id, sig).catch(() => {});
  };
  const leave = (): void => detach.abort(new InterruptedError());
  const proxies = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, req.sigProxy && !tty ? forward(s) : leave] as const);
  const release = onSignals((s) => proxies.find(([name]) => name === s)?.[1]());
  try {
    return await pump(session, { ...io, stdin: filter ?? io.stdin }, { tty, signal: stop });
  } finally {
    release();
    if (filter) {
      io.stdin.unpipe(filter);
      io.stdin.pause();
    }
  }
}
