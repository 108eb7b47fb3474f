/**
 * Rewrites of the raw command line that yargs cannot express, made before it parses: where
 * Compose gives a flag a meaning per verb, or lets a verb's positional end option parsing.
 */
import type { Options } from 'yargs';
import { COMPOSE_VALUED_ROOT } from './compose-root.js';
import { globalOptions } from './options.js';

/** The spellings (`-e`, `--env`) of the options that take a value. */
export function valuedFlags(options: Record<string, Options>): Set<string> {
  const out = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string' && o.type !== 'number' && o.choices === undefined) continue;
    for (const n of [name, ...[o.alias ?? []].flat()]) out.add(n.length === 1 ? `-${n}` : `--${n}`);
  }
  return out;
}

/** Where the verb is: the first word that is not a global option or its value; -1 if none. */
export function verbIndex(argv: readonly string[]): number {
  // Compose's valued root flags tug lacks too: their value is not the verb either.
  const globals = new Set([...valuedFlags(globalOptions), ...COMPOSE_VALUED_ROOT]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return -1;
    if (!a.startsWith('-')) return i;
    if (globals.has(a)) i++;
  }
  return -1;
}

/**
 * `-f` is the global --file for yargs, whatever the verb; after some verbs Compose gives it
 * another meaning (`rm -f` is --force, `logs -f` is --follow). After that verb (alone or in a
 * group such as `-sf`) it is rewritten to the long flag, placed first so that a flag grouped
 * last keeps its value after it (`logs -fn 5`).
 */
function shortFlagAfterVerb(argv: readonly string[], verb: string, long: string): string[] {
  const at = verbIndex(argv);
  if (at < 0 || argv[at] !== verb) return [...argv];
  const out = argv.slice(0, at + 1);
  for (let j = at + 1; j < argv.length; j++) {
    const a = argv[j]!;
    if (a === '--') {
      out.push(...argv.slice(j));
      break;
    }
    if (!/^-[a-zA-Z]*f[a-zA-Z]*$/.test(a)) {
      out.push(a);
      continue;
    }
    out.push(long);
    const rest = a.slice(1).replaceAll('f', '');
    if (rest) out.push(`-${rest}`);
  }
  return out;
}

/** The verbs after which `-f` is not --file but one of their own flags (completion reads it too). */
export const SHORT_F_AFTER: Readonly<Record<string, string>> = { logs: 'follow', rm: 'force' };

export const followFlagAfterLogs = (argv: readonly string[]): string[] => shortFlagAfterVerb(argv, 'logs', `--${SHORT_F_AFTER.logs}`);
export const forceFlagAfterRm = (argv: readonly string[]): string[] => shortFlagAfterVerb(argv, 'rm', `--${SHORT_F_AFTER.rm}`);

/**
 * Everything after the service belongs to the command, flags included (`exec web sh -c 'exit
 * 3'`), as in Compose. yargs cannot stop parsing at a verb's positional (`halt-at-non-option`
 * halts at the verb itself), so a `--` is put after the service. `verbs` gives each such verb's
 * own options, to know which of them take a value.
 */
export function dashAfterService(argv: readonly string[], verbs: Record<string, Record<string, Options>>): string[] {
  const at = verbIndex(argv);
  const verb = argv[at];
  if (verb === undefined || !Object.hasOwn(verbs, verb)) return [...argv];
  const takesValue = new Set([...valuedFlags(globalOptions), ...valuedFlags(verbs[verb]!)]);
  let i = at + 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...argv];
    if (!a.startsWith('-') || a === '-') break;
    if (takesValue.has(a)) i++;
  }
  // `exec web -- ls` is already split; the `--` is not the command's.
  if (i >= argv.length || argv[i + 1] === '--') return [...argv];
  return [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
}
