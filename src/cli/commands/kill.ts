import { constants } from 'node:os';
import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors.js';
import { didYouMean } from '../../stack/suggest.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';
import { printDryRun } from '../dry-run.js';

const options = {
  signal: { alias: 's', type: 'string', default: 'SIGKILL', requiresArg: true, describe: 'Signal to send, e.g. SIGTERM or 15' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to signal (default: all)' })
    .options(options);

/**
 * The engine answers a bad signal with an API error, which would read as a failure of tug;
 * it is the flag's value that is wrong. Names as Linux knows them, with or without SIG, the
 * real-time ones (RTMIN+3), or a number.
 */
export function checkSignal(value: string): string {
  const name = value.toUpperCase().replace(/^SIG/, '');
  const known = Object.keys(constants.signals).map((s) => s.replace(/^SIG/, ''));
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 64) return value;
  if (known.includes(name) || /^RT(MIN|MAX)([+-]\d+)?$/.test(name)) return `SIG${name}`;
  const guess = didYouMean(name, known);
  throw new UsageError(`unknown signal "${value}"`, guess ? `did you mean SIG${guess}?` : 'use a signal name such as SIGTERM, or its number');
}

export const killCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'kill [services..]',
  describe: 'Send a signal (SIGKILL by default) to running containers',
  builder,
  handler: async (args) => {
    const killSignal = checkSignal(args.signal ?? 'SIGKILL');
    const project = await loadStack(args, { localOnly: 'kill' });
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunLifecycle } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunLifecycle(engine, project, 'kill', { services: args.services }));
    }
    const { kill } = await import('../../run/lifecycle.js');
    await mutate(args, project.name, 'kill', async (signal, onProgress) => {
      const { containers } = await kill(engine, project, { services: args.services, killSignal, signal, onProgress });
      return containers.length === 0 ? ['No running container to kill.'] : [];
    });
  },
};
