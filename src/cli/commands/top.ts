import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { printJson, table } from '../table.js';

const options = {
  format: { choices: ['table', 'json'], default: 'table' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to show (default: all)' })
    .options(options);

export const topCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'top [services..]',
  describe: 'Show the processes running in the stack\'s containers, a table per container',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'top' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const { processes } = await import('../../run/reports.js');
    const shown = await processes(engine, project.name, args.services);
    if (args.format === 'json') {
      return printJson(shown.map(({ container: c, top }) => ({ name: c.name, service: c.service, titles: top.titles, processes: top.processes })));
    }
    process.stdout.write(shown.map(({ container, top }) => `${container.name}\n${table([top.titles, ...top.processes])}`).join('\n'));
  },
};
