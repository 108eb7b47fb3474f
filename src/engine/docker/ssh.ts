/**
 * `ssh://[user@]host[:port][/path/to/docker.sock]` engines, reached the way the docker CLI
 * reaches them (docker/cli's cli/connhelper): each connection is the system's `ssh` running
 * `docker system dial-stdio` on the remote host, which joins its stdin/stdout to the remote
 * engine's socket; HTTP goes over that pipe.
 *
 * Going through OpenSSH rather than an in-process SSH library (docker-modem's ssh2 path) means
 * the user's own ssh set-up applies unchanged: host keys are checked against ~/.ssh/known_hosts
 * (ssh2 there accepts any host key), keys come from ssh-agent or ~/.ssh/id_* or IdentityFile,
 * and ~/.ssh/config's Host aliases, User, Port, ProxyJump and ControlMaster all work. Like the
 * docker CLI, ssh runs in a session of its own (no terminal), so it never prompts: an unknown
 * host key or a key that needs a passphrase fails, with ssh's own words in the error.
 *
 * Connections are kept alive and reused (one ssh process each); at most a few are being set up
 * at once, since sshd drops connections beyond its MaxStartups (10 by default) while they
 * authenticate.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Agent } from 'node:http';
import { Duplex } from 'node:stream';

export interface SshSpec {
  user?: string;
  host: string;
  port?: string;
  /** The engine's socket on the remote host, from the URL's path; else the remote docker CLI's default. */
  socket?: string;
}

/** ssh:// URL to spec, with the docker CLI's refusals (password, query, fragment). */
export function parseSshUrl(target: string): SshSpec {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`invalid SSH URL ${target}`);
  }
  if (url.protocol !== 'ssh:') throw new Error(`invalid SSH URL ${target}: the scheme is not ssh`);
  if (url.password) throw new Error('invalid SSH URL: a plain-text password is not supported (use ssh-agent or a key)');
  if (url.search) throw new Error(`invalid SSH URL: query parameters are not allowed (${url.search})`);
  if (url.hash) throw new Error(`invalid SSH URL: fragments are not allowed (${url.hash})`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error('invalid SSH URL: the host name is empty');
  const user = decodeURIComponent(url.username);
  // Never an option to ssh: a host or user beginning with "-" is refused, whatever ssh would make of it.
  for (const [what, v] of [['host', host], ['user', user]] as const) {
    if (v.startsWith('-') || /[\s\0]/.test(v)) throw new Error(`invalid SSH URL: ${what} ${JSON.stringify(v)} is not allowed`);
  }
  const path = decodeURIComponent(url.pathname);
  let socket: string | undefined;
  if (path.replace(/\/+/g, '') !== '') {
    // Becomes part of the remote command line: a plain path only.
    if (!/^\/[A-Za-z0-9._/@+-]+$/.test(path)) throw new Error(`invalid SSH URL: the socket path ${JSON.stringify(path)} has characters tug does not pass to a remote shell`);
    socket = path;
  }
  return { user: user || undefined, host, port: url.port || undefined, socket };
}

/** The ssh command line the docker CLI uses: `ssh -o ConnectTimeout=30 -T [-l user] [-p port] -- host docker system dial-stdio`. */
export function sshArgs(spec: SshSpec): string[] {
  const remote = spec.socket ? `docker --host=unix://${spec.socket} system dial-stdio` : 'docker system dial-stdio';
  return [
    ...(spec.user ? ['-l', spec.user] : []),
    ...(spec.port ? ['-p', spec.port] : []),
    '-o', 'ConnectTimeout=30', '-T',
    '--', spec.host, remote,
  ];
}

/** An HTTP agent whose every connection is `ssh ... docker system dial-stdio`. */
export function sshAgent(spec: SshSpec, command = 'ssh'): Agent {
  const args = sshArgs(spec);
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 8 });
  // Node's http calls createConnection with (options, callback); returning the socket is enough.
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () => new CommandConnection(command, args);
  return agent;
}

/** ssh's failure, with what it printed: the client turns it into "cannot reach" with a hint. */
export class SshError extends Error {
  readonly code = 'ESSH';
  constructor(readonly command: string[], readonly exitCode: number | null, readonly stderr: string) {
    const said = stderr.trim().split('\n').filter((l) => !/^Warning: Permanently added/.test(l)).slice(-3).join(' / ');
    super(`${command[0]} exited with ${exitCode === null ? 'a signal' : `code ${exitCode}`}${said ? `: ${said}` : ''}`);
    this.name = 'SshError';
  }
}

// ---- at most MAX_CONNECTING ssh processes between spawn and their first answer

const MAX_CONNECTING = 4;
const CONNECT_SLOT_MS = 10_000;
let connecting = 0;
const waiting: (() => void)[] = [];

function takeSlot(): Promise<() => void> {
  return new Promise((resolve) => {
    const grant = () => {
      connecting++;
      let held = true;
      resolve(() => {
        if (!held) return;
        held = false;
        connecting--;
        waiting.shift()?.();
      });
    };
    if (connecting < MAX_CONNECTING) grant();
    else waiting.push(grant);
  });
}

/** Live ssh processes, ended when tug exits (they run in sessions of their own). */
const live = new Set<ChildProcessWithoutNullStreams>();
let exitHook = false;

/** A command's stdin and stdout as one socket-like stream, as docker/cli's commandconn. */
class CommandConnection extends Duplex {
  private child?: ChildProcessWithoutNullStreams;
  private release?: () => void;
  private stderr = '';
  private exited = false;
  private referenced = true;
  /** A write, or the end of writing, that came before the process was started. */
  private queued?: () => void;
  timeout = 0;
  private idle?: NodeJS.Timeout;

  constructor(private readonly file: string, private readonly args: string[]) {
    super({ allowHalfOpen: false });
    void takeSlot().then((release) => {
      if (this.destroyed) return release();
      this.release = release;
      this.start();
    });
  }

  private start(): void {
    const child = spawn(this.file, this.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    live.add(child);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => live.forEach((c) => c.kill('SIGTERM')));
    }
    const slotTimer = setTimeout(() => this.release?.(), CONNECT_SLOT_MS);
    slotTimer.unref();
    child.stdout.on('data', (d: Buffer) => {
      this.release?.();
      this.touch();
      if (!this.push(d)) child.stdout.pause();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 8192) this.stderr += d.toString();
    });
    // A write to an ssh that has died fails with EPIPE; its exit, below, says why.
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      this.release?.();
      this.destroy(e);
    });
    child.on('close', (code) => {
      clearTimeout(slotTimer);
      this.release?.();
      this.exited = true;
      live.delete(child);
      if (this.destroyed) return;
      if (code === 0) this.push(null);
      else this.destroy(new SshError([this.file, ...this.args], code, this.stderr));
    });
    if (!this.referenced) this.unref();
    const q = this.queued;
    this.queued = undefined;
    q?.();
  }

  override _read(): void {
    this.child?.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    if (!this.child) {
      this.queued = () => this._write(chunk, _enc, done);
      return;
    }
    this.touch();
    if (this.child.stdin.destroyed) return done();
    this.child.stdin.write(chunk, () => done());
  }

  override _final(done: (e?: Error | null) => void): void {
    if (!this.child) {
      this.queued = () => this._final(done);
      return;
    }
    this.child.stdin.end();
    done();
  }

  override _destroy(err: Error | null, done: (e: Error | null) => void): void {
    clearTimeout(this.idle);
    this.release?.();
    if (this.child && !this.exited) this.child.kill('SIGTERM');
    done(err);
  }

  // What Node's http client and agent call on a socket.
  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback) this.once('timeout', callback);
    this.touch();
    return this;
  }

  private touch(): void {
    clearTimeout(this.idle);
    if (this.timeout > 0) {
      this.idle = setTimeout(() => this.emit('timeout'), this.timeout);
      if (!this.referenced) this.idle.unref();
    }
  }

  ref(): this {
    this.referenced = true;
    const c = this.child;
    if (c) for (const x of [c, c.stdin, c.stdout, c.stderr] as { ref?: () => void }[]) x.ref?.();
    this.idle?.ref();
    return this;
  }

  unref(): this {
    this.referenced = false;
    const c = this.child;
    if (c) for (const x of [c, c.stdin, c.stdout, c.stderr] as { unref?: () => void }[]) x.unref?.();
    this.idle?.unref();
    return this;
  }
}
