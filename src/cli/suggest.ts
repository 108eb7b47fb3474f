import { closest, distance } from 'fastest-levenshtein';

/**
 * yargs suggests verbs but not flags; this covers `--fil` → `--file`. It reads yargs'
 * English "Unknown argument(s): a, b" message, which main.ts pins with `.locale('en')`.
 */
export function suggestFlag(message: string, argv: readonly string[], known: readonly string[]): string | undefined {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match?.[1] || known.length === 0) return undefined;
  for (const name of match[1].split(', ')) {
    // Only names the user typed as flags: a mistyped verb is yargs' job.
    const typed = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `-${name}`);
    if (!typed) continue;
    const best = closest(name, [...known]);
    if (distance(name, best) <= Math.max(1, Math.floor(name.length / 3))) return `Did you mean --${best}?`;
  }
  return undefined;
}
