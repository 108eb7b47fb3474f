import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import type { Project } from '../../stack/model.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { withCliLock } from '../project-lock.js';
import { progressFor, interruptible, stdoutColors } from '../run-context.js';
import { tugVersion } from '../version.js';
import { swarmUpVerb } from '../swarm-verbs.js';
import type { ProgressListener } from '../../run/progress.js';
import { isSwarm } from '../swarm-mode.js';
import { printDryRun, refuseDryRunInSwarm } from '../dry-run.js';

/** What the convergence flags ask of run/up. */
export function convergeRequest(args: ConvergeArgs) {
  return {
    targets: args.services, noDeps: args['no-deps'], scale: parseScale(args.scale), pull: args.pull, build: args.build, noBuild: args['no-build'],
    forceRecreate: args['force-recreate'], noRecreate: args['no-recreate'], alwaysRecreateDeps: args['always-recreate-deps'],
    removeOrphans: args['remove-orphans'], parallel: args.parallel, stopTimeout: args.timeout, version: tugVersion(),
  };
}

/** What `up` and `create` say when converging changed nothing. */
export function upToDate(containers: Record<string, readonly unknown[]>): string {
  const n = Object.values(containers).flat().length;
  return `Nothing to do: ${n} container${n === 1 ? '' : 's'} already up to date.`;
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

/** What `up` and `create` share: how the project's containers are brought to its file. */
export const convergeOptions = {
  'no-deps': { type: 'boolean', describe: 'Do not bring up the services the named ones depend on' },
  scale: { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: 'SERVICE=N replicas, repeatable' },
  pull: { choices: ['always', 'missing', 'never', 'build'], describe: 'Pull images before creating containers' },
  build: { type: 'boolean', describe: 'Build images before creating containers' },
  'no-build': { type: 'boolean', describe: 'Never build an image, even a missing one (a service with build: and no image fails)' },
  'force-recreate': { type: 'boolean', describe: 'Recreate containers even if nothing changed' },
  'no-recreate': { type: 'boolean', describe: 'Never recreate existing containers' },
  'always-recreate-deps': { type: 'boolean', describe: 'Recreate dependent containers too' },
  'remove-orphans': { type: 'boolean', describe: 'Remove containers of services no longer in the file' },
  timeout: { alias: 't', type: 'number', requiresArg: true, describe: 'Seconds to wait for replaced containers to stop' },
} as const satisfies Record<string, Options>;

/**
 * `create`'s builder, whose arguments are those `up` shares with it (up's builder cannot start
 * from this one: its own flags come first in its help).
 */
export const convergeBuilder = (describe: string) => (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe })
    .options(convergeOptions)
    .conflicts('force-recreate', 'no-recreate')
    .conflicts('build', 'no-build');

/** The arguments of convergeOptions and the services they apply to, shared by `up` and `create`. */
export type ConvergeArgs = ArgsOf<ReturnType<typeof convergeBuilder>>;

const upOptions = {
  detach: { alias: 'd', type: 'boolean', describe: 'Run in the background; do not follow logs' },
  wait: { type: 'boolean', describe: 'Return once every service is running and healthy (implies -d)' },
  'wait-timeout': { type: 'number', requiresArg: true, describe: 'Seconds the whole command may take, dependency gates included, before failing (exit 5)' },
  'no-start': { type: 'boolean', describe: 'Create containers without starting them' },
  ...convergeOptions,
  'abort-on-container-exit': { type: 'boolean', describe: 'Stop the stack when any container exits, and exit with its code' },
  'abort-on-container-failure': { type: 'boolean', describe: 'Stop the stack when any container exits with a non-zero code, and exit with its code' },
  'exit-code-from': { type: 'string', requiresArg: true, describe: 'Exit with this service\'s exit code (implies --abort-on-container-exit)' },
  registry: { type: 'string', requiresArg: true, describe: 'Swarm mode: the registry (HOST:PORT) every node pulls from; tug pushes the images it builds or only has locally there' },
  watch: { alias: 'w', type: 'boolean', describe: 'Follow the logs and apply the services\' develop.watch rules as files change (see tug watch)' },
  attach: { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: 'Print the output of this service only, repeatable; up ends when the printed (or named) services have stopped' },
  'no-attach': { type: 'string', nargs: 1, coerce: (v: string | string[]) => [v].flat(), describe: 'Do not print the output of this service, repeatable' },
  'attach-dependencies': { type: 'boolean', describe: 'Also print the output of the services the named ones depend on' },
  timestamps: { type: 'boolean', describe: 'Show the engine\'s timestamp of each line' },
  'no-log-prefix': { type: 'boolean', describe: 'Print the lines without the container prefix' },
  'renew-anon-volumes': { alias: 'V', type: 'boolean', describe: 'Recreate the containers with new anonymous volumes instead of taking over the old containers\' (their data is removed)' },
  'quiet-pull': { type: 'boolean', describe: 'Pull without printing progress' },
  'quiet-build': { type: 'boolean', describe: 'Build without printing progress' },
  yes: { alias: 'y', type: 'boolean', describe: 'Accepted for scripts written for docker compose: tug up never asks a question' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to bring up, with what they depend on' })
    .options(upOptions)
    .conflicts('force-recreate', 'no-recreate')
    .conflicts('build', 'no-build')
    // Compose: "--abort-on-container-failure cannot be combined with --abort-on-container-exit".
    .conflicts('abort-on-container-failure', 'abort-on-container-exit')
    // These need the logs followed until something exits, which a detached up never does.
    .conflicts('detach', ['abort-on-container-exit', 'abort-on-container-failure', 'exit-code-from', 'attach-dependencies'])
    .conflicts('wait', ['abort-on-container-exit', 'abort-on-container-failure', 'exit-code-from', 'attach-dependencies'])
    .conflicts('no-start', ['abort-on-container-exit', 'abort-on-container-failure', 'exit-code-from', 'attach-dependencies'])
    // Watching goes with the attached up it replaces: the logs followed until Ctrl-C; and it builds.
    .conflicts('watch', ['detach', 'wait', 'no-start', 'abort-on-container-exit', 'abort-on-container-failure', 'exit-code-from', 'no-build'])
    // As in Compose: there is no output to choose from in the background, and -V recreates.
    .conflicts('attach', ['detach', 'wait', 'no-start', 'attach-dependencies'])
    .conflicts('renew-anon-volumes', 'no-recreate');

type UpArgs = ArgsOf<typeof builder>;

export const upCommand: CommandModule<GlobalArgs, UpArgs> = {
  command: 'up [services..]',
  describe: 'Create and start the stack (each service as soon as its dependencies are ready)',
  builder,
  handler: async (args) => {
    const project = await loadStack(args);
    refuseDryRunInSwarm(args, project, 'up');
    if (isSwarm(args, project)) return swarmUpVerb(args, project);
    if (args.registry !== undefined) throw new UsageError('--registry is for swarm mode', 'add --swarm (or x-tug.mode: swarm), or leave --registry out');
    const engine = await connectEngine();
    const { up } = await import('../../run/up.js');
    const from = args['exit-code-from'];
    if (from !== undefined) await checkExitCodeFrom(project, from, args);
    // A watch rule tug cannot honour is refused before anything starts.
    const watching = args.watch ? await watchedServices(project, args) : undefined;
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, [...args.attach ?? [], ...args['no-attach'] ?? []]);
    const request = {
      ...convergeRequest(args), noStart: args['no-start'], wait: args.wait, waitTimeoutSeconds: args['wait-timeout'],
      // Compose's -V: recreate (the named services), giving the new containers new anonymous volumes.
      ...(args['renew-anon-volumes'] ? { forceRecreate: true, renewAnonVolumes: true } : {}),
    };
    if (args['dry-run']) {
      const { dryRunUp } = await import('../../run/dry-run.js');
      return printDryRun(args, dryRunUp(engine, project, request));
    }
    const progress = progressFor(args);
    const onProgress = quietBuilds(quietPulls(progress.listener, args['quiet-pull']), args['quiet-build']);
    // Stopping after an attached run gets a display of its own: the first one has ended by then.
    const stopProgress = progressFor(args);
    // An attached up follows containers that ran before it from here on (see attachedFromUp).
    const runStart = Date.now();
    await interruptible(async (signal) => {
      // Held while converging only: an attached `up` follows logs for hours, and `down` must not wait on that.
      const result = await withCliLock(args, project.name, 'up', signal, () => up(engine, project, {
        ...request, signal, onProgress,
      }), engine);
      await progress.close();
      if (result.unchanged) {
        process.stderr.write(`${upToDate(result.containers)}\n`);
      }
      if (args.detach || args.wait || args['no-start']) return;
      if (watching) {
        const { followAndWatch } = await import('../../run/devloop/index.js');
        // Plain lines (or JSON): a live display would hold back the logs on stdout.
        const watchProgress = progressFor({ ...args, progress: args.progress === 'json' || args.progress === 'quiet' ? args.progress : 'plain' });
        await followAndWatch(engine, project, {
          services: watching, signal, onProgress: watchProgress.listener, onStopProgress: stopProgress.listener, color: stdoutColors(args),
          stopTimeout: args.timeout, version: tugVersion(), lock: (fn) => withCliLock(args, project.name, 'watch', signal, fn),
        });
        return;
      }
      const { attach, attachedFromUp } = await import('../../run/attach.js');
      const containers = attachedFromUp(result, runStart);
      const { exitCode } = await attach(engine, project, containers, {
        signal, onProgress: stopProgress.listener, stopTimeout: args.timeout, color: stdoutColors(args),
        abortOnContainerExit: args['abort-on-container-exit'], abortOnContainerFailure: args['abort-on-container-failure'], exitCodeFrom: from,
        ...(await attachChoice(project, args, from)), timestamps: args.timestamps, prefix: !args['no-log-prefix'],
      });
      if (exitCode !== undefined) process.exitCode = exitCode;
    }).finally(async () => {
      // Before main prints an error: a live display must have drawn its last frame first.
      await progress.close();
      await stopProgress.close();
    });
  },
};

/**
 * Whose output is printed (see plan/attach.ts: Compose's --attach, --no-attach,
 * --attach-dependencies), and whose containers up watches until they stop: as Compose's
 * monitor, the services named on the command line, else the printed ones; and the service
 * --exit-code-from names, whose code up must see.
 */
async function attachChoice(project: Project, args: UpArgs, exitCodeFrom: string | undefined) {
  const { attachedServices } = await import('../../plan/attach.js');
  const { DependencyGraph } = await import('../../graph/graph.js');
  const chosen = attachedServices(project, DependencyGraph.fromServices(project.services), {
    services: args.services, attach: args.attach, noAttach: args['no-attach'], attachDependencies: args['attach-dependencies'],
  });
  const watched = new Set([...(args.services?.length ? args.services : chosen), ...(exitCodeFrom ? [exitCodeFrom] : [])]);
  return { printed: (service: string) => chosen.has(service), watched: (service: string) => watched.has(service) };
}

/** `--quiet-pull`: pulls print nothing, unless one fails or warns. */
export function quietPulls(listener: ProgressListener, quiet: boolean | undefined): ProgressListener {
  if (!quiet) return listener;
  return (e) => {
    if (e.action === 'pull' && e.state !== 'error' && e.state !== 'warning') return;
    listener(e);
  };
}

/** `--quiet-build`: builds print nothing, unless one fails or warns. */
export function quietBuilds(listener: ProgressListener, quiet: boolean | undefined): ProgressListener {
  if (!quiet) return listener;
  return (e) => {
    if (e.action === 'build' && e.state !== 'error' && e.state !== 'warning') return;
    listener(e);
  };
}

/** The services `up --watch` brings up (with what they depend on), their rules checked. */
async function watchedServices(project: Project, args: UpArgs): Promise<string[]> {
  const { servicesInScope } = await import('../../plan/up.js');
  const { DependencyGraph } = await import('../../graph/graph.js');
  const { checkWatch } = await import('../../run/devloop/index.js');
  const { checkServiceNames } = await import('../../plan/lifecycle.js');
  checkServiceNames(project, args.services);
  const scope = servicesInScope(project, DependencyGraph.fromServices(project.services), { targets: args.services, noDeps: args['no-deps'] });
  checkWatch(project, scope);
  return scope;
}

/** Checked before anything starts: a typo must not cost a whole stack's start-up. */
async function checkExitCodeFrom(project: Project, from: string, args: UpArgs): Promise<void> {
  if (!project.services[from]) {
    throw new UsageError(`--exit-code-from: no such service: ${from}`, `services: ${Object.keys(project.services).join(', ')}`);
  }
  const { servicesInScope } = await import('../../plan/up.js');
  const { DependencyGraph } = await import('../../graph/graph.js');
  const scope = servicesInScope(project, DependencyGraph.fromServices(project.services), { targets: args.services, noDeps: args['no-deps'] });
  if (!scope.includes(from)) {
    throw new UsageError(`--exit-code-from: service "${from}" is not brought up by this command`, `name it too: tug up ${[...(args.services ?? []), from].join(' ')}`);
  }
}
