import { Chalk } from 'chalk';
import type { Argv, CommandModule, Options } from 'yargs';
import { ExitCode, UsageError } from '../../errors.js';
import { onSignals } from '../../util/signals.js';
import { parseDuration } from '../../stack/units.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { stdoutColors } from '../run-context.js';
import { swarmLogsVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';

const options = {
  follow: { type: 'boolean', describe: 'Keep printing, also from containers started meanwhile, until Ctrl-C (exit code 0); -f after the verb' },
  tail: { alias: 'n', type: 'string', requiresArg: true, describe: 'Lines from the end of each container\'s log (a number, or all)' },
  since: { type: 'string', requiresArg: true, describe: 'Only lines since this time (RFC 3339, Unix seconds, or a duration such as 10m)' },
  until: { type: 'string', requiresArg: true, describe: 'Only lines before this time (same forms as --since)' },
  timestamps: { alias: 't', type: 'boolean', describe: 'Show the engine\'s timestamp of each line' },
  'no-color': { type: 'boolean', describe: 'Print the prefixes without colour (so do --ansi never and NO_COLOR)' },
  'no-log-prefix': { type: 'boolean', describe: 'Print the lines without the container prefix' },
  index: { type: 'string', requiresArg: true, describe: 'Only the replica with this number (of the one service named)' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to show (default: all)' })
    .options(options);

export function parseTail(v: string | undefined): number | 'all' {
  if (v === undefined || v === 'all') return 'all';
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid --tail "${v}"`, 'give a number of lines, or all');
  return Number(v);
}

/** `--index N`: a replica number, of exactly one service, as Compose requires. */
export function parseIndex(v: string | undefined, services: readonly string[] | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`invalid --index "${v}"`, 'give a replica number: 1, 2, ...');
  if (services?.length !== 1) throw new UsageError('--index requires one service to be selected', 'name the service: tug logs --index N SERVICE');
  return Number(v);
}

/** The engine reads these itself; checked here so that a typo is a usage error, not an engine one. */
export function checkTime(flag: string, v: string | undefined): string | undefined {
  if (v === undefined || /^\d+(\.\d+)?$/.test(v) || parseDuration(v) !== undefined || !Number.isNaN(Date.parse(v))) return v;
  throw new UsageError(`invalid --${flag} "${v}"`, 'use an RFC 3339 time, Unix seconds, or a duration such as 10m');
}

export const logsCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'logs [services..]',
  describe: 'Print the output of the stack\'s containers, each line prefixed with its container',
  builder,
  handler: async (args) => {
    const tail = parseTail(args.tail);
    const since = checkTime('since', args.since);
    const until = checkTime('until', args.until);
    const index = parseIndex(args.index, args.services);
    const project = await loadStack(args);
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const swarm = isSwarm(args, project);
    if (swarm && index !== undefined) throw new UsageError('--index has no meaning in swarm mode', 'tasks are not numbered replicas: leave it out');
    if (swarm && until !== undefined) throw new UsageError('--until has no meaning in swarm mode', 'the manager\'s service logs cannot be cut at a time: leave it out');
    // Following is what -f is for, so Ctrl-C is its normal end, not an interruption.
    const ctl = new AbortController();
    // A second signal, for a stream that does not end when asked, leaves at once.
    const stop = (): void => (ctl.signal.aborted ? process.exit(ExitCode.interrupted) : ctl.abort());
    const release = onSignals(stop);
    try {
      const color = args['no-color'] ? new Chalk({ level: 0 }) : stdoutColors(args);
      if (swarm) return await swarmLogsVerb(args, project.name, { tail, since, color, signal: ctl.signal });
      const engine = await connectEngine();
      const { printLogs } = await import('../../run/print-logs.js');
      await printLogs(engine, project, {
        services: args.services, index, follow: args.follow, tail, since, until, timestamps: args.timestamps,
        prefix: !args['no-log-prefix'], color, signal: ctl.signal,
      });
    } finally {
      release();
    }
  },
};
