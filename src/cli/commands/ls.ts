import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import type { ArgsOf, GlobalArgs } from '../options.js';
import { printJson, table } from '../table.js';

const options = {
  all: { alias: 'a', type: 'boolean', describe: 'Include projects whose containers are all stopped' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Only print project names' },
  format: { choices: ['table', 'json'], default: 'table' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) => y.options(options);

export const lsCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'ls',
  describe: 'List the projects on the engine (by default those with a running container)',
  builder,
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
