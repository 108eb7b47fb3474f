import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';
import { swarmRestartVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';
import { printDryRun, refuseDryRunInSwarm } from '../dry-run.js';

const options = {
  'no-deps': { type: 'boolean', describe: 'Restart only the named services, not their restart: true dependents' },
  timeout: { alias: 't', type: 'number', requiresArg: true, describe: 'Seconds to wait for each container to stop before killing it' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to restart (default: all, in dependency order)' })
    .options(options);

export const restartCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'restart [services..]',
  describe: 'Restart services, and the dependents that declared restart: true once their dependencies are ready again',
  builder,
  handler: async (args) => {
    const project = await loadStack(args);
    refuseDryRunInSwarm(args, project, 'restart');
    if (isSwarm(args, project)) return swarmRestartVerb(args, project.name);
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunLifecycle } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunLifecycle(engine, project, 'restart', { services: args.services, noDeps: args['no-deps'] === true }));
    }
    const { restart } = await import('../../run/lifecycle.js');
    const noDeps = args['no-deps'] === true;
    await mutate(args, project.name, 'restart', async (signal, onProgress) => {
      await restart(engine, project, { services: args.services, noDeps, timeout: args.timeout, signal, onProgress });
    });
  },
};
