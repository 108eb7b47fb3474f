import { handleSignalsFromStart } from './signals.js';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode, UsageError } from '../errors.js';
import { configCommand } from './commands/config.js';
import { cpCommand } from './commands/cp.js';
import { createCommand } from './commands/create.js';
import { downCommand } from './commands/down.js';
import { psCommand } from './commands/ps.js';
import { upCommand } from './commands/up.js';
import { graphCommand } from './commands/graph.js';
import { validateCommand } from './commands/validate.js';
import { restartCommand } from './commands/restart.js';
import { scaleCommand } from './commands/scale.js';
import { statsCommand } from './commands/stats.js';
import { startCommand } from './commands/start.js';
import { stopCommand } from './commands/stop.js';
import { killCommand } from './commands/kill.js';
import { pauseCommand } from './commands/pause.js';
import { unpauseCommand } from './commands/unpause.js';
import { rmCommand } from './commands/rm.js';
import { waitCommand } from './commands/wait.js';
import { topCommand } from './commands/top.js';
import { imagesCommand } from './commands/images.js';
import { portCommand } from './commands/port.js';
import { pullCommand } from './commands/pull.js';
import { attachCommand } from './commands/attach.js';
import { buildCommand } from './commands/build.js';
import { lsCommand } from './commands/ls.js';
import { nodesCommand } from './commands/nodes.js';
import { eventsCommand } from './commands/events.js';
import { logsCommand } from './commands/logs.js';
import { execCommand, execOptions } from './commands/exec.js';
import { runCommand, runOptions } from './commands/run.js';
import { versionCommand } from './commands/version.js';
import { watchCommand } from './commands/watch.js';
import { dashAfterService, followFlagAfterLogs, forceFlagAfterRm } from './argv.js';
import { selectEngine } from '../engine/connect.js';
import { configureReporting, reportError } from './fail.js';
import { globalOptions, type GlobalArgs } from './options.js';
import { ansiFromArgv } from './style.js';
import { suggestFlag } from './suggest.js';
import { tugVersion } from './version.js';

// Before anything else (modules evaluate synchronously, so no signal can be delivered before
// this line runs): from here on SIGINT and SIGTERM exit 130 with a message, instead of the
// default action killing tug silently while it parses, loads the stack or connects; each
// verb's own handling takes over while it runs.
handleSignalsFromStart();

const argv = dashAfterService(followFlagAfterLogs(forceFlagAfterRm(hideBin(process.argv))), { exec: execOptions, run: runOptions });
const debugFromEnv = process.env.TUG_DEBUG === '1';
// Set before parsing so that usage errors already honour --ansi and --debug.
configureReporting({ ansi: ansiFromArgv(argv), debug: debugFromEnv || argv.includes('--debug') });

// `tug config | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.ok);
  reportError(err);
});

declare module 'yargs' {
  interface Argv<T> {
    /**
     * yargs' registry of the options it knows (global, the verb's, their aliases, help and
     * version): a public method of the yargs instance (yargs-factory.js) that @types/yargs 17
     * does not declare.
     */
    getOptions(): { key: Record<string, unknown> };
  }
}

function knownFlags(parser: Argv<GlobalArgs>): string[] {
  return Object.keys(parser.getOptions().key);
}

function buildParser(args: string[]): Argv<GlobalArgs> {
  let hint: string | undefined;
  const parser: Argv<GlobalArgs> = yargs(args)
    .scriptName('tug')
    .locale('en')
    // Options are read by their dashed names; camelCase twins would double every unknown-flag report.
    // `--no-deps`, `--no-start`... are flags of their own, as in Compose, not negations of `--deps`.
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false })
    .usage('$0 [options] <command>\n\nRun a multi-container stack described by a Compose file.')
    .options(globalOptions)
    .middleware((a) => configureReporting({ ansi: a.ansi, debug: debugFromEnv || a.debug === true, progress: a.progress }))
    // The engine every verb connects to (and the project lock keys by): --host, --context, --insecure.
    .middleware((a) => {
      if (a.host !== undefined && a.context !== undefined) throw new UsageError('conflicting options: --host and --context both name an engine', 'give only one of them');
      selectEngine({ host: a.host, context: a.context, insecure: a.insecure });
    })
    .command(upCommand)
    .command(createCommand)
    .command(downCommand)
    .command(psCommand)
    .command(configCommand)
    .command(validateCommand)
    .command(graphCommand)
    .command(restartCommand)
    .command(scaleCommand)
    .command(startCommand)
    .command(stopCommand)
    .command(killCommand)
    .command(pauseCommand)
    .command(unpauseCommand)
    .command(rmCommand)
    .command(waitCommand)
    .command(cpCommand)
    .command(topCommand)
    .command(statsCommand)
    .command(imagesCommand)
    .command(portCommand)
    .command(pullCommand)
    .command(buildCommand)
    .command(lsCommand)
    .command(nodesCommand)
    .command(eventsCommand)
    .command(logsCommand)
    .command(execCommand)
    .command(attachCommand)
    .command(runCommand)
    .command(watchCommand)
    .command(versionCommand)
    .completion('completion', 'Print a shell completion script (bash, zsh)')
    // A number option given something that is not a number (`--parallel abc`) is a usage error.
    .check((args) => {
      const bad = Object.entries(args).find(([k, v]) => k !== '_' && k !== '$0' && typeof v === 'number' && Number.isNaN(v));
      if (bad) throw new UsageError(`--${bad[0]} needs a number`);
      return true;
    }, true)
    .demandCommand(1, 'Missing command')
    .strict()
    .recommendCommands()
    .version(tugVersion())
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 80))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs' own parse errors (a flag missing its value...) are usage errors, not tug bugs.
      if (err && err.name === 'YError') throw new UsageError(err.message);
      if (err) throw err;
      // recommendCommands reports its suggestion first, then strict mode the actual error.
      if (msg?.startsWith('Did you mean')) {
        hint = msg;
        return;
      }
      const message = msg ?? 'invalid usage';
      throw new UsageError(message, hint ?? suggestFlag(message, args, knownFlags(parser)));
    });
  return parser;
}

try {
  await buildParser(argv).parseAsync();
} catch (err) {
  reportError(err);
}
