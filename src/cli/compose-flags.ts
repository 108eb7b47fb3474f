/**
 * Flags `docker compose` has that tug does not (yet). A script written for Compose that passes
 * one should learn that tug knows the flag and lacks it, not that the flag is "unknown" (which
 * reads like a typo): the refusal names the flag and the verb. The names are read off
 * docker/compose cmd/compose/*.go; flags tug has never reach this table (yargs accepts them).
 */
import type { Options } from 'yargs';
import { UsageError } from '../errors.js';
import { verbIndex } from './argv.js';
import { COMPOSE_ROOT_FLAGS, type ComposeRootFlag } from './compose-root.js';
import { globalOptions } from './options.js';

/** Compose's root flags, accepted before or after any verb. */
const GLOBAL = Object.keys(COMPOSE_ROOT_FLAGS);

/** Per verb: the long names, `name/x` where `-x` is its short form. */
const BY_VERB: Record<string, string[]> = {
  attach: ['detach-keys', 'index', 'no-stdin', 'sig-proxy'],
  build: ['build-arg', 'builder', 'check', 'memory/m', 'no-cache', 'print', 'provenance', 'pull', 'push', 'quiet/q', 'sbom', 'ssh', 'with-dependencies'],
  config: ['lock-image-digests', 'models', 'no-consistency', 'no-env-resolution', 'no-path-resolution', 'resolve-image-digests'],
  cp: ['all', 'archive/a', 'follow-link/L', 'index'],
  create: ['quiet-pull', 'yes/y'],
  down: ['remove-orphans', 'rmi', 'timeout/t', 'volumes/v'],
  events: ['json', 'since', 'until'],
  exec: ['detach/d', 'env/e', 'index', 'interactive/i', 'no-tty/T', 'privileged', 'user/u', 'workdir/w'],
  images: ['format', 'quiet/q'],
  kill: ['remove-orphans', 'signal/s'],
  logs: ['index', 'no-color', 'no-log-prefix', 'since', 'tail/n', 'timestamps/t', 'until'],
  ls: ['all/a', 'filter', 'format', 'quiet/q'],
  port: ['index', 'protocol'],
  ps: ['all/a', 'filter', 'format', 'no-trunc', 'orphans', 'quiet/q', 'services', 'status'],
  pull: ['ignore-buildable', 'ignore-pull-failures', 'include-deps', 'no-parallel', 'parallel', 'policy', 'quiet/q'],
  restart: ['no-deps', 'timeout/t'],
  rm: ['force/f', 'stop/s', 'volumes/v'],
  run: [
    'build', 'cap-add', 'cap-drop', 'detach/d', 'entrypoint', 'env/e', 'env-from-file', 'interactive/i', 'label/l', 'name', 'no-deps', 'no-TTY/T',
    'publish/p', 'pull', 'quiet/q', 'quiet-build', 'quiet-pull', 'remove-orphans', 'rm', 'service-ports/P', 'use-aliases', 'user/u', 'volume/v', 'workdir/w',
  ],
  scale: ['no-deps'],
  start: ['wait', 'wait-timeout'],
  stats: ['all/a', 'format', 'no-stream', 'no-trunc'],
  stop: ['timeout/t'],
  up: [
    'abort-on-container-exit', 'always-recreate-deps', 'attach', 'build', 'detach/d', 'exit-code-from',
    'force-recreate', 'menu', 'no-attach', 'no-color', 'no-deps', 'no-log-prefix', 'no-recreate', 'no-start', 'pull',
    'quiet-pull', 'remove-orphans', 'renew-anon-volumes/V', 'scale', 'timeout/t', 'timestamps', 'wait', 'wait-timeout', 'watch/w', 'yes/y',
  ],
  version: ['format/f', 'short'],
  wait: ['down-project'],
  watch: ['no-up', 'prune', 'quiet'],
};

/** `name` as the user typed it (a long name, or a short one's letter) → Compose's long name, if Compose has it. */
function composeFlag(verb: string | undefined, name: string): string | undefined {
  for (const entry of [...GLOBAL, ...(verb !== undefined && Object.hasOwn(BY_VERB, verb) ? BY_VERB[verb]! : [])]) {
    const [long, short] = entry.split('/') as [string, string?];
    if (name === long || (name.length === 1 && name === short)) return long;
  }
  return undefined;
}

/**
 * For yargs' "Unknown argument(s): a, b": the refusal of the first one that is a Compose flag
 * the user typed (as `--a`, `--a=...` or `-a`); undefined when none is, so that a typo of one of
 * tug's own flags still gets its did-you-mean.
 */
export function composeFlagRefusal(message: string, argv: readonly string[]): UsageError | undefined {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match?.[1]) return undefined;
  const at = verbIndex(argv);
  const verb = at >= 0 ? argv[at] : undefined;
  for (const name of match[1].split(', ')) {
    const typed = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || (name.length === 1 && /^-[A-Za-z]+$/.test(a) && a.includes(name)));
    if (!typed) continue;
    const long = composeFlag(verb, name);
    if (long === undefined) continue;
    const spelled = name.length === 1 ? `-${name} (--${long})` : `--${long}`;
    return new UsageError(`tug does not support ${spelled} of docker compose${verb ? ` ${verb}` : ''}`,
      long === 'workdir' && name !== 'w' ? 'use --project-directory (Compose\'s --workdir is its old name)'
        : `leave it out; tug ${verb ?? ''}${verb ? ' ' : ''}--help lists the flags tug has`);
  }
  return undefined;
}

/**
 * Compose's root flags that tug lacks, declared (hidden) so that yargs parses them as Compose
 * does: a boolean one must not take the verb after it as its value (`--compatibility ps`).
 * Not `--workdir`: declared globally it would take `exec`'s and `run`'s own `-w/--workdir`;
 * given to any other verb it is refused as an unknown Compose flag (GLOBAL above).
 */
type Lacked = Exclude<ComposeRootFlag, 'workdir' | keyof typeof globalOptions>;
export const unsupportedComposeGlobals = Object.fromEntries(
  (Object.keys(COMPOSE_ROOT_FLAGS) as ComposeRootFlag[])
    .filter((name) => name !== 'workdir' && !Object.hasOwn(globalOptions, name))
    .map((name) => [name, { type: COMPOSE_ROOT_FLAGS[name], hidden: true }]),
) as Record<Lacked, Options>;

/** Verbs that change things but have no plan tug could print instead. */
const NO_DRY_RUN = new Set(['run', 'exec', 'cp', 'watch', 'attach']);

/** Middleware: refuses those flags once parsed, naming the one given, and --dry-run where it cannot be honoured. */
export function refuseComposeGlobals(args: Record<string, unknown>): void {
  const verb = String((args._ as unknown[] | undefined)?.[0] ?? '');
  if (args['dry-run'] === true && NO_DRY_RUN.has(verb)) {
    throw new UsageError(`tug does not support --dry-run of tug ${verb}`, `leave out --dry-run: tug ${verb} would run for real`);
  }
  const given = Object.keys(unsupportedComposeGlobals).find((k) => args[k] !== undefined);
  if (given === undefined) return;
  const hint = given === 'no-ansi' ? 'use --ansi never' : 'leave it out; tug --help lists the flags tug has';
  throw new UsageError(`tug does not support --${given} of docker compose`, hint);
}
