import type { Argv, CommandModule, Options } from 'yargs';
import type { ContainerStats, ContainerSummary } from '../../run/reports.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { onSignals } from '../../util/signals.js';
import { listFormat, ndjson } from '../../ui/list-format.js';
import { binarySize, humanSize, table } from '../table.js';

const options = {
  all: { alias: 'a', type: 'boolean', describe: 'Stopped containers too (default: running only)' },
  'no-stream': { type: 'boolean', describe: 'Print one sample and exit' },
  'no-trunc': { type: 'boolean', describe: 'Do not shorten ids in --format output' },
  format: {
    type: 'string', default: 'table', requiresArg: true,
    describe: 'table, json (docker stats\'s objects, one a line), or a Go template over Container, Name, ID, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs',
  },
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
    const format = listFormat(args.format, { verb: 'stats', sample: STATS_SAMPLE, headers: STATS_HEADERS });
    const project = await loadStack(args, { localOnly: 'stats' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const { resourceUse } = await import('../../run/reports.js');
    const once = args['no-stream'] === true;
    const redraw = !once && format.kind === 'table' && process.stdout.isTTY === true;
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
        const trunc = !args['no-trunc'];
        if (format.kind === 'json') process.stdout.write(ndjson(samples.map((s) => statsRow(s, trunc))));
        else if (format.kind === 'template') process.stdout.write(format.render(samples.map((s) => statsRow(s, trunc))));
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

/** A sample as `docker stats --format json` (which `docker compose stats` is) prints it: docker's statsContext, in key order. */
export function statsRow({ container: c, stats: s }: Sample, trunc = true): Record<string, string> {
  return {
    BlockIO: `${humanSize(s.blockRead)} / ${humanSize(s.blockWrite)}`,
    CPUPerc: pct(s.cpuPercent),
    Container: c.id,
    ID: trunc ? c.id.slice(0, 12) : c.id,
    MemPerc: pct(s.memoryPercent),
    MemUsage: `${binarySize(s.memoryUsage)} / ${binarySize(s.memoryLimit)}`,
    Name: c.name,
    NetIO: `${humanSize(s.netRx)} / ${humanSize(s.netTx)}`,
    PIDs: String(s.pids),
  };
}

const STATS_SAMPLE = { BlockIO: '', CPUPerc: '', Container: '', ID: '', MemPerc: '', MemUsage: '', Name: '', NetIO: '', PIDs: '' };

/** docker's column titles (cli/command/container/formatter_stats.go). */
const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};
