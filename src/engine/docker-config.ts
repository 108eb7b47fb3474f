/**
 * Where the docker CLI keeps its configuration, for both readers of it: the engine's address
 * (contexts, connect.ts) and registry credentials (BuildKit's session). A leaf of its own, so
 * that neither has to import the other.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** $DOCKER_CONFIG, else ~/.docker: where the docker CLI keeps config.json and its contexts. */
export function dockerConfigDir(env: Record<string, string | undefined> = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}
