/**
 * Whether a verb runs against a swarm: `--swarm`, `TUG_SWARM=1`, or `x-tug: {mode: swarm}` in
 * the stack file, in that order of precedence (`x-tug.mode: local` in a file is overridden by
 * the flag). Verbs with no swarm meaning refuse with the reason instead of acting on the
 * manager's own containers as if they were the stack.
 */
import { UsageError } from '../errors.js';
import type { Project } from '../stack/model.js';
import { tugSettings } from '../stack/x-tug.js';

export interface SwarmArgs {
  swarm?: boolean;
}

/** Before loading: the flag or the environment ask for swarm mode. */
export function swarmRequested(args: SwarmArgs, env: Record<string, string | undefined> = process.env): boolean {
  return args.swarm === true || env.TUG_SWARM === '1' || env.TUG_SWARM === 'true';
}

/** After loading: the file may ask for it too. */
export function isSwarm(args: SwarmArgs, project: Project, env: Record<string, string | undefined> = process.env): boolean {
  return swarmRequested(args, env) || tugSettings(project).mode === 'swarm';
}

/** `--registry`, else `x-tug.registry`. */
export function registryOf(flag: string | undefined, project: Project): string | undefined {
  return flag ?? tugSettings(project).registry;
}

const WHY: Record<string, string> = {
  exec: 'a swarm task runs on whichever node the scheduler chose; exec into it with docker on that node (tug --swarm ps shows where)',
  attach: 'a swarm task runs on whichever node the scheduler chose; follow its output with: tug --swarm logs -f SERVICE',
  cp: 'a swarm task runs on whichever node the scheduler chose; copy with docker cp on that node (tug --swarm ps shows where)',
  pause: 'swarm services cannot be paused; scale to 0 instead: tug --swarm scale SERVICE=0',
  unpause: 'swarm services cannot be paused; scale back up instead: tug --swarm scale SERVICE=N',
  run: 'one-off containers are not swarm services; deploy a job instead (deploy.mode: replicated-job)',
  start: 'swarm services run as long as they exist; tug --swarm up deploys them, tug --swarm scale sets how many run',
  stop: 'swarm services run as long as they exist; scale to 0 (tug --swarm scale SERVICE=0) or take the stack down',
  kill: 'swarm tasks are the manager\'s to stop; scale down or restart instead',
  rm: 'swarm services are removed with the stack: tug --swarm down',
  create: 'a swarm service runs once created; tug --swarm up deploys it',
  wait: 'swarm services have no single exit code; deploy a job and use tug --swarm up --wait',
  top: 'swarm tasks run on many nodes; use docker top on the node (tug --swarm ps shows where)',
  stats: 'swarm tasks run on many nodes; use docker stats on each node',
  port: 'swarm ports are published on every node (or on the task\'s node in host mode): tug --swarm ps lists them',
  images: 'every node pulls its own images; tug --swarm ps shows the image of each task',
  pull: 'each node pulls for itself when a task starts',
  build: 'build with tug --swarm up --registry HOST:PORT, which builds, pushes and deploys',
  events: 'a manager reports only service events and its own node\'s containers; use tug --swarm ps',
  watch: 'files are synced into containers of one engine; rebuild and redeploy with tug --swarm up --registry HOST:PORT',
};

export function refuseInSwarm(verb: string): never {
  throw new UsageError(`tug ${verb} has no meaning in swarm mode`, WHY[verb] ?? 'run it without --swarm, against the engine of one node');
}
