import type { Argv, CommandModule } from 'yargs';
import { unlessGone } from '../../engine/api-error.js';
import type { ProcessList } from '../../engine/engine.js';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { printJson, table } from '../table.js';
import { listContainers } from '../../run/observe.js';

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
    let list = await listContainers(engine, { project: project.name, all: false });
    if (args.services?.length) list = list.filter((c) => args.services!.includes(c.service));
    list.sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number || a.name.localeCompare(b.name));
    // A container stopped or removed since it was listed has no processes to show.
    const tops = await Promise.all(list.map(async (c) => ({ container: c, top: await unlessGone(engine.containers.top(c.id)) })));
    const shown = tops.filter((t): t is { container: (typeof list)[number]; top: ProcessList } => t.top !== undefined);
    if (args.format === 'json') {
      return printJson(shown.map(({ container: c, top }) => ({ name: c.name, service: c.service, titles: top.titles, processes: top.processes })));
    }
    process.stdout.write(shown.map(({ container, top }) => `${container.name}\n${table([top.titles, ...top.processes])}`).join('\n'));
  },
};
