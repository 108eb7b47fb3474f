import { didYouMean } from '../util/did-you-mean.js';

export interface FlagContext {
  /** The verb typed, to name it in the hint ("tug up has no -x"). */
  verb?: string;
  /** yargs' alias table: each option's other names (`detach: ['d']`, `d: ['detach']`). */
  aliases?: Readonly<Record<string, readonly string[]>>;
}

/**
 * yargs suggests verbs but not flags; this covers `--fil` → `--file`, and short flags: there a
 * distance means nothing (every letter is one edit from every other), so an unknown `-x` gets
 * the other case of the letter when that is a flag, or the list of the verb's one-letter flags;
 * a long name typed with one dash (`-detach`, which yargs reads as -d -e -t...) gets its two
 * dashes. It reads yargs' English "Unknown argument(s): a, b" message, which main.ts pins with
 * `.locale('en')`. Flags are case-sensitive, and so is the comparison.
 */
export function suggestFlag(message: string, argv: readonly string[], known: readonly string[], ctx: FlagContext = {}): string | undefined {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match?.[1] || known.length === 0) return undefined;
  const longs = known.filter((k) => k.length > 1);
  const shorts = known.filter((k) => k.length === 1);
  for (const name of match[1].split(', ')) {
    if (name.length === 1) {
      const hint = shortFlagHint(name, argv, longs, shorts, ctx);
      if (hint) return hint;
      continue;
    }
    // Only names the user typed as flags: a mistyped verb is yargs' job.
    const typed = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `-${name}`);
    if (!typed) continue;
    const best = didYouMean(name, longs);
    if (best !== undefined) return `Did you mean --${best}?`;
  }
  return undefined;
}

function shortFlagHint(letter: string, argv: readonly string[], longs: string[], shorts: string[], ctx: FlagContext): string | undefined {
  // The word it came from: `-x` itself, or a group such as `-dx` or `-detach`.
  const word = argv.find((a) => /^-[^-]/.test(a) && a.slice(1).split('=')[0]!.includes(letter));
  if (!word) return undefined;
  const body = word.slice(1).split('=')[0]!;
  if (body.length > 1) {
    const long = longs.includes(body) ? body : didYouMean(body, longs);
    // `-dt` is two flags, `-detach` one long flag missing a dash.
    if (long !== undefined) return `Did you mean --${long}? (long flags take two dashes)`;
  }
  const other = letter === letter.toLowerCase() ? letter.toUpperCase() : letter.toLowerCase();
  if (other !== letter && shorts.includes(other)) return `Did you mean -${other}${describeShort(other, ctx)}?`;
  if (shorts.length === 0) return undefined;
  const listed = [...shorts].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b)).map((s) => `-${s}${describeShort(s, ctx)}`);
  return `${ctx.verb ? `tug ${ctx.verb}` : 'tug'} has no -${letter}; its one-letter flags are ${listed.join(', ')}`;
}

/** ` (--detach)` for `d`, from the alias table. */
function describeShort(letter: string, ctx: FlagContext): string {
  const long = ctx.aliases?.[letter]?.find((a) => a.length > 1);
  return long ? ` (--${long})` : '';
}
