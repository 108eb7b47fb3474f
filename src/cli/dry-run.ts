/** What the verbs share for `--dry-run`: printing the plan's actions, and refusing where tug cannot plan. */
import { UsageError } from '../errors.js';
import type { Project } from '../stack/model.js';
import type { GlobalArgs } from './options.js';
import { isSwarm } from './swarm-mode.js';

export async function printDryRun(args: GlobalArgs, events: Promise<readonly import('../run/progress.js').ProgressEvent[]>): Promise<void> {
  const { renderDryRun } = await import('../ui/dry-run.js');
  renderDryRun(await events, args.progress, (s) => void process.stderr.write(s));
}

/** Swarm mode converges services on the manager: there is no local plan to print. */
export function refuseDryRunInSwarm(args: GlobalArgs, project: Project, verb: string): void {
  if (args['dry-run'] && isSwarm(args, project)) {
    throw new UsageError(`tug does not support --dry-run of tug ${verb} in swarm mode`, 'leave out --dry-run, or run the stack on one engine');
  }
}
