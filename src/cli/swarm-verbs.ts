/**
 * The verbs in swarm mode: the same flags as on one engine, the runner in run/swarm, the
 * output in the same shapes (a table on stdout, `--format json`, progress on stderr).
 */
import type { ChalkInstance } from 'chalk';
import type { Engine } from '../engine/engine.js';
import { UsageError } from '../errors.js';
import type { Project } from '../stack/model.js';
import { connectEngine } from './engine.js';
import type { GlobalArgs } from './options.js';
import { withCliLock } from './project-lock.js';
import { interruptible, progressFor } from './run-context.js';
import { registryOf } from './swarm-mode.js';
import { binarySize, printJson, table } from './table.js';

/** Flags of `up` that have no meaning for services the manager schedules. */
const UP_LOCAL_ONLY = ['no-start', 'abort-on-container-exit', 'exit-code-from', 'no-deps', 'scale', 'force-recreate', 'no-recreate', 'always-recreate-deps', 'attach'] as const;

export async function swarmUpVerb(
  args: GlobalArgs & { services?: string[]; wait?: boolean; 'wait-timeout'?: number; 'remove-orphans'?: boolean; registry?: string } & Partial<Record<(typeof UP_LOCAL_ONLY)[number], unknown>>,
  project: Project,
): Promise<void> {
  for (const f of UP_LOCAL_ONLY) {
    const v = args[f];
    if (v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)) throw new UsageError(`--${f} has no meaning in swarm mode`, 'the manager schedules the services: leave it out');
  }
  if (args.services?.length) throw new UsageError('tug --swarm up deploys the whole stack', 'leave out the service names (use tug --swarm scale to change one service)');
  const engine = await connectEngine();
  const { swarmUp } = await import('../run/swarm/deploy.js');
  const progress = progressFor(args);
  await interruptible(async (signal) => {
    const result = await withCliLock(args, project.name, 'up', signal, () => swarmUp(engine, project, {
      registry: registryOf(args.registry, project), wait: args.wait, waitTimeoutSeconds: args['wait-timeout'],
      removeOrphans: args['remove-orphans'], signal, onProgress: progress.listener,
    }), engine);
    await progress.close();
    const n = result.plan.services.length;
    if (result.unchanged) process.stderr.write(`Nothing to do: ${n} service${n === 1 ? '' : 's'} already up to date.\n`);
  }).finally(() => progress.close());
}

export async function swarmDownVerb(args: GlobalArgs & { volumes?: boolean }, project: string): Promise<void> {
  const engine = await connectEngine();
  const { swarmDown } = await import('../run/swarm/down.js');
  const progress = progressFor(args);
  try {
    // A signal ends the wait for the lock; once held, the manager's removals run to their end.
    let r!: Awaited<ReturnType<typeof swarmDown>>;
    await interruptible(async (signal) => {
      r = await withCliLock(args, project, 'down', signal, () => swarmDown(engine, project, { volumes: args.volumes, onProgress: progress.listener }), engine);
    });
    await progress.close();
    if (r.volumesLeft.length) {
      process.stderr.write(`Volumes this engine could not remove (in use, or on other nodes, whose engines tug cannot reach through the manager): ${r.volumesLeft.join(', ')}\n`
        + 'remove them on each node with: docker volume rm NAME\n');
    }
    if (args.volumes) {
      process.stderr.write('Named volumes live on the node each task ran on: those on other nodes stay until removed there (docker volume ls --filter label=com.docker.stack.namespace='
        + `${project} on each node).\n`);
    }
  } finally {
    await progress.close();
  }
}

export async function swarmPsVerb(args: GlobalArgs & { services?: string[]; all?: boolean; quiet?: boolean; format?: string }, project: string): Promise<void> {
  const engine = await connectEngine();
  const { swarmPs } = await import('../run/swarm/status.js');
  const rows = await swarmPs(engine, project, { all: args.all, services: args.services });
  if (args.quiet) return void process.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
  if (args.format === 'json') return printJson(rows);
  const lines = [['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS']];
  for (const r of rows) lines.push([r.id.slice(0, 12), `${r.history ? ' \\_ ' : ''}${r.name}`, r.image.split('@')[0]!, r.node, r.desired, r.current, r.error, r.ports]);
  process.stdout.write(table(lines));
}

export async function swarmScaleVerb(args: GlobalArgs, project: string, replicas: Record<string, number>): Promise<void> {
  const engine = await connectEngine();
  const { swarmScale } = await import('../run/swarm/ops.js');
  await mutating(args, project, 'scale', (onProgress) => swarmScale(engine, project, replicas, { onProgress }));
}

export async function swarmRestartVerb(args: GlobalArgs & { services?: string[] }, project: string): Promise<void> {
  const engine = await connectEngine();
  const { swarmRestart } = await import('../run/swarm/ops.js');
  await mutating(args, project, 'restart', (onProgress) => swarmRestart(engine, project, args.services ?? [], { onProgress }));
}

async function mutating(args: GlobalArgs, project: string, verb: string, task: (onProgress: ReturnType<typeof progressFor>['listener']) => Promise<void>): Promise<void> {
  const progress = progressFor(args);
  await interruptible((signal) => withCliLock(args, project, verb, signal, () => task(progress.listener))).finally(() => progress.close());
}

export async function swarmLogsVerb(
  args: GlobalArgs & { services?: string[]; follow?: boolean; timestamps?: boolean; 'no-log-prefix'?: boolean },
  project: string, opts: { tail?: number | 'all'; since?: string; color: ChalkInstance; signal: AbortSignal },
): Promise<void> {
  const engine = await connectEngine();
  const { swarmLogs } = await import('../run/swarm/logs.js');
  await swarmLogs(engine, project, {
    services: args.services, follow: args.follow, tail: opts.tail, since: opts.since, timestamps: args.timestamps,
    prefix: !args['no-log-prefix'], color: opts.color, signal: opts.signal,
  });
}

/** `tug --swarm config --format json`: the ServiceSpecs (and networks, secrets, configs) tug would send. */
export async function swarmConfigVerb(project: Project): Promise<void> {
  const { translate } = await import('../run/swarm/config.js');
  const c = translate(project);
  printJson({ services: c.services, networks: c.networks, externalNetworks: c.externalNetworks, secrets: c.secrets, configs: c.configs, warnings: c.warnings });
}

export async function nodesVerb(args: GlobalArgs & { format?: string }, project: string | undefined, engine?: Engine): Promise<void> {
  const { swarmNodes } = await import('../run/swarm/status.js');
  const nodes = await swarmNodes(engine ?? await connectEngine(), project);
  if (args.format === 'json') return printJson(nodes);
  const rows = [['ID', 'HOSTNAME', 'ROLE', 'STATE', 'AVAILABILITY', 'CPUS', 'MEMORY', 'ADDRESS', project ? `TASKS OF ${project}` : 'TASKS']];
  for (const n of nodes) {
    rows.push([n.id.slice(0, 12), n.hostname, n.leader ? 'manager (leader)' : n.role, n.state, n.availability, String(n.cpus), binarySize(n.memoryBytes), n.address, n.tasks.join(', ')]);
  }
  process.stdout.write(table(rows));
}
