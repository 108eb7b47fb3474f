import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { checkIndex } from '../interactive.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';

const options = {
  index: { type: 'number', requiresArg: true, describe: 'Which replica (its number); default the first running' },
  'no-stdin': { type: 'boolean', describe: 'Do not attach stdin' },
  'sig-proxy': { type: 'boolean', default: true, describe: 'Pass Ctrl-C and SIGTERM on to the container (without a TTY); --sig-proxy=false to leave it running' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('service', { type: 'string', demandOption: true, describe: 'The service' })
    .options(options)
    .epilogue('With a TTY, Ctrl-P Ctrl-Q detaches and leaves the container running. Exits with the container\'s exit code when it stops.');

export const attachCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'attach <service>',
  describe: 'Attach tug\'s input and output to a running container of a service',
  builder,
  handler: async (args) => {
    checkIndex(args.index);
    const project = await loadStack(args, { localOnly: 'attach' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, [args.service]);
    const engine = await connectEngine();
    const { attachToService, Detached } = await import('../../run/attach-service.js');
    const { processStdio } = await import('../../run/stdio.js');
    try {
      process.exitCode = await attachToService(engine, project, {
        service: args.service, index: args.index, noStdin: args['no-stdin'], sigProxy: args['sig-proxy'] !== false,
      }, processStdio());
    } catch (e) {
      if (!(e instanceof Detached)) throw e;
      process.stderr.write('\nDetached; the container goes on running.\n');
    }
  },
};
