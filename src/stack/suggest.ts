import { didYouMean as closestName } from '../util/did-you-mean.js';

/**
 * The closest of `candidates` to a key, value or name written in a stack (or naming one), when
 * it is close enough to be a plausible typo. Case is ignored: `Enviroment` finds `environment`.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  return closestName(word, candidates, { ignoreCase: true });
}
