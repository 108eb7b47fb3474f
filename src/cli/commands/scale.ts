import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';
import { tugVersion } from '../version.js';
import { swarmScaleVerb } from '../swarm-verbs.js';
import { isSwarm } from '../swarm-mode.js';
import { printDryRun, refuseDryRunInSwarm } from '../dry-run.js';

const options = {
  'no-deps': { type: 'boolean', describe: 'Do not start the services the scaled ones depend on' },
  wait: { type: 'boolean', describe: 'Return once every replica is running and healthy' },
  'wait-timeout': { type: 'number', requiresArg: true, describe: 'Seconds the whole command may take, dependency gates included, before failing (exit 5)' },
  timeout: { alias: 't', type: 'number', requiresArg: true, describe: 'Seconds to wait for removed replicas to stop' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('replicas', { type: 'string', array: true, demandOption: true, describe: 'SERVICE=N, one or more' })
    .options(options)
    .epilogue(
      'New replicas are numbered after the highest existing one; scaling down removes out-of-date replicas, then the ' +
      'highest-numbered, each stopped gracefully first. Named volumes are never removed. A service scaled to 0 stays ' +
      'in the project: `tug config --services` still lists it, `tug ps -a` shows no container for it, and `tug up` ' +
      'brings it back at the scale its file gives.',
    );

export function parseReplicas(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (!m) throw new UsageError(`invalid replica count "${v}"`, 'use SERVICE=NUMBER, e.g. tug scale web=3');
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export const scaleCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'scale <replicas..>',
  describe: 'Set the number of containers of services (SERVICE=N), as up --scale does',
  builder,
  handler: async (args) => {
    const scale = parseReplicas(args.replicas);
    const project = await loadStack(args);
    refuseDryRunInSwarm(args, project, 'scale');
    if (isSwarm(args, project)) return swarmScaleVerb(args, project.name, scale);
    const { checkScale } = await import('../../plan/lifecycle.js');
    // Before the engine is even contacted: a refusal must not depend on it.
    checkScale(project, scale);
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunUp } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunUp(engine, project, { targets: Object.keys(scale), scale, noDeps: args['no-deps'] === true, wait: args.wait, version: tugVersion() }));
    }
    const { up } = await import('../../run/up.js');
    await mutate(args, project.name, 'scale', async (signal, onProgress) => {
      const result = await up(engine, project, {
        targets: Object.keys(scale), scale, noDeps: args['no-deps'] === true, wait: args.wait, waitTimeoutSeconds: args['wait-timeout'],
        stopTimeout: args.timeout, signal, onProgress, version: tugVersion(),
      });
      return Object.entries(scale).map(([service, n]) => {
        const names = (result.containers[service] ?? []).map((c) => c.name);
        return n === 0
          ? `${service}: 0 containers; the service stays in the project, its named volumes are kept, and tug up brings it back to ${project.services[service]!.scale}`
          : `${service}: ${names.length} container${names.length === 1 ? '' : 's'} (${names.join(', ')})`;
      });
    });
  },
};
