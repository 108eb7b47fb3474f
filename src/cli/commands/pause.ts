import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';
import { printDryRun } from '../dry-run.js';

const builder = (y: Argv<GlobalArgs>) =>
  y.positional('services', { type: 'string', array: true, describe: 'Services to pause (default: all)' });

export const pauseCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'pause [services..]',
  describe: 'Pause running containers (their processes are frozen, not stopped)',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'pause' });
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunLifecycle } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunLifecycle(engine, project, 'pause', { services: args.services }));
    }
    const { pause } = await import('../../run/lifecycle.js');
    await mutate(args, project.name, 'pause', async (signal, onProgress) => {
      const { containers } = await pause(engine, project, { services: args.services, signal, onProgress });
      return containers.length === 0 ? ['No running container to pause.'] : [];
    });
  },
};
