import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { interruptible } from '../run-context.js';

const builder = (y: Argv<GlobalArgs>) =>
  y.positional('services', { type: 'string', array: true, demandOption: true, describe: 'Services to wait for' });

export const waitCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'wait <services..>',
  describe: 'Block until the services\' containers stop; the exit code is that of the first one (first service named, lowest replica)',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'wait' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const { waitForServices } = await import('../../run/reports.js');
    const quiet = args.progress === 'quiet';
    await interruptible(async (signal) => {
      // All of them, as Compose does, though only the first one's code is the answer.
      const codes = await waitForServices(engine, project.name, args.services, signal, (c, code) => {
        if (!quiet) process.stderr.write(`${c.name} exited with code ${code}\n`);
      });
      process.exitCode = codes[0]!;
    });
  },
};
