import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';
import { printDryRun } from '../dry-run.js';

const options = {
  timeout: { alias: 't', type: 'number', requiresArg: true, describe: 'Seconds to wait for each container to stop before killing it' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to stop (only these, as in Compose; default: all)' })
    .options(options);

export const stopCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'stop [services..]',
  describe: 'Stop running containers without removing them, dependents before their dependencies',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'stop' });
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunLifecycle } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunLifecycle(engine, project, 'stop', { services: args.services }));
    }
    const { stop } = await import('../../run/lifecycle.js');
    await mutate(args, project.name, 'stop', async (signal, onProgress) => {
      await stop(engine, project, { services: args.services, timeout: args.timeout, signal, onProgress });
    });
  },
};
