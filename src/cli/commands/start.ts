import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';
import { printDryRun } from '../dry-run.js';

const builder = (y: Argv<GlobalArgs>) =>
  y.positional('services', { type: 'string', array: true, describe: 'Services to start, with what they depend on' });

export const startCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'start [services..]',
  describe: 'Start existing containers, each once its dependencies are ready (tug up creates them)',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'start' });
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunLifecycle } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunLifecycle(engine, project, 'start', { services: args.services }));
    }
    const { start } = await import('../../run/lifecycle.js');
    await mutate(args, project.name, 'start', async (signal, onProgress) => {
      const { containers } = await start(engine, project, { services: args.services, signal, onProgress });
      return containers.length === 0 ? ['Nothing to do: every container is already running.'] : [];
    });
  },
};
