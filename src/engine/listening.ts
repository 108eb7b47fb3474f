/**
 * Whether anything still listens where the engine is, by a bare connect on a connection of its
 * own. An HTTP client's pooled keep-alive connections go on being answered by an engine that
 * is shutting down (Docker closes its listeners first, then stops the containers, then exits),
 * so an API call can succeed while no new connection can be made: this tells the two apart.
 */
import { connect, type NetConnectOpts } from 'node:net';
import { DEFAULT_SOCKET } from './target.js';

/** Errors that mean "nothing listens there". */
const GONE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);

/** true or false; undefined when a bare connect cannot tell (ssh://, a named pipe, no answer in time). */
export function engineListening(host: string, timeoutMs = 2000): Promise<boolean | undefined> {
  const where = address(host);
  if (!where) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = connect(where);
    const done = (v: boolean | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (e: NodeJS.ErrnoException) => done(GONE.has(e.code ?? '') ? false : undefined));
  });
}

function address(host: string): NetConnectOpts | undefined {
  if (host.startsWith('unix://')) return { path: host.slice(7) || DEFAULT_SOCKET };
  if (host.startsWith('/')) return { path: host };
  if (!/^(tcp|http|https):\/\//.test(host)) return undefined;
  try {
    const url = new URL(host);
    const tls = url.protocol === 'https:' || url.port === '2376';
    return { host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)) };
  } catch {
    return undefined;
  }
}
