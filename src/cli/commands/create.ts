import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { mutate } from '../lifecycle-verb.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { tugVersion } from '../version.js';
import { convergeOptions, parseScale } from './up.js';

interface CreateArgs extends GlobalArgs {
  services?: string[];
  'no-deps'?: boolean;
  scale?: string[];
  pull?: string;
  build?: boolean;
  'force-recreate'?: boolean;
  'no-recreate'?: boolean;
  'always-recreate-deps'?: boolean;
  'remove-orphans'?: boolean;
  parallel?: number;
  timeout?: number;
}

export const createCommand: CommandModule<GlobalArgs, CreateArgs> = {
  command: 'create [services..]',
  describe: 'Create the stack\'s networks, volumes and containers without starting them (up --no-start)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services to create, with what they depend on' })
      .options(convergeOptions)
      .conflicts('force-recreate', 'no-recreate') as unknown as Argv<CreateArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const engine = await connectEngine();
    const { up } = await import('../../run/up.js');
    await mutate(args, project.name, 'create', async (signal, onProgress) => {
      const result = await up(engine, project, {
        targets: args.services, noDeps: args['no-deps'], scale: parseScale(args.scale), noStart: true,
        pull: args.pull, build: args.build, forceRecreate: args['force-recreate'], noRecreate: args['no-recreate'],
        alwaysRecreateDeps: args['always-recreate-deps'], removeOrphans: args['remove-orphans'], parallel: args.parallel,
        stopTimeout: args.timeout, signal, onProgress, version: tugVersion(),
      });
      const n = Object.values(result.containers).flat().length;
      return result.unchanged ? [`Nothing to do: ${n} container${n === 1 ? '' : 's'} already up to date.`] : [];
    });
  },
};
