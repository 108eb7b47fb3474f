import { handleSignalsFromStart } from './signals.js';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode, UsageError } from '../errors.js';
import { execOptions } from './commands/exec.js';
import { runOptions } from './commands/run.js';
import { dashAfterService, followFlagAfterLogs, forceFlagAfterRm, SHORT_F_AFTER } from './argv.js';
import { selectEngine } from '../engine/connect.js';
import { configureReporting, reportError } from './fail.js';
import { globalOptions, type GlobalArgs } from './options.js';
import { ansiFromArgv } from './style.js';
import { suggestFlag, type FlagContext } from './suggest.js';
import { verbModules } from './verbs.js';
import { COMPLETE_VERB, runCompletion, YARGS_COMPLETE_FLAG } from './complete/run.js';
import { composeFlagRefusal, refuseComposeGlobals, unsupportedComposeGlobals } from './compose-flags.js';
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
    getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> };
  }
}

function knownFlags(parser: Argv<GlobalArgs>): string[] {
  return Object.keys(parser.getOptions().key);
}

/** Each option's other names, both ways (yargs lists them under the option only). */
function flagAliases(parser: Argv<GlobalArgs>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, others] of Object.entries(parser.getOptions().alias)) {
    for (const n of [name, ...others]) out[n] = [name, ...others].filter((x) => x !== n);
  }
  return out;
}

/** The verb typed, and the flags' other names, for a flag hint (`-f` is --follow after logs). */
function flagContext(parser: Argv<GlobalArgs>, args: readonly string[]): FlagContext {
  const verb = typedVerb(args);
  const f = verb === undefined ? undefined : SHORT_F_AFTER[verb];
  return { verb, aliases: { ...flagAliases(parser), ...(f ? { f: [f] } : {}) } };
}

/** The verb typed: the first word naming one. */
function typedVerb(args: readonly string[]): string | undefined {
  const names = new Set(verbModules.map((m) => String([m.command ?? ''].flat()[0]).split(' ')[0]));
  return args.find((a) => names.has(a));
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
    .options(unsupportedComposeGlobals)
    .middleware(refuseComposeGlobals)
    .middleware((a) => configureReporting({ ansi: a.ansi, debug: debugFromEnv || a.debug === true, progress: a.progress }))
    // The engine every verb connects to (and the project lock keys by): --host, --context, --insecure.
    .middleware((a) => {
      if (a.host !== undefined && a.context !== undefined) throw new UsageError('conflicting options: --host and --context both name an engine', 'give only one of them');
      selectEngine({ host: a.host, context: a.context, insecure: a.insecure });
    })
    .command(verbModules)
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
      // A flag of docker compose that tug lacks is said to be one, not reported as a typo.
      throw composeFlagRefusal(message, args) ?? new UsageError(message, hint ?? suggestFlag(message, args, knownFlags(parser), flagContext(parser, args)));
    });
  return parser;
}

try {
  // Completion callbacks read the raw words being typed, before any rewriting or parsing.
  const raw = hideBin(process.argv);
  if (raw[0] === COMPLETE_VERB || raw[0] === YARGS_COMPLETE_FLAG) await runCompletion(raw);
  else await buildParser(argv).parseAsync();
} catch (err) {
  reportError(err);
}
