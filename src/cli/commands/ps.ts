import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors.js';
import { composePsRow, displayPorts, psTemplateRow, PS_HEADERS, PS_SAMPLE } from '../../ui/compose-shapes.js';
import { listFormat, ndjson } from '../../ui/list-format.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { swarmPsVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';
import { table } from '../table.js';

/** The states Compose's `--status` names. */
export const PS_STATES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'] as const;

const options = {
  all: { alias: 'a', type: 'boolean', describe: 'Include stopped containers' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Only print container ids' },
  // `--list-services` was tug's name before Compose's `--services` was read.
  services: { alias: 'list-services', type: 'boolean', describe: 'Print the services that have containers, one a line' },
  format: { type: 'string', default: 'table', requiresArg: true, describe: 'table, json (one object a line, Compose\'s fields), or a Go template such as \'{{.Name}} {{.State}}\' or \'table {{.Name}}\\t{{.Status}}\'' },
  status: { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: `Filter by state (${PS_STATES.join(', ')}), repeatable` },
  filter: { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: 'Filter by a property: status=STATE, repeatable' },
  'no-trunc': { type: 'boolean', describe: 'Do not shorten ids and commands in --format output' },
  orphans: { type: 'boolean', default: true, describe: 'Include containers of services the stack file no longer declares (--orphans=false leaves them out)' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('service', { type: 'string', array: true, describe: 'Services to show (default: all)' })
    .options(options);

/** `--status` and `--filter status=...` as Compose reads them; anything else is a usage error. */
export function psStates(status: readonly string[] | undefined, filter: readonly string[] | undefined): string[] {
  const out = [...(status ?? [])];
  for (const f of filter ?? []) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`--filter "${f}" should be KEY=VALUE`, 'e.g. --filter status=running');
    const key = f.slice(0, eq);
    if (key === 'source') throw new UsageError('--filter source=... is not supported (nor is it by docker compose)', 'filter with status=STATE');
    if (key !== 'status') throw new UsageError(`unknown filter "${key}" in --filter ${f}`, 'the supported filter is status=STATE');
    out.push(f.slice(eq + 1));
  }
  for (const s of out) {
    if (!(PS_STATES as readonly string[]).includes(s)) throw new UsageError(`unknown container state "${s}"`, `use one of ${PS_STATES.join(', ')}`);
  }
  return out;
}

export const psCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'ps [service..]',
  describe: 'List the stack\'s containers',
  builder,
  handler: async (args) => {
    const status = psStates(args.status, args.filter);
    const format = listFormat(args.format, { verb: 'ps', sample: PS_SAMPLE, headers: PS_HEADERS });
    const project = await loadStack(args);
    const services = args.service;
    if (isSwarm(args, project)) {
      // Swarm tasks are not Compose containers: these would be silently ignored there.
      if (format.kind === 'template') throw new UsageError('a --format template is not supported with --swarm', 'use --format table or json');
      const unsupported = [args.services && '--services', status.length && '--status/--filter', args['no-trunc'] && '--no-trunc'].filter(Boolean);
      if (unsupported.length) throw new UsageError(`${unsupported.join(', ')} ${unsupported.length > 1 ? 'are' : 'is'} not supported with --swarm`, 'leave it out, or list the tasks with tug --swarm ps');
      return swarmPsVerb({ ...args, services }, project.name);
    }
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, services);
    const engine = await connectEngine();
    const { projectContainers } = await import('../../run/reports.js');
    // As Compose: orphans are listed unless asked not to, then only the declared services are.
    const shown = services?.length || args.orphans ? services : Object.keys(project.services);
    const list = await projectContainers(engine, project.name, { all: args.all, status, services: shown, oneoffs: true });
    if (args.quiet) return void process.stdout.write(list.map((c) => `${c.id}\n`).join(''));
    if (args.services) return void process.stdout.write([...new Set(list.map((c) => c.service))].map((s) => `${s}\n`).join(''));
    const rowOptions = { trunc: !args['no-trunc'], now: Date.now() / 1000 };
    if (format.kind === 'json') return void process.stdout.write(ndjson(list.map((c) => composePsRow(c, rowOptions))));
    if (format.kind === 'template') return void process.stdout.write(format.render(list.map((c) => psTemplateRow(c, rowOptions))));
    const rows = [['NAME', 'SERVICE', 'STATE', 'HEALTH', 'PORTS', 'STATUS']];
    for (const c of list) rows.push([c.name, c.service, c.state, c.health === 'none' ? '' : c.health, displayPorts(c.ports), c.status]);
    // With -a, a service scaled to 0 (or never brought up) stays visible: it is still the project's.
    if (args.all && !status.length) {
      const have = new Set(list.map((c) => c.service));
      const wanted = services?.length ? services : Object.keys(project.services);
      for (const s of wanted.filter((s) => project.services[s] && !have.has(s)).sort()) rows.push(['-', s, 'none', '', '', 'no containers']);
    }
    process.stdout.write(table(rows));
  },
};
