import type { Argv, CommandModule, Options } from 'yargs';
import { ExitCode, InterruptedError, UsageError } from '../../errors.js';
import { onSignals } from '../../util/signals.js';
import { connectEngine } from '../engine.js';
import { checkIndex, commandAfterService, commandOf, envFlags, repeatable } from '../interactive.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';

/** Also read by dashAfterService (argv.ts), to tell a flag's value from the service. */
export const execOptions = {
  'no-TTY': { alias: 'T', type: 'boolean', describe: 'Do not allocate a TTY (default: one when stdin and stdout are terminals)' },
  detach: { alias: 'd', type: 'boolean', describe: 'Run the command in the background' },
  env: { alias: 'e', type: 'string', nargs: 1, coerce: repeatable, describe: 'KEY=value (or KEY, taken from here), repeatable' },
  user: { alias: 'u', type: 'string', requiresArg: true, describe: 'Run as this user (name or uid[:gid])' },
  workdir: { alias: 'w', type: 'string', requiresArg: true, describe: 'Working directory of the command' },
  index: { type: 'number', requiresArg: true, describe: 'Which replica (its number) when the service has several; default the first running' },
  privileged: { type: 'boolean', describe: 'Give the command extended privileges' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  commandAfterService(y)
    .positional('service', { type: 'string', demandOption: true, describe: 'The service' })
    .positional('cmd', { type: 'string', array: true, describe: 'The command and its arguments' })
    .options(execOptions)
    .epilogue('Exit codes: the command\'s own; 5 when the service (or that replica) has no running container.');

export const execCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'exec <service> [cmd..]',
  describe: 'Run a command in a running container of a service; exits with the command\'s exit code',
  builder,
  handler: async (args) => {
    const cmd = commandOf(args);
    if (cmd.length === 0) throw new UsageError('exec needs a command to run', 'e.g. tug exec web sh');
    checkIndex(args.index);
    const project = await loadStack(args, { localOnly: 'exec' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, [args.service]);
    const env = envFlags(args.env);
    const engine = await connectEngine();
    const { execInService } = await import('../../run/exec.js');
    const { processStdio, wantsTty } = await import('../../run/stdio.js');
    const io = processStdio();
    // Without a TTY Ctrl-C reaches tug, not the command: tug leaves, as `docker exec` does.
    const ctl = new AbortController();
    const stop = (): void => (ctl.signal.aborted ? process.exit(ExitCode.interrupted) : ctl.abort(new InterruptedError()));
    const release = onSignals(stop);
    try {
      process.exitCode = await execInService(engine, project, {
        service: args.service, cmd, index: args.index, env, user: args.user, workdir: args.workdir,
        privileged: args.privileged, detach: args.detach, tty: !args.detach && wantsTty(io, args['no-TTY']), signal: ctl.signal,
      }, io);
    } finally {
      release();
    }
  },
};
