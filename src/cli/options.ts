import { availableParallelism } from 'node:os';
import type { Argv, InferredOptionTypes, Options } from 'yargs';
import type { LoadOptions } from '../stack/load.js';
import type { Project } from '../stack/model.js';
import { printWarning } from './fail.js';
import { during } from './signals.js';
import { ANSI_MODES } from './style.js';
import { isSwarm, refuseInSwarm, swarmRequested } from './swarm-mode.js';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'json', 'quiet'] as const;

// yargs' `array: true` is greedy (`-f a.yaml config` would swallow the verb), so repeatable
// options take one value each and are collected into an array here.
const repeatable = (v: string | string[]): string[] => [v].flat();

/** `--parallel N`: a whole number of 1 or more, or -1 for no limit, as Compose takes it. */
function parallelLimit(v: number): number {
  if (v === -1) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--parallel takes a whole number of 1 or more, or -1 for no limit; got ${v}`);
  return v;
}

/** The options every verb accepts, named as in `docker compose`. */
export const globalOptions = {
  file: {
    alias: 'f',
    type: 'string',
    nargs: 1,
    coerce: repeatable,
    describe: 'Stack file, repeatable, merged in order ("-" reads stdin)',
  },
  'project-name': { alias: 'p', type: 'string', requiresArg: true, describe: 'Project name' },
  'project-directory': { type: 'string', requiresArg: true, describe: 'Directory that relative paths and .env resolve against (default: the first file\'s directory)' },
  'env-file': { type: 'string', nargs: 1, coerce: repeatable, describe: 'Environment file, repeatable' },
  profile: { type: 'string', nargs: 1, coerce: repeatable, describe: 'Profile to enable, repeatable' },
  ansi: { choices: ANSI_MODES, default: 'auto', describe: 'When to print ANSI control characters' },
  progress: { choices: PROGRESS_MODES, default: 'auto', describe: 'Progress output type' },
  debug: { type: 'boolean', default: false, describe: 'Show stack traces of internal errors (also TUG_DEBUG=1)' },
  'no-wait-lock': { type: 'boolean', describe: 'When another tug command is changing the project, fail at once (exit code 6) instead of waiting' },
  host: { alias: 'H', type: 'string', requiresArg: true, describe: 'Engine to talk to: unix://..., tcp://host:2376 (TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH), ssh://user@host. Wins over DOCKER_HOST and the Docker context' },
  context: { alias: 'c', type: 'string', requiresArg: true, describe: 'Docker context to use (docker context ls); wins over DOCKER_HOST, DOCKER_CONTEXT and docker context use' },
  insecure: { type: 'boolean', describe: 'Allow a plain tcp:// engine on another machine: without TLS anyone on the network between can take it over' },
  // Compose's root --parallel: up and down read it (before or after the verb).
  parallel: { type: 'number', requiresArg: true, coerce: parallelLimit, describe: 'Engine calls in flight at once (up: 8 per engine CPU, 8 to 64; down: 16). 1 stops containers one at a time' },
  'dry-run': { type: 'boolean', describe: 'Print what the command would change, and change nothing (up, create, down, start, stop, restart, rm, kill, pause, unpause, scale, pull, build)' },
  swarm: { type: 'boolean', describe: 'Run the stack as services of the Docker Swarm DOCKER_HOST manages (also TUG_SWARM=1, or x-tug.mode: swarm in the file)' },
} as const satisfies Record<string, Options>;

/**
 * The global options as handlers see them, read off the table: `--ansi`/`--progress` their
 * choices' unions, the repeatable ones `string[]` (what `coerce` returns), `debug` a boolean
 * (it has a default). Handlers read the dashed names: options are parsed without camel-case
 * expansion, though yargs' `ArgumentsCamelCase` also types camelCase twins.
 */
export type GlobalArgs = InferredOptionTypes<typeof globalOptions>;

/**
 * A verb's arguments, read off its builder: what `GlobalArgs` gives, with what the builder's
 * `positional()` and `options()` calls add (or redeclare). With `as const` tables, `choices` give
 * unions, `coerce` its return type, `default` (or `demandOption`) takes `undefined` away.
 *
 *     const builder = (y: Argv<GlobalArgs>) => y.positional('services', {...}).options(table);
 *     export const fooCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = { builder, ... };
 *
 * A positional that the command string makes required (`<service>`) is typed with
 * `demandOption: true`: yargs' `positional()` ignores that key (the `<...>` is what demands it),
 * so it changes the type only.
 */
export type ArgsOf<B> = B extends (y: Argv<GlobalArgs>) => Argv<infer T> ? T : never;

export function loadOptions(args: GlobalArgs): LoadOptions {
  return {
    projectDirectory: args['project-directory'],
    files: args.file,
    projectName: args['project-name'],
    envFiles: args['env-file'],
    profiles: args.profile,
    onWarning: printWarning,
    hostCpus: availableParallelism(),
    swarm: swarmRequested(args),
  };
}

/** Loads the stack the global options describe. The loader (YAML parser, schema validator) is
 * imported here, on first use, so that --help, --version and usage errors never pay for it. */
export async function loadStack(args: GlobalArgs, opts: { localOnly?: string } = {}): Promise<Project> {
  // Refused before loading when the flag says so; after, when the file does.
  if (opts.localOnly && swarmRequested(args)) refuseInSwarm(opts.localOnly);
  const project = await during('loading the stack', async () => {
    const { loadProject } = await import('../stack/load.js');
    return loadProject(loadOptions(args));
  });
  if (opts.localOnly && isSwarm(args, project)) refuseInSwarm(opts.localOnly);
  return project;
}
