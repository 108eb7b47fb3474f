import type { Argv, CommandModule, Options } from 'yargs';
import { connectEngine } from '../engine.js';
import { checkIndex } from '../interactive.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';

const options = {
  index: { type: 'number', requiresArg: true, describe: 'Which replica (its number); default: all of them when copying in, the first when copying out' },
  archive: { alias: 'a', type: 'boolean', describe: 'Keep owners (uid/gid) as they are' },
  'follow-link': { alias: 'L', type: 'boolean', describe: 'Copy what a symlink given as the source points to' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('source', { type: 'string', demandOption: true, describe: 'SERVICE:PATH, a local path, or - for a tar stream on stdin' })
    .positional('destination', { type: 'string', demandOption: true, describe: 'SERVICE:PATH, a local path, or - for a tar stream on stdout' })
    .options(options)
    .epilogue('As docker cp: into an existing directory the source keeps its name (DIR/. copies only its contents); onto a new path it takes that name.');

/** yargs-parser reads a lone `-` as a flag with no name, leaving the positional empty. */
const stdioOr = (v: unknown): string => (v === '' || v === true ? '-' : String(v));

export const cpCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'cp <source> <destination>',
  describe: 'Copy files or directories between a service\'s container and the local filesystem',
  builder,
  handler: async (args) => {
    checkIndex(args.index);
    const project = await loadStack(args, { localOnly: 'cp' });
    const engine = await connectEngine();
    const { copy } = await import('../../run/copy.js');
    await copy(engine, project, {
      source: stdioOr(args.source), destination: stdioOr(args.destination), index: args.index, archive: args.archive, followLink: args['follow-link'],
    }, { stdin: process.stdin, stdout: process.stdout });
  },
};
