/** Where an engine is, as tug resolved it (connect.ts decides; the client only follows). */

/** Where a local Docker Engine listens when DOCKER_HOST does not say otherwise. */
export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** TLS for a tcp:// engine: files to read (PEM), and whether the engine's certificate is checked. */
export interface TlsFiles {
  /** false: encrypted, but any certificate is accepted (DOCKER_TLS without DOCKER_TLS_VERIFY, a context's SkipTLSVerify). */
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

export interface EngineTarget {
  /** `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://user@host`... */
  host: string;
  /**
   * Where the choice came from, so that "cannot reach" errors say what to change: `--host`,
   * DOCKER_HOST, a Docker context, or the default socket.
   */
  source: 'option' | 'env' | 'context' | 'default';
  /** The Docker context the host was read from, and what named that context. */
  context?: { name: string; from: '--context' | 'DOCKER_CONTEXT' | 'currentContext' };
  /** For tcp:// only: how to speak TLS; absent means plain HTTP. */
  tls?: TlsFiles;
  /**
   * Set when this engine cannot be used as resolved (an unknown context, TLS asked for without
   * its files, plain tcp:// to another machine without --insecure): the first call fails with it,
   * exit code 4, so that resolving never throws.
   */
  problem?: { message: string; hint: string };
}

/** An address on this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1' || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Whether the engine runs on another machine, so that paths in bind mounts name files there:
 * tcp:// and ssh:// to anything but a loopback address. Sockets and pipes are local.
 */
export function isRemoteHost(host: string): boolean {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(host);
  if (!m) return false;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'tcp' && scheme !== 'ssh' && scheme !== 'http' && scheme !== 'https') return false;
  return !isLoopback(m[2]!);
}
