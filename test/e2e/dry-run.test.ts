/**
 * `--dry-run` on the real engine: each mutating verb prints its plan's actions and leaves the
 * engine as it was (the project's containers, their states, networks and volumes); the
 * actions `up`/`down` print are those the real run then reports.
 */
import { describe, expect, it } from 'vitest';
import { docker, e2eScope, IMAGE, tug } from './helpers.js';
import { listContainers, listNetworks, listVolumes } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
  },
});
const { engine } = scope;
const project = scope.project('dryrun');
let dir: string;

const STACK = `
name: ${project}
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    volumes: [data:/data]
  web:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    depends_on: [db]
volumes:
  data: {}
`;

/** Everything of the project the engine holds, and containers named after it that carry no label. */
async function snapshot(): Promise<string> {
  const containers = (await listContainers(engine, { project, all: true })).map((c) => `${c.id} ${c.name} ${c.state}`).sort();
  const networks = (await listNetworks(engine, { project })).map((n) => `${n.id} ${n.name}`).sort();
  const volumes = (await listVolumes(engine, { project })).map((v) => v.name).sort();
  const named = (await docker(['ps', '-a', '--filter', `name=${project}`, '--format', '{{.ID}} {{.Status}}'])).stdout.split('\n').map((l) => l.replace(/ .*/, '')).sort();
  return JSON.stringify({ containers, networks, volumes, named });
}

type Row = { resource: string; action: string; name: string; state?: string; dryRun?: boolean };
const parse = (out: string): Row[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row);
/** What changed, as `resource action name`, from a run's --progress json (its settled events) or a dry run's. */
const actions = (rows: Row[], kinds = ['create', 'recreate', 'start', 'stop', 'remove']): string[] =>
  rows.filter((r) => r.state === 'done' && kinds.includes(r.action) && ['container', 'network', 'volume'].includes(r.resource))
    .map((r) => `${r.resource} ${r.action} ${r.name}`).sort();

describe('--dry-run on the real engine', () => {
  it('up --dry-run changes nothing, and prints the actions the real up then takes', async () => {
    const before = await snapshot();
    const text = await tug(['--dry-run', 'up', '-d'], dir);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain(`DRY-RUN MODE -  Container ${project}-web-1  Created`);
    expect(text.stderr).toContain(`DRY-RUN MODE -  Network ${project}_default  Created`);
    const dry = await tug(['up', '-d', '--dry-run', '--progress', 'json'], dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(await snapshot()).toBe(before);
    const planned = parse(dry.stderr);
    expect(planned.every((r) => r.dryRun === true)).toBe(true);

    const real = await tug(['up', '-d', '--progress', 'json'], dir);
    expect(real.code, real.stderr).toBe(0);
    expect(actions(planned)).toEqual(actions(parse(real.stderr)));
    expect(actions(planned)).toEqual([
      `container create ${project}-db-1`, `container create ${project}-web-1`, `container start ${project}-db-1`, `container start ${project}-web-1`,
      `network create ${project}_default`, `volume create ${project}_data`,
    ].sort());
  });

  it('with the stack up, every mutating verb\'s dry run leaves it as it is', async () => {
    const before = await snapshot();
    const runs: [string[], string][] = [
      [['--dry-run', 'stop'], `Container ${project}-web-1  Stopped`],
      [['--dry-run', 'kill'], `Container ${project}-db-1  Killed`],
      [['--dry-run', 'pause', 'web'], `Container ${project}-web-1  Paused`],
      [['--dry-run', 'restart'], `Container ${project}-db-1  Started`],
      [['--dry-run', 'rm', '-s'], `Container ${project}-web-1  Removed`],
      [['--dry-run', 'scale', 'web=2'], `Container ${project}-web-2  Created`],
      [['--dry-run', 'up', '-d', '--force-recreate'], `Container ${project}-db-1  Recreated`],
      [['--dry-run', 'create', '--force-recreate', 'web'], `Container ${project}-web-1  Recreated`],
      // pull asks the registry whatever is present (no registry is reached in a dry run).
      [['--dry-run', 'pull'], `Image ${IMAGE}  Pulled`],
    ];
    for (const [args, line] of runs) {
      const r = await tug(args, dir);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr, args.join(' ')).toContain(line);
    }
    expect(await snapshot()).toBe(before);
  });

  it('stop --dry-run lists dependents first, in the order stop takes them', async () => {
    const r = await tug(['--dry-run', 'stop'], dir);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('DRY-RUN'));
    expect(lines).toEqual([`DRY-RUN MODE -  Container ${project}-web-1  Stopped`, `DRY-RUN MODE -  Container ${project}-db-1  Stopped`]);
  });

  it('down -v --dry-run changes nothing, and prints what the real down then removes', async () => {
    const before = await snapshot();
    const dry = await tug(['--dry-run', 'down', '-v', '--progress', 'json'], dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(await snapshot()).toBe(before);
    const real = await tug(['down', '-v', '--progress', 'json'], dir);
    expect(real.code, real.stderr).toBe(0);
    expect(actions(parse(dry.stderr))).toEqual(actions(parse(real.stderr)));
    expect(actions(parse(dry.stderr))).toContain(`volume remove ${project}_data`);
  });

  it('a verb that would run something for real refuses --dry-run', async () => {
    for (const args of [['--dry-run', 'exec', 'web', 'true'], ['run', '--dry-run', 'web', 'true']]) {
      const r = await tug(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/tug does not support --dry-run of tug (exec|run)/);
    }
  });
});
