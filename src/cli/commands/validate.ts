import type { CommandModule } from 'yargs';
import { loadStack, type GlobalArgs } from '../options.js';

export const validateCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'validate',
  describe: 'Check the stack files; silent when they are valid',
  handler: async (args) => {
    await loadStack(args);
  },
};
