import type { Argv, CommandModule } from 'yargs';
import type { Engine } from '../../engine/engine.js';
import { EngineUnreachableError, ServiceFailedError, TugError } from '../../errors.js';
import { step, type ProgressListener } from '../../run/progress.js';
import type { Service } from '../../stack/model.js';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { interruptible, progressFor } from '../run-context.js';

interface BuildArgs extends GlobalArgs {
  services?: string[];
  'no-cache'?: boolean;
  pull?: boolean;
  quiet?: boolean;
}

interface BuildRun {
  engine: Engine;
  noCache: boolean;
  pull: boolean;
  signal: AbortSignal;
  emit: ProgressListener;
  /** Where the build's own output goes, line by line. */
  output: (svc: Service, ref: string, line: string) => void;
}

async function buildOne(run: BuildRun, svc: Service, ref: string): Promise<void> {
  const b = svc.build!;
  await step(run.emit, { resource: 'image', name: ref, service: svc.name, action: 'build' }, () => run.engine.images.build({
    context: b.context, dockerfile: b.dockerfile, tags: [ref, ...(b.tags ?? [])], target: b.target, labels: b.labels,
    args: Object.fromEntries(Object.entries(b.args ?? {}).filter((e): e is [string, string] => e[1] !== null)),
    noCache: run.noCache || b.no_cache, pull: run.pull || b.pull, signal: run.signal,
    onProgress: (line) => run.output(svc, ref, line),
  }));
}

/** The build's output: prefixed lines on stderr, or progress events in `--progress json`; none when quiet. */
function outputFor(args: BuildArgs, emit: ProgressListener): BuildRun['output'] {
  if (args.quiet || args.progress === 'quiet') return () => {};
  if (args.progress === 'json') {
    return (svc, ref, line) => emit({ resource: 'image', name: ref, service: svc.name, action: 'build', state: 'working', message: line, time: Date.now() });
  }
  return (svc, _ref, line) => void process.stderr.write(`${svc.name} | ${line}\n`);
}

export const buildCommand: CommandModule<GlobalArgs, BuildArgs> = {
  command: 'build [services..]',
  describe: 'Build the images of the services that have a build section, tagged <project>-<service> unless they name an image',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services to build (default: all with a build section)' })
      .options({
        'no-cache': { type: 'boolean', describe: 'Do not use the build cache' },
        pull: { type: 'boolean', describe: 'Always try to pull a newer version of the base images' },
        quiet: { alias: 'q', type: 'boolean', describe: 'Print no build output' },
      }) as unknown as Argv<BuildArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const { serviceImage } = await import('../../engine/request/index.js');
    const engine = await connectEngine();
    const emit = args.quiet ? () => {} : progressFor(args);
    const names = args.services?.length ? args.services : Object.keys(project.services);
    await interruptible(async (signal) => {
      const run: BuildRun = { engine, noCache: !!args['no-cache'], pull: !!args.pull, signal, emit, output: outputFor(args, emit) };
      const jobs = new Map<string, Promise<void>>();
      for (const name of names) {
        const svc = project.services[name]!;
        if (!svc.build) {
          if (args.services?.length) emit({ resource: 'service', name, service: name, action: 'build', state: 'skipped', message: 'no build section', time: Date.now() });
          continue;
        }
        const ref = serviceImage(project, svc);
        if (!jobs.has(ref)) jobs.set(ref, buildOne(run, svc, ref));
      }
      const results = await Promise.allSettled(jobs.values());
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
      const fatal = failures.find((e) => !(e instanceof TugError) || e instanceof EngineUnreachableError || signal.aborted);
      if (fatal !== undefined) throw fatal;
      if (failures.length === 1) throw new ServiceFailedError('build_failed', (failures[0] as Error).message);
      if (failures.length > 1) {
        throw new ServiceFailedError('build_failed', `${failures.length} builds failed:\n  ${failures.map((e) => (e as Error).message).join('\n  ')}`);
      }
      const quiet = args.quiet || args.progress === 'quiet' || args.progress === 'json';
      if (jobs.size === 0 && !args.services?.length && !quiet) process.stderr.write('No service has a build section: nothing to build.\n');
    });
  },
};
