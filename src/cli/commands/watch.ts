import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { withCliLock } from '../project-lock.js';
import { interruptible, progressFor } from '../run-context.js';
import { tugVersion } from '../version.js';

const options = {
  'no-up': { type: 'boolean', describe: 'Do not bring the services up before watching' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services whose develop.watch rules apply (default: all)' })
    .options(options)
    .epilogue('Ctrl-C ends watching (exit 0) and leaves the services running. TUG_WATCH_DEBOUNCE_MS sets the quiet time that ends a batch of changes (default 75).');

export const watchCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'watch [services..]',
  describe: 'Bring the services up, then sync, restart or rebuild them as their develop.watch paths change',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'watch' });
    const { checkWatch, watch } = await import('../../run/devloop/index.js');
    // A rule tug cannot honour is refused at its line before anything starts.
    checkWatch(project, args.services);
    const engine = await connectEngine();
    const progress = progressFor(args);
    await interruptible(async (signal) => {
      if (!args['no-up']) {
        const { up } = await import('../../run/up.js');
        await withCliLock(args, project.name, 'up', signal, () =>
          up(engine, project, { targets: args.services, signal, onProgress: progress.listener, version: tugVersion() }));
        // Interrupted while bringing the stack up: that is not the end of watching, but of up.
        signal.throwIfAborted();
      }
      await watch(engine, project, {
        services: args.services, signal, onProgress: progress.listener, version: tugVersion(),
        lock: (fn) => withCliLock(args, project.name, 'watch', signal, fn),
      });
    }, { signalEnds: true }).finally(() => progress.close());
  },
};
