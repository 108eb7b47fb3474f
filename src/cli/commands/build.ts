import type { Argv, CommandModule, Options } from 'yargs';
import type { ProgressListener } from '../../run/progress.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { interruptible, progressFor } from '../run-context.js';
import { printDryRun } from '../dry-run.js';

const options = {
  'no-cache': { type: 'boolean', describe: 'Do not use the build cache' },
  pull: { type: 'boolean', describe: 'Always try to pull a newer version of the base images' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Print no build output' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to build (default: all with a build section)' })
    .options(options);

type BuildArgs = ArgsOf<typeof builder>;

/** The build's output: prefixed lines on stderr, or progress events in `--progress json`; none when quiet. */
function outputFor(args: BuildArgs, emit: ProgressListener): (service: string, ref: string, line: string) => void {
  if (args.quiet || args.progress === 'quiet') return () => {};
  if (args.progress === 'json') {
    return (service, ref, line) => emit({ resource: 'image', name: ref, service, action: 'build', state: 'working', message: line, time: Date.now() });
  }
  return (service, _ref, line) => void process.stderr.write(`${service} | ${line}\n`);
}

export const buildCommand: CommandModule<GlobalArgs, BuildArgs> = {
  command: 'build [services..]',
  describe: 'Build the images of the services that have a build section, tagged <project>-<service> unless they name an image',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'build' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    if (args['dry-run']) {
      const { dryRunBuild } = await import('../../run/dry-run.js');
      return printDryRun(args, Promise.resolve(dryRunBuild(project, args.services?.length ? args.services : Object.keys(project.services))));
    }
    const { buildServices } = await import('../../run/images.js');
    const emit = args.quiet ? () => {} : progressFor(args);
    const names = args.services?.length ? args.services : Object.keys(project.services);
    await interruptible(async (signal) => {
      const built = await buildServices(engine, project, names, {
        noCache: args['no-cache'], pull: args.pull, named: !!args.services?.length, signal, onProgress: emit, output: outputFor(args, emit),
      });
      const quiet = args.quiet || args.progress === 'quiet' || args.progress === 'json';
      if (built === 0 && !args.services?.length && !quiet) process.stderr.write('No service has a build section: nothing to build.\n');
    });
  },
};
