import type { Argv, CommandModule, Options } from 'yargs';
import { composeVersionJson } from '../../ui/compose-shapes.js';
import type { ArgsOf, GlobalArgs } from '../options.js';
import { tugVersion } from '../version.js';

const options = {
  format: { choices: ['pretty', 'json'], default: 'pretty', describe: 'Output format (json: {"version":"..."} on one line, as Compose prints it)' },
  short: { type: 'boolean', describe: 'Only the version number' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) => y.options(options);

/** As `docker compose version`: scripts read `--short`; no stack file is needed. `--short` wins over `--format`, as in Compose. */
export const versionCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'version',
  describe: 'Print tug\'s version',
  builder,
  handler: (args) => {
    const version = tugVersion();
    if (args.short) return void process.stdout.write(`${version}\n`);
    if (args.format === 'json') return void process.stdout.write(composeVersionJson(version));
    process.stdout.write(`tug version ${version}\n`);
  },
};
