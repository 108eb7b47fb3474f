/**
 * Interactive I/O with processes in containers: `exec`, and `attach` to a container's own
 * stdio. Both hijack the HTTP connection, after which it carries stdin one way and the
 * output the other (raw bytes with a TTY, 8-byte-header frames without).
 */
import type { Socket } from 'node:net';
import { PassThrough, type Duplex, type Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TugError } from '../../errors.js';
import type { DockerClient } from './client.js';
import { readExecCreated, readExecState, readWait } from './map.js';
import { demux, type Frame } from './streams.js';
import type { AttachOptions, ExecOptions, ExecSession } from '../types.js';

/** Exec inspect right after the output ends may still say Running; this bounds the re-asking. */
const EXIT_POLL_MAX_MS = 250;

export async function startExec(client: DockerClient, container: string, opts: ExecOptions): Promise<ExecSession> {
  const what = `running ${JSON.stringify(opts.cmd.join(' '))} in container ${container}`;
  const attach = !opts.detach;
  const body: Record<string, unknown> = {
    Cmd: opts.cmd, Tty: opts.tty, AttachStdin: attach && opts.stdin, AttachStdout: attach, AttachStderr: attach,
    Privileged: opts.privileged ?? false,
  };
  if (opts.env?.length) body.Env = opts.env;
  if (opts.user) body.User = opts.user;
  if (opts.workdir) body.WorkingDir = opts.workdir;
  const created = readExecCreated(await client.dial(what, {
    path: `/containers/${encodeURIComponent(container)}/exec?`, method: 'POST', options: { _query: {}, _body: body },
    statusCodes: { 200: true, 201: true },
  }));
  const id = created.id;
  const path = `/exec/${encodeURIComponent(id)}`;
  const resize = (rows: number, cols: number): Promise<void> => resizeTty(client, `${path}/resize?`, `resizing the exec in ${container}`, rows, cols);
  const exitCode = async (): Promise<number> => {
    for (let wait = 10; ; wait = Math.min(wait * 2, EXIT_POLL_MAX_MS)) {
      const r = readExecState(await client.dial(`inspecting the exec in ${container}`, { path: `${path}/json`, method: 'GET', statusCodes: { 200: true } }));
      if (!r.running) return r.exitCode;
      await sleep(wait);
    }
  };
  const start = { _query: {}, _body: { Detach: !attach, Tty: opts.tty } };
  if (!attach) {
    await client.dial(what, { path: `${path}/start?`, method: 'POST', options: start, statusCodes: { 200: true, 204: true } });
    return detachedSession(resize, exitCode);
  }
  const sock: Socket = await client.dial(what, {
    path: `${path}/start?`, method: 'POST', options: start, isStream: true, hijack: true, statusCodes: { 101: true, 200: true },
  });
  return session(client, what, sock, { tty: opts.tty, stdin: opts.stdin }, resize, exitCode);
}

export async function attachContainer(client: DockerClient, container: string, opts: AttachOptions): Promise<ExecSession> {
  const what = `attaching to container ${container}`;
  const sock: Socket = await client.dial(what, {
    path: `/containers/${encodeURIComponent(container)}/attach?`, method: 'POST',
    options: { _query: { stream: true, stdin: opts.stdin, stdout: true, stderr: true } },
    // An empty body, sent at once: the engine takes whatever follows the request as stdin,
    // so neither a JSON body nor a chunked terminator may travel after the headers.
    file: Buffer.alloc(0), headers: { 'Content-Type': 'text/plain' },
    isStream: true, hijack: true, statusCodes: { 101: true, 200: true },
  });
  const resize = (rows: number, cols: number): Promise<void> => resizeContainer(client, container, rows, cols);
  const exitCode = async (): Promise<number> => {
    const { docker } = await client.get();
    const r = readWait(await client.call(`waiting for container ${container}`, () => docker.getContainer(container).wait()));
    if (r.error) throw new TugError('engine_error', `waiting for container ${container}: ${r.error}`);
    return r.statusCode;
  };
  return session(client, what, sock, opts, resize, exitCode);
}

export function resizeContainer(client: DockerClient, container: string, rows: number, cols: number): Promise<void> {
  return resizeTty(client, `/containers/${encodeURIComponent(container)}/resize?`, `resizing container ${container}`, rows, cols);
}

async function resizeTty(client: DockerClient, path: string, what: string, rows: number, cols: number): Promise<void> {
  await client.dial(what, {
    path, method: 'POST', options: { _query: { h: Math.max(1, Math.round(rows)), w: Math.max(1, Math.round(cols)) }, _body: {} },
    statusCodes: { 200: true, 201: true },
  });
}

function session(
  client: DockerClient, what: string, sock: Duplex, opts: { tty: boolean; stdin: boolean },
  resize: ExecSession['resize'], exitCode: () => Promise<number>,
): ExecSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let closing = false;
  // Failures reach the caller through wait(); a stdin write after the end must not crash.
  sock.on('error', () => {});
  const frames: AsyncIterable<Frame> = opts.tty ? raw(sock) : demux(sock);
  // Settles with the failure rather than rejecting, so that a caller who never asks for the
  // exit code does not get an unhandled rejection.
  const output = (async (): Promise<Error | undefined> => {
    try {
      for await (const [which, payload] of frames) await deliver(which === 'stderr' ? stderr : stdout, payload);
      return undefined;
    } catch (e) {
      return closing ? undefined : client.wrap(e, what);
    } finally {
      stdout.end();
      stderr.end();
    }
  })();
  return {
    stream: sock,
    ...(opts.stdin ? { stdin: sock as Writable } : {}),
    stdout,
    stderr,
    resize,
    wait: async () => {
      const failure = await output;
      if (failure) throw failure;
      return exitCode();
    },
    close: () => {
      closing = true;
      sock.destroy();
    },
  };
}

function detachedSession(resize: ExecSession['resize'], exitCode: () => Promise<number>): ExecSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.end();
  stderr.end();
  const stream = new PassThrough();
  stream.end();
  return { stream, stdout, stderr, resize, wait: exitCode, close: () => void stream.destroy() };
}

async function* raw(stream: AsyncIterable<Buffer>): AsyncGenerator<Frame> {
  for await (const chunk of stream) yield ['stdout', chunk] as const;
}

/** Writes with backpressure; a reader that went away (destroyed its end) just stops receiving. */
async function deliver(out: PassThrough, payload: Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) return;
  if (out.write(payload)) return;
  await new Promise<void>((done) => {
    const settle = (): void => {
      out.off('drain', settle);
      out.off('close', settle);
      done();
    };
    out.on('drain', settle);
    out.on('close', settle);
  });
}
