import type { Argv, CommandModule, Options } from 'yargs';
import { composeLsRow, LS_HEADERS } from '../../ui/compose-shapes.js';
import { listFormat } from '../../ui/list-format.js';
import { UsageError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import type { ArgsOf, GlobalArgs } from '../options.js';
import { table } from '../table.js';

const options = {
  all: { alias: 'a', type: 'boolean', describe: 'Include projects whose containers are all stopped' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Only print project names' },
  filter: { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: 'name=NAME: only projects of that name (or matching that regular expression), repeatable' },
  format: { type: 'string', default: 'table', requiresArg: true, describe: 'table, json (one array, as Compose prints it), or a Go template over Name, Status, ConfigFiles' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) => y.options(options);

/**
 * `--filter name=...` as Compose reads it: a project is kept when its name equals one of the
 * values or matches it as an (unanchored) regular expression; any other key is a usage error.
 */
export function nameFilter(filters: readonly string[] | undefined): (name: string) => boolean {
  if (!filters?.length) return () => true;
  const names = filters.map((f) => {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (key !== 'name' || eq < 0) throw new UsageError(`invalid filter "${f}"`, 'the supported filter is name=NAME');
    return f.slice(eq + 1);
  });
  const patterns = names.flatMap((n) => {
    try {
      return [new RegExp(n)];
    } catch {
      return []; // as Compose, which skips a value that is no regular expression (it still matches exactly)
    }
  });
  return (name) => names.includes(name) || patterns.some((p) => p.test(name));
}

export const lsCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'ls',
  describe: 'List the projects on the engine (by default those with a running container)',
  builder,
  handler: async (args) => {
    const keep = nameFilter(args.filter);
    const format = listFormat(args.format, { verb: 'ls', sample: { Name: 'p', Status: 'running(1)', ConfigFiles: '/p/compose.yaml' }, headers: LS_HEADERS });
    const engine = await connectEngine();
    const { listProjects } = await import('../../run/reports.js');
    const projects = (await listProjects(engine)).filter((p) => (args.all || p.running > 0) && keep(p.name));
    if (args.quiet) return void process.stdout.write(projects.map((p) => `${p.name}\n`).join(''));
    // Compose prints the whole list as one compact JSON array.
    if (format.kind === 'json') return void process.stdout.write(`${JSON.stringify(projects.map(composeLsRow))}\n`);
    if (format.kind === 'template') return void process.stdout.write(format.render(projects.map(composeLsRow)));
    const rows = [['NAME', 'STATUS', 'CONFIG FILES']];
    for (const p of projects) rows.push([p.name, p.status, p.configFiles]);
    process.stdout.write(table(rows));
  },
};
