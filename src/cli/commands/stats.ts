import type { Argv, CommandModule, Options } from 'yargs';
import type { ContainerStats, ContainerSummary } from '../../run/reports.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { onSignals } from '../../util/signals.js';
import { binarySize, humanSize, printJson, table } from '../table.js';

const options = {
  all: { alias: 'a', type: 'boolean', describe: 'Stopped containers too (default: running only)' },
  'no-stream': { type: 'boolean', describe: 'Print one sample and exit' },
  format: { choices: ['table', 'json'], default: 'table', describe: 'json: one array per sample' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to show (default: all)' })
    .options(options);

interface Sample {
  container: ContainerSummary;
  stats: ContainerStats;
}

export const statsCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'stats [services..]',
  describe: 'Show the CPU, memory, network and disk use of the stack\'s containers, live (Ctrl-C ends)',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'stats' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const { resourceUse } = await import('../../run/reports.js');
    const once = args['no-stream'] === true;
    const redraw = !once && args.format === 'table' && process.stdout.isTTY === true;
    // Ctrl-C is how a live view ends: finish the sample being printed, then leave with 0.
    let stopping = false;
    const stop = (): void => {
      if (stopping) process.exit(0);
      stopping = true;
    };
    const release = onSignals(stop);
    let first = true;
    try {
      do {
        const samples = await resourceUse(engine, project.name, { services: args.services, all: args.all === true });
        if (args.format === 'json') printJson(samples.map(toJson));
        // On a terminal each sample overwrites the last in place (home, each line cleared past
        // its end, the rest cleared), which does not flicker as clearing the screen first would.
        else if (redraw) process.stdout.write(`${first ? '\x1b[2J' : ''}\x1b[H${render(samples).replaceAll('\n', '\x1b[K\n')}\x1b[J`);
        else process.stdout.write(`${once || first ? '' : '\n'}${render(samples)}`);
        first = false;
      } while (!once && !stopping);
    } finally {
      release();
    }
  },
};

const pct = (v: number) => `${v.toFixed(2)}%`;

export function render(samples: readonly Sample[]): string {
  return table([
    ['NAME', 'SERVICE', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
    ...samples.map(({ container: c, stats: s }) => [
      c.name, c.service, pct(s.cpuPercent), `${binarySize(s.memoryUsage)} / ${binarySize(s.memoryLimit)}`, pct(s.memoryPercent),
      `${humanSize(s.netRx)} / ${humanSize(s.netTx)}`, `${humanSize(s.blockRead)} / ${humanSize(s.blockWrite)}`, String(s.pids),
    ]),
  ]);
}

function toJson({ container: c, stats }: Sample): Record<string, unknown> {
  return { name: c.name, service: c.service, ...stats };
}
