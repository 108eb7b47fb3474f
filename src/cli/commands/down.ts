import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { withCliLock } from '../project-lock.js';
import { interruptible, progressFor } from '../run-context.js';
import { swarmDownVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';
import { printDryRun, refuseDryRunInSwarm } from '../dry-run.js';

const options = {
  volumes: { alias: 'v', type: 'boolean', describe: 'Also remove named volumes and anonymous volumes' },
  'remove-orphans': { type: 'boolean', describe: 'Remove containers of services no longer in the file' },
  rmi: { choices: ['local', 'all'], describe: 'Remove images: local (built by tug) or all' },
  timeout: { alias: 't', type: 'number', requiresArg: true, describe: 'Seconds to wait for each container to stop' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) => y.options(options);

export const downCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'down',
  describe: 'Stop and remove the stack\'s containers and networks (volumes with -v)',
  builder,
  handler: async (args) => {
    const project = await loadStack(args);
    refuseDryRunInSwarm(args, project, 'down');
    if (isSwarm(args, project)) return swarmDownVerb(args, project.name);
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunDown } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunDown(engine, project.name, project, { volumes: args.volumes, removeOrphans: args['remove-orphans'], rmi: args.rmi }));
    }
    const { down } = await import('../../run/down.js');
    const progress = progressFor(args);
    // The first signal lets the engine calls in flight finish and makes no more (the next
    // `down` finishes the job); the lock is released either way.
    await interruptible(async (signal) => {
      const r = await withCliLock(args, project.name, 'down', signal, () => down(engine, project.name, project, {
        volumes: args.volumes, removeOrphans: args['remove-orphans'], rmi: args.rmi, timeout: args.timeout, parallel: args.parallel,
        signal, onProgress: progress.listener,
      }), engine);
      await progress.close();
      if (r.removedVolumes.length) process.stderr.write(`Removed ${r.removedVolumes.length} volume${r.removedVolumes.length === 1 ? '' : 's'}: ${r.removedVolumes.join(', ')}\n`);
    }).finally(() => progress.close());
  },
};
