import type { Argv, CommandModule, Options } from 'yargs';
import type { Project } from '../../stack/model.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { swarmConfigVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';

const LISTS = ['services', 'volumes', 'networks', 'profiles'] as const;

const options = {
  format: { choices: ['yaml', 'json'], default: 'yaml', describe: 'Output format' },
  services: { type: 'boolean', describe: 'Print the service names, one per line' },
  volumes: { type: 'boolean', describe: 'Print the volume names, one per line' },
  networks: { type: 'boolean', describe: 'Print the network names, one per line' },
  profiles: { type: 'boolean', describe: 'Print the profile names used by the file, one per line' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Only validate, print nothing' },
  hash: { type: 'string', requiresArg: true, describe: 'Print "service hash" for these services (comma-separated, * for all): the config-hash label up gives their containers' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .options(options)
    .conflicts({ services: ['volumes', 'networks', 'profiles', 'hash'], volumes: ['networks', 'profiles', 'hash'], networks: ['profiles', 'hash'], profiles: 'hash' });

function lines(names: Iterable<string>, sort = true): string {
  const list = sort ? [...names].sort() : [...names];
  return list.length ? `${list.join('\n')}\n` : '';
}

// Dependencies first, ties by name, so the list is stable however the file is ordered.
async function serviceOrder(project: Project): Promise<string[]> {
  const { CycleError, DependencyGraph } = await import('../../graph/graph.js');
  const byName = Object.fromEntries(Object.entries(project.services).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  try {
    return DependencyGraph.fromServices(byName).topoOrder();
  } catch (err) {
    if (err instanceof CycleError) return Object.keys(byName);
    throw err;
  }
}

async function listing(project: Project, which: (typeof LISTS)[number]): Promise<string> {
  switch (which) {
    case 'services':
      return lines(await serviceOrder(project), false);
    case 'volumes':
      return lines(Object.keys(project.volumes));
    case 'networks':
      return lines(Object.keys(project.networks));
    case 'profiles': {
      // A profile can only be named by services, including those it currently disables.
      const all = [...Object.values(project.services), ...Object.values(project.disabled_services)];
      return lines(new Set(all.flatMap((s) => s.profiles ?? [])));
    }
  }
}

/** As `docker compose config --hash`: what tells whether `up` would recreate a service's containers. */
async function hashes(project: Project, which: string): Promise<string> {
  const names = which.trim() === '*' ? await serviceOrder(project) : which.split(',').map((n) => n.trim()).filter(Boolean);
  const { checkServiceNames } = await import('../../plan/lifecycle.js');
  checkServiceNames(project, names);
  const { configHash } = await import('../../run/compile.js');
  return names.map((n) => `${n} ${configHash(project.services[n]!)}\n`).join('');
}

export const configCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'config',
  describe: 'Parse, resolve and print the stack in canonical form',
  builder,
  handler: async (args) => {
    const project = await loadStack(args);
    // In swarm mode the file must also translate to services: refusals show here, at their lines.
    if (isSwarm(args, project) && !args.hash && !LISTS.some((l) => args[l])) {
      const { translate } = await import('../../run/swarm/config.js');
      translate(project);
      if (args.format === 'json' && !args.quiet) return swarmConfigVerb(project);
    }
    if (args.quiet) return;
    if (args.hash !== undefined) {
      process.stdout.write(await hashes(project, args.hash));
      return;
    }
    const list = LISTS.find((l) => args[l]);
    if (list) {
      process.stdout.write(await listing(project, list));
      return;
    }
    const { toJson, toYaml } = await import('../../stack/serialise.js');
    process.stdout.write(args.format === 'json' ? toJson(project) : toYaml(project));
  },
};
