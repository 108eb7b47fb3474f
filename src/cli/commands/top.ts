import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { printJson, table } from '../table.js';

interface TopArgs extends GlobalArgs {
  services?: string[];
  format?: 'table' | 'json';
}

export const topCommand: CommandModule<GlobalArgs, TopArgs> = {
  command: 'top [services..]',
  describe: 'Show the processes running in the stack\'s containers, a table per container',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services to show (default: all)' })
      .options({
        format: { choices: ['table', 'json'] as const, default: 'table' as const },
      }) as unknown as Argv<TopArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
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
