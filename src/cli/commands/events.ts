import type { Argv, CommandModule, Options } from 'yargs';
import type { EngineEvent } from '../../run/reports.js';
import { ExitCode } from '../../errors.js';
import { LABEL } from '../../labels.js';
import { onSignals } from '../../util/signals.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { checkTime } from './logs.js';

const options = {
  json: { type: 'boolean', describe: 'One JSON object per line: time, type, action, id, service, attributes' },
  since: { type: 'string', requiresArg: true, describe: 'Also the events since this time (RFC 3339, Unix seconds, or a duration such as 10m)' },
  until: { type: 'string', requiresArg: true, describe: 'Stop at this time (same forms as --since), with exit code 0' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to watch (default: all)' })
    .options(options);

/**
 * RFC 3339 to the microsecond, so that events within a millisecond stay apart: `timeNano` is a
 * double, exact to about a quarter of a microsecond at today's dates, so more digits would lie.
 */
export function eventTime(timeNano: number): string {
  const us = Math.round(timeNano / 1000);
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`;
}

export function eventLine(e: EngineEvent): string {
  const name = e.attributes.name ?? e.id.slice(0, 12);
  const service = e.attributes[LABEL.service];
  return `${eventTime(e.timeNano)} ${e.type} ${e.action} ${name}${service ? ` (${service})` : ''}`;
}

export function eventJson(e: EngineEvent): string {
  return JSON.stringify({
    time: eventTime(e.timeNano), type: e.type, action: e.action, id: e.id, service: e.attributes[LABEL.service] ?? null, attributes: e.attributes,
  });
}

export const eventsCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'events [services..]',
  describe: 'Print the stack\'s container events as they happen, until interrupted (Ctrl-C ends it with exit code 0)',
  builder,
  handler: async (args) => {
    const since = checkTime('since', args.since);
    const until = checkTime('until', args.until);
    const project = await loadStack(args, { localOnly: 'events' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    // Watching is what this verb is for, so a signal is the normal end, not an interruption.
    const ctl = new AbortController();
    const stop = (): void => (ctl.signal.aborted ? process.exit(ExitCode.interrupted) : ctl.abort());
    const release = onSignals(stop);
    try {
      const { serviceEvents } = await import('../../run/reports.js');
      const events = serviceEvents(engine, project, args.services, ctl.signal, { since, until });
      if (args.progress !== 'quiet' && args.progress !== 'json') {
        process.stderr.write(`Watching the events of project ${project.name} (${until === undefined ? 'Ctrl-C to stop' : `until ${until}`})\n`);
      }
      for await (const e of events) {
        process.stdout.write(`${args.json ? eventJson(e) : eventLine(e)}\n`);
      }
    } finally {
      release();
    }
  },
};
