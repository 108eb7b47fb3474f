import type { Argv, CommandModule, Options } from 'yargs';
import { StackFileError } from '../../errors.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { nodesVerb } from '../swarm-verbs.js';

const options = {
  format: { choices: ['table', 'json'], default: 'table', describe: 'Output format' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) => y.options(options);

/** A swarm's nodes; where a stack file is found, the project's tasks on each. */
export const nodesCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'nodes',
  describe: 'List the swarm\'s nodes: role, state, availability, CPUs and memory, and the project\'s tasks on each',
  builder,
  handler: async (args) => {
    // The nodes are the swarm's, not the project's: without a stack file they are still listed.
    const project = await loadStack(args).catch((err: unknown) => {
      if (err instanceof StackFileError && err.code === 'no_stack_file' && !args.file?.length) return undefined;
      throw err;
    });
    await nodesVerb(args, project?.name);
  },
};
