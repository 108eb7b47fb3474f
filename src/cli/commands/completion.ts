import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { SHELLS } from '../complete/complete.js';
import { completionScript } from '../complete/scripts.js';
import type { ArgsOf, GlobalArgs } from '../options.js';

/** Without an argument, the shell $SHELL names (as yargs' completion did), else bash. */
function defaultShell(): (typeof SHELLS)[number] {
  const name = path.basename(process.env.SHELL ?? '');
  return (SHELLS as readonly string[]).includes(name) ? (name as (typeof SHELLS)[number]) : 'bash';
}

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('shell', { choices: SHELLS, describe: 'The shell (default: the one $SHELL names, else bash)' })
    .epilogue('Completes verbs, flags, service names from the stack file the command line names, and profiles. ' +
      'bash: source <(tug completion bash); zsh: source <(tug completion zsh) after compinit; fish: tug completion fish | source.');

export const completionCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'completion [shell]',
  describe: 'Print a shell completion script (bash, zsh, fish)',
  builder,
  handler: (args) => {
    process.stdout.write(completionScript(args.shell ?? defaultShell()));
  },
};
