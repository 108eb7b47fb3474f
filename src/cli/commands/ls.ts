import type { Argv, CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import type { GlobalArgs } from '../options.js';
import { printJson, table } from '../table.js';

interface LsArgs extends GlobalArgs {
  all?: boolean;
  quiet?: boolean;
  format?: 'table' | 'json';
}

export const lsCommand: CommandModule<GlobalArgs, LsArgs> = {
  command: 'ls',
  describe: 'List the projects on the engine (by default those with a running container)',
  builder: (y: Argv<GlobalArgs>) =>
    y.options({
      all: { alias: 'a', type: 'boolean', describe: 'Include projects whose containers are all stopped' },
      quiet: { alias: 'q', type: 'boolean', describe: 'Only print project names' },
      format: { choices: ['table', 'json'] as const, default: 'table' as const },
    }) as unknown as Argv<LsArgs>,
  handler: async (args) => {
    const engine = await connectEngine();
    const { listProjects } = await import('../../run/reports.js');
    const projects = (await listProjects(engine)).filter((p) => args.all || p.running > 0);
    if (args.quiet) return void process.stdout.write(projects.map((p) => `${p.name}\n`).join(''));
    if (args.format === 'json') return printJson(projects.map(({ name, status, configFiles }) => ({ name, status, configFiles })));
    const rows = [['NAME', 'STATUS', 'CONFIG FILES']];
    for (const p of projects) rows.push([p.name, p.status, p.configFiles]);
    process.stdout.write(table(rows));
  },
};
