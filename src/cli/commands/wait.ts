import type { Argv, CommandModule } from 'yargs';
import { ServiceFailedError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { interruptible } from '../run-context.js';
import { listContainers } from '../../run/observe.js';

interface WaitArgs extends GlobalArgs {
  services: string[];
}

export const waitCommand: CommandModule<GlobalArgs, WaitArgs> = {
  command: 'wait <services..>',
  describe: 'Block until the services\' containers stop; the exit code is that of the first one (first service named, lowest replica)',
  builder: (y: Argv<GlobalArgs>) =>
    y.positional('services', { type: 'string', array: true, demandOption: true, describe: 'Services to wait for' }) as unknown as Argv<WaitArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const all = await listContainers(engine, { project: project.name, all: true, oneoff: false });
    const order = (s: string): number => args.services.indexOf(s);
    const containers = all.filter((c) => order(c.service) >= 0).sort((a, b) => order(a.service) - order(b.service) || a.number - b.number);
    if (containers.length === 0) {
      throw new ServiceFailedError('no_containers', `no container to wait for: ${args.services.join(', ')} ${args.services.length === 1 ? 'has' : 'have'} none`,
        'create them first, e.g. with tug up -d');
    }
    const quiet = args.progress === 'quiet';
    await interruptible(async (signal) => {
      // All of them, as Compose does, though only the first one's code is the answer.
      const codes = await Promise.all(containers.map(async (c) => {
        const code = await engine.containers.wait(c.id, signal);
        if (!quiet) process.stderr.write(`${c.name} exited with code ${code}\n`);
        return code;
      }));
      process.exitCode = codes[0]!;
    });
  },
};
