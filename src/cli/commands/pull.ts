import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { interruptible, progressFor } from '../run-context.js';
import { printDryRun } from '../dry-run.js';

const options = {
  'ignore-pull-failures': { type: 'boolean', describe: 'Report failed pulls as warnings and exit 0' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Print no progress' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services whose images to pull (default: all)' })
    .options(options);

export const pullCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'pull [services..]',
  describe: 'Pull the services\' images (not those only built), all at once',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'pull' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunPull } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunPull(engine, project, args.services?.length ? args.services : Object.keys(project.services)));
    }
    const { pullServices } = await import('../../run/images.js');
    const emit = args.quiet ? () => {} : progressFor(args);
    const names = args.services?.length ? args.services : Object.keys(project.services);
    await interruptible((signal) => pullServices(engine, project, names, { ignoreFailures: args['ignore-pull-failures'], signal, onProgress: emit }));
  },
};
