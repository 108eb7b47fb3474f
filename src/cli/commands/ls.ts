import type { Argv, CommandModule } from 'yargs';
import { type ContainerState } from '../../engine/engine.js';
import type { ContainerSummary } from '../../plan/observed.js';
import { LABEL } from '../../labels.js';
import { connectEngine } from '../engine.js';
import type { GlobalArgs } from '../options.js';
import { printJson, table } from '../table.js';
import { listContainers } from '../../run/observe.js';

interface LsArgs extends GlobalArgs {
  all?: boolean;
  quiet?: boolean;
  format?: 'table' | 'json';
}

export interface ProjectListing {
  name: string;
  /** `running(3), exited(1)` */
  status: string;
  /** The stack files the containers were created from, comma-separated as in the label. */
  configFiles: string;
  running: number;
}

/** Live states first: the status should say at a glance whether the project is up. */
const STATE_ORDER: ContainerState[] = ['running', 'restarting', 'paused', 'created', 'removing', 'exited', 'dead'];

export function formatStatus(counts: ReadonlyMap<string, number>): string {
  const rank = (s: string): number => {
    const i = STATE_ORDER.indexOf(s as ContainerState);
    return i < 0 ? STATE_ORDER.length : i;
  };
  return [...counts].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)).map(([s, n]) => `${s}(${n})`).join(', ');
}

/** The engine's containers grouped by their project label, sorted by project name. */
export function groupProjects(containers: readonly ContainerSummary[]): ProjectListing[] {
  const projects = new Map<string, { counts: Map<string, number>; files: string[] }>();
  for (const c of containers) {
    const name = c.labels[LABEL.project];
    if (!name) continue;
    let p = projects.get(name);
    if (!p) projects.set(name, (p = { counts: new Map(), files: [] }));
    p.counts.set(c.state, (p.counts.get(c.state) ?? 0) + 1);
    for (const f of (c.labels[LABEL.configFiles] ?? '').split(',')) if (f && !p.files.includes(f)) p.files.push(f);
  }
  return [...projects]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => ({ name, status: formatStatus(p.counts), configFiles: p.files.join(','), running: p.counts.get('running') ?? 0 }));
}

export const lsCommand: CommandModule<GlobalArgs, LsArgs> = {
  command: 'ls',
  describe: 'List the projects on the engine (by default those with a running container)',
  builder: (y: Argv<GlobalArgs>) =>
    y.options({
      all: { alias: 'a', type: 'boolean', describe: 'Include projects whose containers are all stopped' },
      quiet: { alias: 'q', type: 'boolean', describe: 'Only print project names' },
      format: { choices: ['table', 'json'] as const, default: 'table' as const },
    }) as unknown as Argv<LsArgs>,
  handler: async (args) => {
    const engine = await connectEngine();
    const containers = await listContainers(engine, { all: true, labels: [LABEL.project] });
    const projects = groupProjects(containers).filter((p) => args.all || p.running > 0);
    if (args.quiet) return void process.stdout.write(projects.map((p) => `${p.name}\n`).join(''));
    if (args.format === 'json') return printJson(projects.map(({ name, status, configFiles }) => ({ name, status, configFiles })));
    const rows = [['NAME', 'STATUS', 'CONFIG FILES']];
    for (const p of projects) rows.push([p.name, p.status, p.configFiles]);
    process.stdout.write(table(rows));
  },
};
