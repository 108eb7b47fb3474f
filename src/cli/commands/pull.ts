import type { Argv, CommandModule } from 'yargs';
import type { Engine } from '../../engine/engine.js';
import { EngineUnreachableError, ServiceFailedError, TugError } from '../../errors.js';
import type { ProgressListener } from '../../run/progress.js';
import type { Project, Service } from '../../stack/model.js';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { interruptible, progressFor } from '../run-context.js';

interface PullArgs extends GlobalArgs {
  services?: string[];
  'ignore-pull-failures'?: boolean;
  quiet?: boolean;
}

/** Why a service's image is not pulled, or undefined when it is. */
export function skipReason(svc: Service): string | undefined {
  if (!svc.image) return 'it is built, not pulled (no image: key)';
  if (svc.pull_policy === 'never') return 'pull_policy is never';
  if (svc.pull_policy === 'build') return 'pull_policy is build';
  return undefined;
}

async function pullOne(
  engine: Engine, ref: string, svc: Service, opts: { ignoreFailure: boolean; signal: AbortSignal }, emit: ProgressListener,
): Promise<string | undefined> {
  const base = { resource: 'image' as const, name: ref, service: svc.name, action: 'pull' };
  if (svc.pull_policy === 'missing' || svc.pull_policy === 'if_not_present') {
    if (await engine.images.localId(ref)) return void emit({ ...base, state: 'skipped', message: 'present, and pull_policy is missing', time: Date.now() });
  }
  const t0 = Date.now();
  emit({ ...base, state: 'working', time: t0 });
  try {
    await engine.images.pull(ref, undefined, opts.signal);
    emit({ ...base, state: 'done', time: Date.now(), durationMs: Date.now() - t0 });
    return undefined;
  } catch (e) {
    if (!(e instanceof TugError) || e instanceof EngineUnreachableError || opts.signal.aborted) throw e;
    if (opts.ignoreFailure) {
      emit({ ...base, state: 'warning', time: Date.now(), message: e.message });
      return undefined;
    }
    emit({ ...base, state: 'error', time: Date.now(), durationMs: Date.now() - t0, error: { code: e.code, message: e.message } });
    return e.message;
  }
}

/** One pull per image however many services use it; the first service using it names it. */
async function pullAll(engine: Engine, project: Project, names: string[], opts: { ignoreFailures: boolean; signal: AbortSignal }, emit: ProgressListener): Promise<string[]> {
  const jobs = new Map<string, Promise<string | undefined>>();
  for (const name of names) {
    const svc = project.services[name]!;
    const skip = skipReason(svc);
    if (skip) {
      emit({ resource: 'service', name, service: name, action: 'pull', state: 'skipped', message: skip, time: Date.now() });
      continue;
    }
    const ref = svc.image!;
    // With a build section a failed pull is no failure: the image can still be built.
    if (!jobs.has(ref)) jobs.set(ref, pullOne(engine, ref, svc, { ignoreFailure: opts.ignoreFailures || !!svc.build, signal: opts.signal }, emit));
  }
  const results = await Promise.allSettled(jobs.values());
  const thrown = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (thrown) throw thrown.reason;
  return results.map((r) => (r as PromiseFulfilledResult<string | undefined>).value).filter((m): m is string => m !== undefined);
}

export const pullCommand: CommandModule<GlobalArgs, PullArgs> = {
  command: 'pull [services..]',
  describe: 'Pull the services\' images (not those only built), all at once',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services whose images to pull (default: all)' })
      .options({
        'ignore-pull-failures': { type: 'boolean', describe: 'Report failed pulls as warnings and exit 0' },
        quiet: { alias: 'q', type: 'boolean', describe: 'Print no progress' },
      }) as unknown as Argv<PullArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const emit = args.quiet ? () => {} : progressFor(args);
    const names = args.services?.length ? args.services : Object.keys(project.services);
    await interruptible(async (signal) => {
      const failures = await pullAll(engine, project, names, { ignoreFailures: !!args['ignore-pull-failures'], signal }, emit);
      if (failures.length === 1) throw new ServiceFailedError('pull_failed', failures[0]!, 'pass --ignore-pull-failures to go on without it');
      if (failures.length > 1) {
        throw new ServiceFailedError('pull_failed', `${failures.length} images could not be pulled:\n  ${failures.join('\n  ')}`,
          'pass --ignore-pull-failures to go on without them');
      }
    });
  },
};
