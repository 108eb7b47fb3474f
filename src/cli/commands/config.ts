import { writeFileSync } from 'node:fs';
import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors.js';
import type { Project } from '../../stack/model.js';
import { isPlainObject, type Dict } from '../../util/dict.js';
import { loadOptions, loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { swarmConfigVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';

const LISTS = ['services', 'volumes', 'networks', 'profiles', 'images'] as const;
/** What replaces the stack's YAML on stdout: one at a time. */
const MODES = [...LISTS, 'hash', 'variables', 'environment'] as const;

const options = {
  // No default: `--variables` prints a table unless a format is asked for, as in Compose.
  format: { choices: ['yaml', 'json', 'table'], describe: 'Output format: yaml (default) or json; --variables also takes table (its default)' },
  services: { type: 'boolean', describe: 'Print the service names, one per line' },
  volumes: { type: 'boolean', describe: 'Print the volume names, one per line' },
  networks: { type: 'boolean', describe: 'Print the network names, one per line' },
  profiles: { type: 'boolean', describe: 'Print the profile names used by the file, one per line' },
  images: { type: 'boolean', describe: 'Print each service\'s image, one per line (<project>-<service> for one that is only built)' },
  variables: { type: 'boolean', describe: 'Print the variables the files refer to, with their defaults (NAME, REQUIRED, DEFAULT VALUE, ALTERNATE VALUE)' },
  environment: { type: 'boolean', describe: 'Print the environment interpolation reads (the shell\'s, then .env / --env-file), KEY=VALUE' },
  'no-interpolate': { type: 'boolean', describe: 'Print the stack normalised, its ${VAR} references kept as written' },
  'no-normalize': { type: 'boolean', describe: 'Print the files merged and interpolated, without the defaults normalising adds (default network, resource names...)' },
  output: { alias: 'o', type: 'string', requiresArg: true, describe: 'Write the stack to this file instead of stdout' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Only validate, print nothing' },
  hash: { type: 'string', requiresArg: true, describe: 'Print "service hash" for these services (comma-separated, * for all): the config-hash label up gives their containers' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    // Not `services`: that is the --services flag.
    .positional('service', { type: 'string', array: true, describe: 'Only these services and what they depend on (default: all)' })
    .options(options)
    .conflicts(Object.fromEntries(MODES.map((m, i) => [m, MODES.slice(i + 1)]).filter(([, rest]) => rest!.length > 0)));

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

async function listing(project: Project, which: Exclude<(typeof LISTS)[number], 'images'>): Promise<string> {
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

type ConfigArgs = ArgsOf<typeof builder>;

/** As Compose's `config SERVICE...`: the named services and their dependencies only. */
async function selected(project: Project, names: string[] | undefined): Promise<Project> {
  if (!names?.length) return project;
  const { checkServiceNames } = await import('../../plan/lifecycle.js');
  checkServiceNames(project, names);
  const { servicesInScope } = await import('../../plan/up.js');
  const { DependencyGraph } = await import('../../graph/graph.js');
  const scope = new Set(servicesInScope(project, DependencyGraph.fromServices(project.services), { targets: names }));
  return { ...project, services: Object.fromEntries(Object.entries(project.services).filter(([n]) => scope.has(n))) };
}

/** Keys sorted at every depth, as Go's yaml and json encoders print a map (compose-go's model is one). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Dict)[k])]));
}

/** The merged files, before normalising (and, with --no-interpolate, before interpolation): compose-go's model. */
async function model(args: ConfigArgs, interpolate: boolean): Promise<{ model: Dict; environment: Record<string, string>; workingDir: string }> {
  const { during } = await import('../signals.js');
  const { loadModel } = await import('../../stack/load.js');
  // Interpolated, it follows the Project's load, which has printed the warnings already.
  return during('loading the stack', () => loadModel({ ...loadOptions(args), interpolate, ...(interpolate ? { onWarning: undefined } : {}) }));
}

/** The stack as text: the Project in canonical form, or the model for --no-interpolate / --no-normalize. */
async function rendering(args: ConfigArgs, project: Project | undefined): Promise<string> {
  const format = args.format ?? 'yaml';
  if (format === 'table') throw new UsageError('--format table is for --variables', 'use --format yaml or --format json');
  // Interpolated values are printed with each `$` doubled, as Compose prints them, so that the
  // output read back as a stack file gives the same values instead of interpolating them again.
  const escape = (text: string) => (args['no-interpolate'] ? text : text.replaceAll('$', '$$$$'));
  if (project) {
    const { toJson, toYaml } = await import('../../stack/serialise.js');
    return escape(format === 'json' ? toJson(project) : toYaml(project));
  }
  const loaded = await model(args, !args['no-interpolate']);
  let m = loaded.model;
  if (args['no-interpolate']) {
    const { normaliseModel, resolveListEnvironments } = await import('../../stack/model-normalise.js');
    const { writtenForms } = await import('../../stack/written-form.js');
    m = resolveListEnvironments(m, loaded.environment);
    // Compose normalises the model it prints for --no-interpolate (only --no-normalize skips it).
    if (!args['no-normalize']) m = normaliseModel(m, { projectName: String(m.name), workingDir: loaded.workingDir, env: loaded.environment });
    // Key-value attributes as compose-go's model holds them: a list where written or merged as one.
    m = writtenForms(m) as Dict;
  }
  m = sortKeys(m) as Dict;
  if (format === 'json') return escape(`${JSON.stringify(m, null, 2)}\n`);
  const { emitYaml } = await import('../../stack/emit-yaml.js');
  return escape(emitYaml(m));
}

export const configCommand: CommandModule<GlobalArgs, ConfigArgs> = {
  command: 'config [service..]',
  describe: 'Parse, resolve and print the stack in canonical form',
  builder,
  handler: async (args) => {
    const out = await configOutput(args);
    if (out === undefined) return;
    if (args.output !== undefined && !MODES.some((m) => args[m] !== undefined && args[m] !== false)) {
      // As Compose: the stack goes to the file, and only it; the listing flags still print.
      try {
        writeFileSync(args.output, out);
      } catch (err) {
        throw new UsageError(`cannot write ${args.output}: ${(err as Error).message}`, 'give -o a path in a directory that exists and is writable');
      }
      return;
    }
    process.stdout.write(out);
  },
};

/** What the flags ask to print; undefined for --quiet. */
async function configOutput(args: ConfigArgs): Promise<string | undefined> {
  // As Compose warns: these read the whole model, not a Project that could be narrowed.
  if (args.service?.length && (args.variables || args['no-interpolate'])) {
    process.stderr.write(`warning: service filtering is not applied with --${args.variables ? 'variables' : 'no-interpolate'}: the whole stack is read\n`);
  }
  // The files' own text, before interpolation: the file need not be valid with the values unset.
  if (args.variables) {
    const { extractVariables } = await import('../../stack/variables.js');
    const { variablesOutput } = await import('../config-output.js');
    const found = extractVariables((await model(args, false)).model);
    return args.quiet ? undefined : variablesOutput(found, args.format ?? 'table');
  }
  if (args['no-interpolate'] && !args.quiet) {
    if (args.services) {
      const services = (await model(args, false)).model.services;
      return lines(Object.keys(isPlainObject(services) ? services : {}));
    }
    if (!MODES.some((m) => args[m] !== undefined && args[m] !== false)) return rendering(args, undefined);
  }
  const project = await selected(await loadStack(args), args.service);
  // In swarm mode the file must also translate to services: refusals show here, at their lines.
  if (isSwarm(args, project) && !MODES.some((m) => args[m] !== undefined && args[m] !== false)) {
    const { translate } = await import('../../run/swarm/config.js');
    translate(project);
    if (args.format === 'json' && !args.quiet && args.output === undefined && !args['no-normalize']) {
      await swarmConfigVerb(project);
      return undefined;
    }
  }
  if (args.quiet) return undefined;
  if (args.hash !== undefined) return hashes(project, args.hash);
  if (args.environment) {
    const { environmentOutput } = await import('../config-output.js');
    return environmentOutput((await model(args, true)).environment);
  }
  if (args.images) {
    const { imagesOutput } = await import('../config-output.js');
    return imagesOutput(project, await serviceOrder(project));
  }
  const list = LISTS.find((l) => l !== 'images' && args[l]) as Exclude<(typeof LISTS)[number], 'images'> | undefined;
  if (list) return listing(project, list);
  // The Project was loaded first: its checks (all of a file's problems at once) apply to --no-normalize too.
  return rendering(args, args['no-normalize'] ? undefined : project);
}
