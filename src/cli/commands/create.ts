import type { CommandModule } from 'yargs';
import { connectEngine } from '../engine.js';
import { mutate } from '../lifecycle-verb.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { printDryRun } from '../dry-run.js';
import { convergeBuilder, convergeRequest, quietPulls, upToDate, type ConvergeArgs } from './up.js';

export const createCommand: CommandModule<GlobalArgs, ConvergeArgs & { 'quiet-pull'?: boolean; yes?: boolean }> = {
  command: 'create [services..]',
  describe: 'Create the stack\'s networks, volumes and containers without starting them (up --no-start)',
  builder: (y) => convergeBuilder('Services to create, with what they depend on')(y).options({
    'quiet-pull': { type: 'boolean', describe: 'Pull without printing progress' },
    yes: { alias: 'y', type: 'boolean', describe: 'Accepted for scripts written for docker compose: tug create never asks a question' },
  }),
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'create' });
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunUp } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunUp(engine, project, { ...convergeRequest(args), noStart: true }));
    }
    const { up } = await import('../../run/up.js');
    await mutate(args, project.name, 'create', async (signal, onProgress) => {
      const result = await up(engine, project, { ...convergeRequest(args), noStart: true, signal, onProgress: quietPulls(onProgress, args['quiet-pull']) });
      return result.unchanged ? [upToDate(result.containers)] : [];
    });
  },
};
