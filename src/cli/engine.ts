/**
 * The engine, loaded on first use: dockerode costs ~100 ms to import, and verbs such as
 * `config` never need it.
 */
import type { Engine } from '../engine/engine.js';

export async function connectEngine(): Promise<Engine> {
  const { DockerEngine } = await import('../engine/docker.js');
  return DockerEngine.connect();
}
