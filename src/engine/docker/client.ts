/**
 * The connection to one engine: lazy API version negotiation, and the two ways of calling it
 * (a dockerode method, or a raw modem request) with failures turned into TugErrors.
 *
 * Connecting is lazy: the first call asks `/_ping` once (its `Api-Version` header; `/version`
 * only when the header is absent) and pins every later request to min(server API, MAX_API), so
 * a newer client never sends fields an older engine rejects. `/_ping` answers at once on every
 * engine, where Podman takes 0.4-2 s over `/version`.
 *
 * How to reach the engine follows the target connect.ts resolved: a socket, HTTP or HTTPS over
 * TCP (TLS files and verification from the target), or HTTP over the system's ssh (ssh.ts). A
 * target that carries a problem (unknown context, plain TCP to another machine...) fails here.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Docker from 'dockerode';
import { EngineUnreachableError, TugError } from '../../errors.js';
import { EngineApiError } from '../api-error.js';
import { wrapError } from './errors.js';
import { readApiVersion, readPing, type EngineFlavour } from './map.js';
import { compareApi } from '../api-version.js';
import { DEFAULT_SOCKET, type EngineTarget } from '../target.js';
import { parseSshUrl, sshAgent, SshError } from './ssh.js';
import { childSignal } from '../../util/abortable.js';

/** The newest API tug is written against; newer engines are spoken to at this level. */
export const MAX_API = '1.47';
/** Only for the first request: a silent engine should fail fast, not hang the CLI. */
const NEGOTIATE_TIMEOUT_MS = 20_000;

type ModemOptions = Docker.DockerOptions & Record<string, unknown>;
export type DialOptions = Parameters<Docker['modem']['dial']>[0];

/** A negotiated connection: the client pinned to `api`, and which engine answers. */
export interface Connection {
  docker: Docker;
  api: string;
  flavour: EngineFlavour;
}

export class DockerClient {
  private ready?: Promise<Connection>;

  readonly target: string;

  constructor(private readonly where: EngineTarget) {
    this.target = where.host;
  }

  get(): Promise<Connection> {
    this.ready ??= this.negotiate().catch((e: unknown) => {
      this.ready = undefined; // let a later call retry, e.g. once the engine is up
      throw e;
    });
    return this.ready;
  }

  private async negotiate(): Promise<Connection> {
    if (this.where.problem) throw new EngineUnreachableError(this.where.problem.message, this.where.problem.hint);
    let base: ModemOptions;
    let probe: Docker;
    try {
      base = modemOptions(this.where);
      probe = newDocker(base);
    } catch (e) {
      throw new EngineUnreachableError(`cannot use Docker host ${this.target}: ${(e as Error).message}`, this.hint(), e);
    }
    const ping = await this.ping(probe);
    let server = ping.api;
    if (server === undefined) {
      // An engine whose ping carries no version (or no ping at all) still reports it in /version.
      const version = probe.version.bind(probe) as (o: object) => Promise<unknown>; // the typings lack abortSignal
      server = readApiVersion(await this.call('asking the engine for its version', () =>
        version({ abortSignal: AbortSignal.timeout(NEGOTIATE_TIMEOUT_MS) })));
    }
    if (server === undefined) {
      throw new TugError('engine_error', `the engine at ${this.target} reported no usable API version`);
    }
    const api = compareApi(server, MAX_API) < 0 ? server : MAX_API;
    return { docker: newDocker({ ...base, version: `v${api}` }), api, flavour: ping.flavour };
  }

  /**
   * `GET /_ping`'s headers. An engine that cannot be reached fails here; one that answers the
   * ping with an error status is read as saying nothing, and `/version` is asked instead.
   */
  private async ping(probe: Docker): Promise<ReturnType<typeof readPing>> {
    let res: IncomingMessage;
    try {
      res = await new Promise<IncomingMessage>((done, fail) => {
        probe.modem.dial({
          path: '/_ping', method: 'GET', isStream: true, statusCodes: { 200: true }, options: {},
          abortSignal: AbortSignal.timeout(NEGOTIATE_TIMEOUT_MS),
        } as DialOptions, (err: unknown, data: unknown) => (err ? fail(err) : done(data as IncomingMessage)));
      });
    } catch (e) {
      if (typeof (e as { statusCode?: unknown } | undefined)?.statusCode === 'number') return readPing({});
      throw this.wrap(e, 'pinging the engine');
    }
    res.resume(); // the body is "OK"; only the headers matter
    return readPing(res.headers);
  }

  /** Runs one dockerode call, turning its failures into TugErrors. */
  async call<T>(what: string, fn: () => Promise<T>, okStatus: number[] = []): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (okStatus.includes((e as { statusCode?: number } | undefined)?.statusCode ?? 0)) return undefined as T;
      throw this.wrap(e, what);
    }
  }

  /** A raw request, for the endpoints where dockerode's query/body handling gets in the way. */
  async dial<T>(what: string, o: DialOptions): Promise<T> {
    const { docker } = await this.get();
    return this.call(what, () => new Promise<T>((done, fail) => {
      docker.modem.dial(o, (err: unknown, data: unknown) => (err ? fail(err) : done(data as T)));
    }));
  }

  /**
   * A streamed answer (logs) as its chunks, ending quietly when `signal` aborts (before or
   * during the request) and with a TugError when the connection fails; the response is
   * always destroyed, so no socket is left open.
   */
  async *chunks(what: string, o: DialOptions, signal?: AbortSignal): AsyncGenerator<Buffer> {
    if (signal?.aborted) return;
    // Its own signal: one stream per container followed all hang off the command's one signal.
    const own = signal ? childSignal(signal) : undefined;
    let res: IncomingMessage;
    try {
      res = await this.dial<IncomingMessage>(what, { ...o, isStream: true, abortSignal: own?.signal });
    } catch (e) {
      own?.release();
      if (signal?.aborted) return;
      throw e;
    }
    const stop = (): void => void res.destroy();
    own?.signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (signal?.aborted) return;
        yield chunk;
      }
    } catch (e) {
      if (signal?.aborted) return;
      throw this.wrap(e, what);
    } finally {
      own?.signal.removeEventListener('abort', stop);
      own?.release();
      res.destroy();
    }
  }

  async orMissing<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof EngineApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  wrap(e: unknown, what: string): Error {
    return remoteFailure(e, this.where) ?? wrapError(e, what, this.target, this.hint());
  }

  hint(): string {
    const w = this.where;
    if (w.source === 'context') return `is the engine running? The Docker context "${w.context!.name}" (${w.context!.from}) points at ${this.target}`;
    if (w.source === 'option') return `is the engine running? --host names ${this.target}`;
    return w.source === 'env'
      ? `is the engine running? DOCKER_HOST is set to ${this.target}`
      : `is the engine running and is its socket readable? Set DOCKER_HOST (e.g. unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host) or use a Docker context to talk to another one`;
  }
}

/**
 * Failures of the remote transports, which say more than "cannot reach": ssh's own complaint
 * (host key, login, no docker there) and TLS verification either way.
 */
function remoteFailure(e: unknown, where: EngineTarget): EngineUnreachableError | undefined {
  if (e instanceof SshError) {
    const said = e.stderr;
    const host = e.command.at(-2) ?? where.host;
    const spec = (() => {
      try {
        return parseSshUrl(where.host);
      } catch {
        return undefined;
      }
    })();
    const login = spec ? `ssh ${spec.port ? `-p ${spec.port} ` : ''}${spec.user ? `${spec.user}@` : ''}${spec.host}` : `ssh ${host}`;
    let hint: string;
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* not known|No .* host key is known/i.test(said)) {
      hint = `ssh does not know ${host}'s host key (or it changed): check the key's fingerprint with the host's admin, then add it to ~/.ssh/known_hosts (e.g. by answering yes to ${login} once); tug, like the docker CLI, never accepts an unknown host key`;
    } else if (/Permission denied|Too many authentication failures/i.test(said)) {
      hint = `ssh could not log in to ${host}: load the key into ssh-agent (ssh-add) or name it in ~/.ssh/config (IdentityFile), and check the user in the URL`;
    } else if (/docker: (command )?not found|command not found/i.test(said)) {
      hint = `the docker CLI must be installed on ${host}: tug runs "docker system dial-stdio" there, as the docker CLI does`;
    } else if (/Cannot connect to the Docker daemon|docker\.sock/i.test(said)) {
      hint = `ssh worked, but the engine on ${host} did not answer: is dockerd running there, and may this user use its socket?`;
    } else {
      hint = `is sshd running on ${host}, and does "${login} docker system dial-stdio" work from here? tug runs, as the docker CLI does: ${e.command.join(' ')}`;
    }
    return new EngineUnreachableError(`cannot reach the Docker engine at ${where.host} over ssh: ${e.message}`, hint, e);
  }
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'ENOENT' && (e as { syscall?: string }).syscall === 'spawn ssh') {
    return new EngineUnreachableError(`cannot reach the Docker engine at ${where.host}: there is no ssh command here`, 'install an OpenSSH client (e.g. apt-get install openssh-client)', e);
  }
  const certDir = where.source === 'context' ? `the Docker context "${where.context!.name}"'s TLS material (docker context inspect ${where.context!.name})` : 'DOCKER_CERT_PATH (or ~/.docker)';
  // The engine's certificate failed our check.
  if (/^(UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|CERT_|ERR_TLS_CERT_ALTNAME)/.test(code)) {
    return new EngineUnreachableError(`the Docker engine at ${where.host} presented a certificate tug does not trust: ${(e as Error).message} (${code})`,
      `ca.pem in ${certDir} must be the CA that signed the engine's certificate, and that certificate must name the host as written in the address`, e);
  }
  // The engine refused ours, or does not speak TLS.
  if (code.startsWith('ERR_SSL_')) {
    const wrongVersion = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/.test(code);
    // OpenSSL's text names its source files; the alert (or the code) is what a person can use.
    const alert = /alert ([a-z ]+?)(?::|$)/i.exec((e as Error).message ?? '')?.[1];
    return new EngineUnreachableError(`TLS with the Docker engine at ${where.host} failed: ${alert ? `the engine answered "${alert}"` : code.slice(8).toLowerCase().replace(/_/g, ' ')} (${code})`,
      wrongVersion
        ? `the engine there does not speak TLS on that port: use its TLS port (usually 2376), or unset DOCKER_TLS_VERIFY for a plain one`
        : `the engine refused tug's client certificate: cert.pem and key.pem in ${certDir} must be signed by the CA the engine trusts (dockerd --tlscacert)`, e);
  }
  return undefined;
}

/**
 * dockerode's modem reads DOCKER_HOST when it is made, and with a tcp:// one the files in
 * DOCKER_CERT_PATH, failing on a missing cert.pem (or an unparsable DOCKER_HOST) although every
 * option it would derive is given here. connect.ts has already read the environment, so the
 * modem is made without DOCKER_HOST.
 */
function newDocker(opts: ModemOptions): Docker {
  const host = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  try {
    return new Docker(opts);
  } finally {
    if (host !== undefined) process.env.DOCKER_HOST = host;
  }
}

/** dockerode's options for the target: a socket, TLS or plain HTTP over TCP, or HTTP over ssh. */
function modemOptions(where: EngineTarget): ModemOptions {
  const target = where.host;
  // Every key is given so the modem's own DOCKER_HOST defaults cannot leak into an explicit host.
  const o: ModemOptions = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, agent: undefined,
    pathPrefix: '/', ca: undefined, cert: undefined, key: undefined, username: undefined, timeout: undefined };
  if (target.startsWith('unix://')) return { ...o, socketPath: target.slice(7) || DEFAULT_SOCKET };
  if (target.startsWith('npipe://')) return { ...o, socketPath: target.slice(8) || '//./pipe/docker_engine' };
  if (target.startsWith('/')) return { ...o, socketPath: target };
  const url = new URL(target.includes('://') ? target : `tcp://${target}`);
  if (url.protocol === 'ssh:') {
    // The host name only appears in the Host header, which dial-stdio passes to the socket unread.
    return { ...o, protocol: 'http', host: 'docker', agent: sshAgent(parseSshUrl(target)) };
  }
  if (!['tcp:', 'http:', 'https:'].includes(url.protocol)) throw new Error(`unsupported scheme ${url.protocol}`);
  const tls = where.tls;
  const out: ModemOptions = { ...o, host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || (tls ? '2376' : '2375'), protocol: tls ? 'https' : 'http' };
  if (tls) {
    const pem = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
    out.agent = new HttpsAgent({ keepAlive: true, ca: pem(tls.ca), cert: pem(tls.cert), key: pem(tls.key), rejectUnauthorized: tls.verify });
  }
  return out;
}
