import { split as shellSplit } from 'shlex';
import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import { commandAfterService, commandOf, envFlags, repeatable } from '../interactive.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { withCliLock } from '../project-lock.js';
import { interruptible, progressFor } from '../run-context.js';
import { onSignals } from '../../util/signals.js';
import { tugVersion } from '../version.js';

/** Also read by dashAfterService (argv.ts), to tell a flag's value from the service. */
export const runOptions = {
  rm: { type: 'boolean', describe: 'Remove the container when it has stopped' },
  detach: { alias: 'd', type: 'boolean', describe: 'Start it in the background and print its name' },
  env: { alias: 'e', type: 'string', nargs: 1, coerce: repeatable, describe: 'KEY=value (or KEY, taken from here), repeatable' },
  entrypoint: { type: 'string', nargs: 1, describe: 'Entrypoint instead of the image\'s (split as a shell would; "" clears it)' },
  'no-deps': { type: 'boolean', describe: 'Do not bring up (or wait for) the services it depends on' },
  'no-TTY': { alias: 'T', type: 'boolean', describe: 'Do not allocate a TTY (default: one when stdin and stdout are terminals)' },
  name: { type: 'string', requiresArg: true, describe: 'Container name instead of <project>-<service>-run-<id>' },
  user: { alias: 'u', type: 'string', requiresArg: true, describe: 'Run as this user (name or uid[:gid])' },
  workdir: { alias: 'w', type: 'string', requiresArg: true, describe: 'Working directory inside the container' },
  'service-ports': { type: 'boolean', describe: 'Publish the service\'s ports (a one-off publishes none otherwise)' },
  volume: { alias: 'v', type: 'string', nargs: 1, coerce: repeatable, describe: 'Mount [source:]target[:mode], repeatable' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  commandAfterService(y)
    .positional('service', { type: 'string', demandOption: true, describe: 'The service' })
    .positional('cmd', { type: 'string', array: true, describe: 'A command instead of the service\'s' })
    .options(runOptions)
    .epilogue('Exit codes: the container\'s own; 5 when a dependency cannot be brought up or its condition fails, 130 when interrupted before the container started.');

export const runCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'run <service> [cmd..]',
  describe: 'Run a one-off container of a service, once its dependencies are ready; exits with its exit code',
  builder,
  handler: async (args) => {
    const project = await loadStack(args, { localOnly: 'run' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, [args.service]);
    const oneoffs = await import('../../run/oneoff.js');
    const { createOneOff, parseVolumeFlag, planOneOff, removeOneOff, runAttached, startDetached, startDependencies } = oneoffs;
    const { processStdio, wantsTty } = await import('../../run/stdio.js');
    const io = processStdio();
    const detach = args.detach === true;
    const req = {
      service: args.service, command: commandOf(args), entrypoint: entrypointOf(args.entrypoint), env: envFlags(args.env),
      name: args.name, user: args.user, workdir: args.workdir, servicePorts: args['service-ports'],
      volumes: (args.volume ?? []).map((v) => parseVolumeFlag(v, project)),
      tty: !detach && wantsTty(io, args['no-TTY']), interactive: !detach, detach, autoRemove: detach && args.rm === true,
    };
    const engine = await connectEngine();
    const progress = progressFor(args);
    const version = tugVersion();
    let oneoff: { id: string; name: string } | undefined;
    try {
      await interruptible(async (signal) => {
        const opts = { signal, onProgress: progress.listener, version };
        // Refused here, before any dependency is brought up, if tug cannot run it.
        const planned = await planOneOff(engine, project, req, opts);
        // Held while dependencies converge only: the one-off itself may run for hours.
        if (!args['no-deps']) await withCliLock(args, project.name, 'run', signal, () => startDependencies(engine, project, args.service, opts), engine);
        oneoff = await createOneOff(engine, project, planned, opts);
      });
      // The display must have drawn its last frame before the container's output takes over.
      await progress.close();
      if (detach) {
        await startDetached(engine, oneoff!, { project, service: args.service });
        process.stdout.write(`${oneoff!.name}\n`);
        return;
      }
      const started = oneoff!;
      process.exitCode = await forwardingSignals((sig) => oneoffs.signalOneOff(engine, started, sig), () => runAttached(engine, started, req, io, { project, service: args.service }));
    } finally {
      await progress.close();
      if (oneoff && args.rm && !detach) await removeOneOff(engine, oneoff);
    }
  },
};

function entrypointOf(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  if (v.trim() === '') return [''];
  try {
    return shellSplit(v);
  } catch (e) {
    throw new UsageError(`--entrypoint: ${(e as Error).message}`);
  }
}

/**
 * Ctrl-C and SIGTERM go to the container, as `docker run` proxies them; the container decides
 * when it ends. A second signal kills it, for a process that ignores the first (PID 1 does).
 */
async function forwardingSignals<T>(send: (signal: string) => void, task: () => Promise<T>): Promise<T> {
  let count = 0;
  const forward = (sig: NodeJS.Signals): void => {
    count++;
    send(count > 1 ? 'SIGKILL' : sig);
  };
  const release = onSignals(forward);
  try {
    return await task();
  } finally {
    release();
  }
}
