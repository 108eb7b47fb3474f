import type { Argv, CommandModule, Options } from 'yargs';
import type { ArgsOf, GlobalArgs } from '../options.js';
import { printJson } from '../table.js';
import { tugVersion } from '../version.js';

const options = {
  format: { choices: ['pretty', 'json'], default: 'pretty', describe: 'Output format' },
  short: { type: 'boolean', describe: 'Only the version number' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) => y.options(options);

/** As `docker compose version`: scripts read `--short`; no stack file is needed. */
export const versionCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'version',
  describe: 'Print tug\'s version',
  builder,
  handler: (args) => {
    const version = tugVersion();
    if (args.format === 'json') return printJson({ version });
    process.stdout.write(args.short ? `${version}\n` : `tug version ${version}\n`);
  },
};
