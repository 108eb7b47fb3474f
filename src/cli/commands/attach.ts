import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { checkIndex } from '../interactive.js';
import { loadStack, type GlobalArgs } from '../options.js';

interface AttachArgs extends GlobalArgs {
  service: string;
  index?: number;
  'no-stdin'?: boolean;
  'sig-proxy'?: boolean;
}

export const attachCommand: CommandModule<GlobalArgs, AttachArgs> = {
  command: 'attach <service>',
  describe: 'Attach tug\'s input and output to a running container of a service',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('service', { type: 'string', describe: 'The service' })
      .options({
        index: { type: 'number', requiresArg: true, describe: 'Which replica (its number); default the first running' },
        'no-stdin': { type: 'boolean', describe: 'Do not attach stdin' },
        'sig-proxy': { type: 'boolean', default: true, describe: 'Pass Ctrl-C and SIGTERM on to the container (without a TTY); --sig-proxy=false to leave it running' },
      })
      .epilogue('With a TTY, Ctrl-P Ctrl-Q detaches and leaves the container running. Exits with the container\'s exit code when it stops.') as unknown as Argv<AttachArgs>,
  handler: async (args) => {
    checkIndex(args.index);
    const project = await loadStack(args);
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
