import { didYouMean } from '../util/did-you-mean.js';

/**
 * yargs suggests verbs but not flags; this covers `--fil` → `--file`. It reads yargs'
 * English "Unknown argument(s): a, b" message, which main.ts pins with `.locale('en')`.
 * Flags are case-sensitive, and so is the comparison.
 */
export function suggestFlag(message: string, argv: readonly string[], known: readonly string[]): string | undefined {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match?.[1] || known.length === 0) return undefined;
  for (const name of match[1].split(', ')) {
    // Only names the user typed as flags: a mistyped verb is yargs' job.
    const typed = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `-${name}`);
    if (!typed) continue;
    const best = didYouMean(name, known);
    if (best !== undefined) return `Did you mean --${best}?`;
  }
  return undefined;
}
