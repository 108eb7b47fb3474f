/**
 * `exec`: a command in a running container of a service, its stdio joined to tug's, its exit
 * code tug's own.
 */
import type { Engine } from '../engine/engine.js';
import type { ContainerSummary } from '../plan/observed.js';
import { ServiceFailedError } from '../errors.js';
import type { Project } from '../stack/model.js';
import { pump, type LocalStdio } from './stdio.js';
import { listContainers } from './observe.js';

export interface ExecRequest {
  service: string;
  cmd: string[];
  /** The replica number (`--index`); default the lowest-numbered running one. */
  index?: number;
  env?: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
  tty: boolean;
  /** Start it and return at once, without its output or exit code. */
  detach?: boolean;
  signal?: AbortSignal;
}

/** The exit code of the command; 0 for a detached one, which is only started. */
export async function execInService(engine: Engine, project: Project, req: ExecRequest, io: LocalStdio): Promise<number> {
  const target = await runningContainer(engine, project, req.service, req.index);
  const session = await engine.exec.start(target.id, {
    cmd: req.cmd, env: req.env, user: req.user, workdir: req.workdir, privileged: req.privileged,
    tty: req.tty, stdin: !req.detach, detach: req.detach,
  });
  if (req.detach) return 0;
  return pump(session, io, { tty: req.tty, signal: req.signal });
}

export async function runningContainer(engine: Engine, project: Project, service: string, index?: number): Promise<ContainerSummary> {
  const all = await listContainers(engine, { project: project.name, service, all: true });
  const replicas = all.filter((c) => !c.oneoff && c.service === service).sort((a, b) => a.number - b.number);
  const running = replicas.filter((c) => c.state === 'running');
  const chosen = index === undefined ? running[0] : running.find((c) => c.number === index);
  if (chosen) return chosen;
  if (index !== undefined && replicas.length > 0) {
    const numbers = running.map((c) => c.number).join(', ');
    throw new ServiceFailedError('not_running', `service "${service}" has no running container with index ${index}`,
      numbers ? `running replicas: ${numbers}` : `start it with: tug up -d ${service}`);
  }
  throw new ServiceFailedError('not_running', `service "${service}" is not running`, `start it with: tug up -d ${service}`);
}
