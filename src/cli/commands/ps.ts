import type { Argv, CommandModule, Options } from 'yargs';
import type { ContainerSummary } from '../../plan/observed.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { swarmPsVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';

const options = {
  all: { alias: 'a', type: 'boolean', describe: 'Include stopped containers' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Only print container ids' },
  'list-services': { type: 'boolean', describe: 'Print the services that have containers' },
  format: { choices: ['table', 'json'], default: 'table' },
  status: { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: 'Filter by state (running, exited, ...), repeatable' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true })
    .options(options);

function ports(c: ContainerSummary): string {
  return c.ports
    .map((p) => (p.publicPort ? `${p.ip ?? '0.0.0.0'}:${p.publicPort}->${p.privatePort}/${p.type}` : `${p.privatePort}/${p.type}`))
    .filter((v, i, a) => a.indexOf(v) === i)
    .join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

export const psCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'ps [services..]',
  describe: 'List the stack\'s containers',
  builder,
  handler: async (args) => {
    const project = await loadStack(args);
    if (isSwarm(args, project)) return swarmPsVerb(args, project.name);
    const engine = await connectEngine();
    const { projectContainers } = await import('../../run/reports.js');
    const list = await projectContainers(engine, project.name, { all: args.all, status: args.status, services: args.services, oneoffs: true });
    if (args.quiet) return void process.stdout.write(list.map((c) => `${c.id}\n`).join(''));
    if (args['list-services']) return void process.stdout.write([...new Set(list.map((c) => c.service))].map((s) => `${s}\n`).join(''));
    if (args.format === 'json') {
      const rows = list.map((c) => ({ id: c.id, name: c.name, service: c.service, number: c.number, state: c.state, health: c.health, status: c.status, image: c.image, ports: c.ports }));
      return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    }
    const rows = [['NAME', 'SERVICE', 'STATE', 'HEALTH', 'PORTS', 'STATUS']];
    for (const c of list) rows.push([c.name, c.service, c.state, c.health === 'none' ? '' : c.health, ports(c), c.status]);
    // With -a, a service scaled to 0 (or never brought up) stays visible: it is still the project's.
    if (args.all) {
      const have = new Set(list.map((c) => c.service));
      const wanted = args.services?.length ? args.services : Object.keys(project.services);
      for (const s of wanted.filter((s) => project.services[s] && !have.has(s)).sort()) rows.push(['-', s, 'none', '', '', 'no containers']);
    }
    process.stdout.write(table(rows));
  },
};
