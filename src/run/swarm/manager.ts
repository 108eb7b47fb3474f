/**
 * Swarm mode talks to a manager: the engine in DOCKER_HOST must be one. Checked first, with
 * the fix, because every swarm call on another engine fails with a less helpful 503.
 */
import type { Engine } from '../../engine/engine.js';
import { EngineUnreachableError } from '../../errors.js';

export interface Manager {
  apiVersion: string;
  /** This manager's own node, where local containers (exec, cp) can be reached. */
  nodeId?: string;
}

export async function requireManager(engine: Engine): Promise<Manager> {
  const info = await engine.system.info();
  const where = `the engine at ${engine.system.host}`;
  if (info.swarm.state !== 'active') {
    throw new EngineUnreachableError(`${where} is not part of a swarm (swarm state: ${info.swarm.state}), so --swarm has nothing to deploy to`,
      'point DOCKER_HOST at a swarm manager, or make this engine one with: docker swarm init');
  }
  if (!info.swarm.controlAvailable) {
    throw new EngineUnreachableError(`${where} is a swarm worker; only a manager can deploy and list services`,
      'point DOCKER_HOST at a manager (docker node ls on a manager lists them), or promote this node: docker node promote <node>');
  }
  return { apiVersion: info.apiVersion, ...(info.swarm.nodeId ? { nodeId: info.swarm.nodeId } : {}) };
}
