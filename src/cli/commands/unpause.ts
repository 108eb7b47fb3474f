import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';
import { printDryRun } from '../dry-run.js';

const builder = (y: Argv<GlobalArgs>) =>
  y.positional('services', { type: 'string', array: true, describe: 'Services to unpause (default: all)' });

export const unpauseCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'unpause [services..]',
  describe: 'Unpause paused containers',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'unpause' });
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunLifecycle } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunLifecycle(engine, project, 'unpause', { services: args.services }));
    }
    const { unpause } = await import('../../run/lifecycle.js');
    await mutate(args, project.name, 'unpause', async (signal, onProgress) => {
      const { containers } = await unpause(engine, project, { services: args.services, signal, onProgress });
      return containers.length === 0 ? ['No paused container to unpause.'] : [];
    });
  },
};
