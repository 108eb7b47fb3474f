/**
 * The connection to one engine: lazy API version negotiation, and the two ways of calling it
 * (a dockerode method, or a raw modem request) with failures turned into TugErrors.
 *
 * Connecting is lazy: the first call asks `/_ping` once (its `Api-Version` header; `/version`
 * only when the header is absent) and pins every later request to min(server API, MAX_API), so
 * a newer client never sends fields an older engine rejects. `/_ping` answers at once on every
 * engine, where Podman takes 0.4-2 s over `/version`.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { EngineUnreachableError, TugError } from '../../errors.js';
import { EngineApiError } from '../api-error.js';
import { wrapError } from './errors.js';
import { readApiVersion, readPing, type EngineFlavour } from './map.js';
import { compareApi } from '../api-version.js';
import { DEFAULT_SOCKET, type EngineTarget } from '../target.js';

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
    let base: ModemOptions;
    try {
      base = modemOptions(this.target);
      new Docker(base); // the modem re-reads DOCKER_HOST itself and throws if it cannot parse it
    } catch (e) {
      throw new EngineUnreachableError(`cannot use Docker host ${this.target}: ${(e as Error).message}`, this.hint(), e);
    }
    const probe = new Docker(base);
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
    return { docker: new Docker({ ...base, version: `v${api}` }), api, flavour: ping.flavour };
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
    let res: IncomingMessage;
    try {
      res = await this.dial<IncomingMessage>(what, { ...o, isStream: true, abortSignal: signal });
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    const stop = (): void => void res.destroy();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (signal?.aborted) return;
        yield chunk;
      }
    } catch (e) {
      if (signal?.aborted) return;
      throw this.wrap(e, what);
    } finally {
      signal?.removeEventListener('abort', stop);
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
    return wrapError(e, what, this.target, this.hint());
  }

  hint(): string {
    return this.where.source === 'env'
      ? `is the engine running? DOCKER_HOST is set to ${this.target}`
      : `is the engine running and is its socket readable? Set DOCKER_HOST (e.g. unix:///var/run/docker.sock or tcp://host:2375) to use another one`;
  }
}

function modemOptions(target: string): ModemOptions {
  // Every key is given so the modem's own DOCKER_HOST defaults cannot leak into an explicit host.
  const o: ModemOptions = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined,
    pathPrefix: '/', ca: undefined, cert: undefined, key: undefined, username: undefined, timeout: undefined };
  if (target.startsWith('unix://')) return { ...o, socketPath: target.slice(7) || DEFAULT_SOCKET };
  if (target.startsWith('npipe://')) return { ...o, socketPath: target.slice(8) || '//./pipe/docker_engine' };
  if (target.startsWith('/')) return { ...o, socketPath: target };
  const url = new URL(target.includes('://') ? target : `tcp://${target}`);
  if (url.protocol === 'ssh:') {
    return { ...o, protocol: 'ssh', host: url.hostname, port: url.port || '22', username: decodeURIComponent(url.username) || undefined,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK } };
  }
  if (!['tcp:', 'http:', 'https:'].includes(url.protocol)) throw new Error(`unsupported scheme ${url.protocol}`);
  const certDir = process.env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const tls = url.protocol === 'https:' || (process.env.DOCKER_TLS_VERIFY ?? '') !== '' || url.port === '2376';
  const out: ModemOptions = { ...o, host: url.hostname, port: url.port || (tls ? '2376' : '2375'), protocol: tls ? 'https' : 'http' };
  if (tls) {
    for (const k of ['ca', 'cert', 'key'] as const) {
      const file = join(certDir, `${k}.pem`);
      if (existsSync(file)) out[k] = readFileSync(file);
    }
  }
  return out;
}
