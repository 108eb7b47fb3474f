import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { progressFor, interruptible } from '../run-context.js';
import { tugVersion } from '../version.js';

interface UpArgs extends GlobalArgs {
  services?: string[];
  detach?: boolean;
  wait?: boolean;
  'wait-timeout'?: number;
  'no-deps'?: boolean;
  scale?: string[];
  'no-start'?: boolean;
  pull?: string;
  build?: boolean;
  'force-recreate'?: boolean;
  'no-recreate'?: boolean;
  'always-recreate-deps'?: boolean;
  'remove-orphans'?: boolean;
  parallel?: number;
  timeout?: number;
}

export function parseScale(values: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (!m) throw new UsageError(`invalid --scale "${v}"`, 'use SERVICE=NUMBER, e.g. --scale web=3');
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export const upCommand: CommandModule<GlobalArgs, UpArgs> = {
  command: 'up [services..]',
  describe: 'Create and start the stack (each service as soon as its dependencies are ready)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services to bring up, with what they depend on' })
      .options({
        detach: { alias: 'd', type: 'boolean', describe: 'Run in the background; do not follow logs' },
        wait: { type: 'boolean', describe: 'Return once every service is running and healthy (implies -d)' },
        'wait-timeout': { type: 'number', describe: 'Seconds --wait waits before failing' },
        'no-deps': { type: 'boolean', describe: 'Do not start the services the named ones depend on' },
        scale: { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: 'SERVICE=N replicas, repeatable' },
        'no-start': { type: 'boolean', describe: 'Create containers without starting them' },
        pull: { choices: ['always', 'missing', 'never', 'build'], describe: 'Pull images before creating containers' },
        build: { type: 'boolean', describe: 'Build images before starting containers' },
        'force-recreate': { type: 'boolean', describe: 'Recreate containers even if nothing changed' },
        'no-recreate': { type: 'boolean', describe: 'Never recreate existing containers' },
        'always-recreate-deps': { type: 'boolean', describe: 'Recreate dependent containers too' },
        'remove-orphans': { type: 'boolean', describe: 'Remove containers of services no longer in the file' },
        parallel: { type: 'number', describe: 'Engine calls in flight at once (default: 8 per engine CPU, 8 to 64)' },
        timeout: { alias: 't', type: 'number', describe: 'Seconds to wait for replaced containers to stop' },
      })
      .conflicts('force-recreate', 'no-recreate') as unknown as Argv<UpArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const engine = await connectEngine();
    const { up } = await import('../../run/up.js');
    const onProgress = progressFor(args);
    await interruptible(async (signal) => {
      const result = await up(engine, project, {
        targets: args.services, noDeps: args['no-deps'], scale: parseScale(args.scale), noStart: args['no-start'],
        pull: args.pull, build: args.build, forceRecreate: args['force-recreate'], noRecreate: args['no-recreate'],
        alwaysRecreateDeps: args['always-recreate-deps'], removeOrphans: args['remove-orphans'], parallel: args.parallel,
        stopTimeout: args.timeout, wait: args.wait, waitTimeoutSeconds: args['wait-timeout'], signal, onProgress,
        version: tugVersion(),
      });
      if (result.unchanged) {
        const n = Object.values(result.containers).flat().length;
        process.stderr.write(`Nothing to do: ${n} container${n === 1 ? '' : 's'} already up to date.\n`);
      }
      if (args.detach || args.wait || args['no-start']) return;
      const { attach } = await import('../../run/attach.js');
      await attach(engine, project, Object.values(result.containers).flat(), { signal, onProgress, stopTimeout: args.timeout });
    });
  },
};
