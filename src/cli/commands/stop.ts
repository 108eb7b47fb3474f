import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';

interface StopArgs extends GlobalArgs {
  services?: string[];
  timeout?: number;
}

export const stopCommand: CommandModule<GlobalArgs, StopArgs> = {
  command: 'stop [services..]',
  describe: 'Stop running containers without removing them, dependents before their dependencies',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services to stop (only these, as in Compose; default: all)' })
      .options({
        timeout: { alias: 't', type: 'number', requiresArg: true, describe: 'Seconds to wait for each container to stop before killing it' },
      }) as unknown as Argv<StopArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const engine = await connectEngine();
    const { stop } = await import('../../run/lifecycle.js');
    await mutate(args, project.name, 'stop', async (signal, onProgress) => {
      await stop(engine, project, { services: args.services, timeout: args.timeout, signal, onProgress });
    });
  },
};
