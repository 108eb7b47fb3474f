import { createInterface } from 'node:readline/promises';
import type { Argv, CommandModule, Options } from 'yargs';
import { ExitCode, TugError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import { printDryRun } from '../dry-run.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { mutate } from '../lifecycle-verb.js';

const options = {
  force: { type: 'boolean', describe: 'Do not ask for confirmation (-f after the verb)' },
  stop: { alias: 's', type: 'boolean', describe: 'Stop running containers first, then remove them too' },
  volumes: { alias: 'v', type: 'boolean', describe: 'Also remove the containers\' anonymous volumes' },
  timeout: { alias: 't', type: 'number', requiresArg: true, describe: 'With -s: seconds to wait for each container to stop' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services whose containers to remove (default: all)' })
    .options(options);

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export const rmCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'rm [services..]',
  describe: 'Remove stopped containers (asks first; -f does not)',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'rm' });
    const engine = await connectEngine();
    // Nothing is removed, so nothing is asked.
    if (args['dry-run']) {
      const { dryRunLifecycle } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunLifecycle(engine, project, 'rm', { services: args.services, stop: args.stop }));
    }
    const { planRm, rm } = await import('../../run/lifecycle.js');
    const plan = await planRm(engine, project, { services: args.services, stop: args.stop });
    if (plan.skipped.length > 0) {
      process.stderr.write(`Not removing running container${plan.skipped.length === 1 ? '' : 's'} ${plan.skipped.map((c) => c.name).join(', ')} (stop first, or pass -s)\n`);
    }
    if (plan.remove.length === 0) return void process.stderr.write('No stopped containers to remove.\n');
    const what = `${args.stop && plan.stopFirst.length ? 'stop and ' : ''}remove ${plan.remove.map((c) => c.name).join(', ')}`;
    if (!args.force) {
      process.stderr.write(`Going to ${what}\n`);
      if (!process.stdin.isTTY) {
        throw new TugError('confirmation_required', `refusing to remove ${plan.remove.length} container${plan.remove.length === 1 ? '' : 's'} without confirmation: stdin is not a terminal`,
          { exitCode: ExitCode.usage, hint: 'pass -f to remove them without asking' });
      }
      if (!(await confirm('Are you sure? [y/N] '))) return void process.stderr.write('Nothing removed.\n');
    }
    await mutate(args, project.name, 'rm', async (signal, onProgress) => {
      const r = await rm(engine, project, plan, { volumes: args.volumes, timeout: args.timeout, signal, onProgress });
      if (r.volumes.length) return [`Removed ${r.volumes.length} anonymous volume${r.volumes.length === 1 ? '' : 's'}: ${r.volumes.join(', ')}`];
    });
  },
};
