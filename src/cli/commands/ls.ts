import type { Argv, CommandModule, Options } from 'yargs';
import { composeLsRow, LS_HEADERS } from '../../ui/compose-shapes.js';
import { listFormat } from '../../ui/list-format.js';
import { connectEngine } from '../engine.js';
import type { ArgsOf, GlobalArgs } from '../options.js';
import { table } from '../table.js';

const options = {
  all: { alias: 'a', type: 'boolean', describe: 'Include projects whose containers are all stopped' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Only print project names' },
  format: { type: 'string', default: 'table', requiresArg: true, describe: 'table, json (one array, as Compose prints it), or a Go template over Name, Status, ConfigFiles' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) => y.options(options);

export const lsCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'ls',
  describe: 'List the projects on the engine (by default those with a running container)',
  builder,
  handler: async (args) => {
    const format = listFormat(args.format, { verb: 'ls', sample: { Name: 'p', Status: 'running(1)', ConfigFiles: '/p/compose.yaml' }, headers: LS_HEADERS });
    const engine = await connectEngine();
    const { listProjects } = await import('../../run/reports.js');
    const projects = (await listProjects(engine)).filter((p) => args.all || p.running > 0);
    if (args.quiet) return void process.stdout.write(projects.map((p) => `${p.name}\n`).join(''));
    // Compose prints the whole list as one compact JSON array.
    if (format.kind === 'json') return void process.stdout.write(`${JSON.stringify(projects.map(composeLsRow))}\n`);
    if (format.kind === 'template') return void process.stdout.write(format.render(projects.map(composeLsRow)));
    const rows = [['NAME', 'STATUS', 'CONFIG FILES']];
    for (const p of projects) rows.push([p.name, p.status, p.configFiles]);
    process.stdout.write(table(rows));
  },
};
