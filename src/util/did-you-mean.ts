/**
 * Did-you-mean, for every place that suggests a name: stack keys and values, service names,
 * signals, command-line flags. One notion of "close enough" so that they all agree on what
 * counts as a typo.
 */
import { distance } from 'fastest-levenshtein';

/**
 * The most edits (Levenshtein distance) a typo of `word` may be away from what was meant: 2 for
 * short words, so that a swapped pair of letters (`tset` for `test`) is still caught, and a
 * third of the word's length for long ones.
 */
export function maxTypoDistance(word: string): number {
  return Math.max(2, Math.floor(word.length / 3));
}

export interface DidYouMeanOptions {
  /** Compare without regard to case; the candidate comes back as written. */
  ignoreCase?: boolean;
}

/**
 * The candidate closest to `word` (the first of equally close ones), when it is a plausible
 * typo of it: within maxTypoDistance(word) edits, and not equal to it as compared.
 */
export function didYouMean(word: string, candidates: Iterable<string>, opts: DidYouMeanOptions = {}): string | undefined {
  const fold = opts.ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  const target = fold(word);
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = distance(target, fold(c));
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best !== undefined && bestDist > 0 && bestDist <= maxTypoDistance(word) ? best : undefined;
}
