import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { interruptible, progressFor } from '../run-context.js';

interface PullArgs extends GlobalArgs {
  services?: string[];
  'ignore-pull-failures'?: boolean;
  quiet?: boolean;
}

export const pullCommand: CommandModule<GlobalArgs, PullArgs> = {
  command: 'pull [services..]',
  describe: 'Pull the services\' images (not those only built), all at once',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services whose images to pull (default: all)' })
      .options({
        'ignore-pull-failures': { type: 'boolean', describe: 'Report failed pulls as warnings and exit 0' },
        quiet: { alias: 'q', type: 'boolean', describe: 'Print no progress' },
      }) as unknown as Argv<PullArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const { pullServices } = await import('../../run/images.js');
    const emit = args.quiet ? () => {} : progressFor(args);
    const names = args.services?.length ? args.services : Object.keys(project.services);
    await interruptible((signal) => pullServices(engine, project, names, { ignoreFailures: args['ignore-pull-failures'], signal, onProgress: emit }));
  },
};
