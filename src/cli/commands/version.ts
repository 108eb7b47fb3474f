import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../options.js';
import { printJson } from '../table.js';
import { tugVersion } from '../version.js';

interface VersionArgs extends GlobalArgs {
  format?: 'pretty' | 'json';
  short?: boolean;
}

/** As `docker compose version`: scripts read `--short`; no stack file is needed. */
export const versionCommand: CommandModule<GlobalArgs, VersionArgs> = {
  command: 'version',
  describe: 'Print tug\'s version',
  builder: (y: Argv<GlobalArgs>) =>
    y.options({
      format: { choices: ['pretty', 'json'] as const, default: 'pretty' as const, describe: 'Output format' },
      short: { type: 'boolean', describe: 'Only the version number' },
    }) as unknown as Argv<VersionArgs>,
  handler: (args) => {
    const version = tugVersion();
    if (args.format === 'json') return printJson({ version });
    process.stdout.write(args.short ? `${version}\n` : `tug version ${version}\n`);
  },
};
