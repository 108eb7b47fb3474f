/** Where an engine is, as tug resolved it (connect.ts decides; the client only follows). */

/** Where a local Docker Engine listens when DOCKER_HOST does not say otherwise. */
export const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface EngineTarget {
  /** `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://user@host`... */
  host: string;
  /** Where the choice came from, so that "cannot reach" errors say what to change. */
  source: 'option' | 'env' | 'default';
}
