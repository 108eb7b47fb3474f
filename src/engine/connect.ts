/**
 * Which engine tug talks to, decided in one place for the Docker client and for the project
 * lock's key: `DOCKER_HOST` when set, else the system socket, else Docker Desktop's per-user
 * socket. The client itself (dockerode, ~100 ms to import) is loaded on first use only, so
 * verbs such as `config` never pay for it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from './engine.js';
import { DEFAULT_SOCKET, type EngineTarget } from './target.js';

export { DEFAULT_SOCKET, type EngineTarget } from './target.js';

export function resolveHost(opts: { host?: string } = {}, env: Record<string, string | undefined> = process.env): EngineTarget {
  if (opts.host) return { host: opts.host, source: 'option' };
  // `tcp://h:2375/` and `tcp://h:2375` are one engine (and one project lock).
  const fromEnv = env.DOCKER_HOST?.trim().replace(/\/+$/, '');
  if (fromEnv) return { host: fromEnv, source: 'env' };
  const user = join(homedir(), '.docker', 'run', 'docker.sock');
  return { host: `unix://${existsSync(DEFAULT_SOCKET) || !existsSync(user) ? DEFAULT_SOCKET : user}`, source: 'default' };
}

/** Never fails: an unreachable engine shows up on the first call, as EngineUnreachableError. */
export async function connect(opts: { host?: string } = {}): Promise<Engine> {
  const { dockerEngine } = await import('./docker/engine.js');
  return dockerEngine(resolveHost(opts));
}
