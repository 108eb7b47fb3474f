import { describe, expect, it } from 'vitest';
import { suggestFlag } from '../../src/cli/suggest.js';
import { didYouMean as stackDidYouMean } from '../../src/stack/suggest.js';
import { didYouMean, maxTypoDistance } from '../../src/util/did-you-mean.js';

describe('didYouMean (util)', () => {
  it('allows 2 edits for short words and a third of the length for long ones', () => {
    expect([1, 5, 6, 8, 9, 12].map((n) => maxTypoDistance('x'.repeat(n)))).toEqual([2, 2, 2, 2, 3, 4]);
  });

  it('returns the closest candidate within the threshold, the first of equally close ones', () => {
    expect(didYouMean('tset', ['image', 'test', 'interval'])).toBe('test');
    expect(didYouMean('dbb', ['db', 'dbx'])).toBe('db');
    expect(didYouMean('ab', ['aa', 'bb'])).toBe('aa');
    expect(didYouMean('environmnt', ['environment', 'entrypoint'])).toBe('environment');
  });

  it('returns nothing when no candidate is close enough, or there are none', () => {
    expect(didYouMean('elasticsearch', ['web', 'db'])).toBeUndefined();
    expect(didYouMean('abc', ['xyz12'])).toBeUndefined();
    expect(didYouMean('web', [])).toBeUndefined();
  });

  it('does not suggest the word itself', () => {
    expect(didYouMean('web', ['web', 'webb'])).toBeUndefined();
  });

  it('compares case-sensitively unless asked not to', () => {
    expect(didYouMean('File', ['file'])).toBe('file');
    expect(didYouMean('ENVIRONMNT', ['environment'])).toBeUndefined();
    expect(didYouMean('ENVIRONMNT', ['environment'], { ignoreCase: true })).toBe('environment');
    // Equal but for case is "the word itself" when case is ignored.
    expect(didYouMean('Web', ['web'], { ignoreCase: true })).toBeUndefined();
  });

  it('takes any iterable of candidates', () => {
    expect(didYouMean('cach', new Set(['cache', 'db']))).toBe('cache');
  });
});

describe('the callers', () => {
  it('stack names and values ignore case', () => {
    expect(stackDidYouMean('Enviroment', ['environment', 'image'])).toBe('environment');
    expect(stackDidYouMean('KIL', ['KILL', 'TERM'])).toBe('KILL');
  });

  it('flags: a suggestion for a flag typed with dashes, in yargs English message', () => {
    const known = ['file', 'format', 'quiet', 'project-name', 'f', 'q'];
    expect(suggestFlag('Unknown argument: fromat', ['config', '--fromat', 'json'], known)).toBe('Did you mean --format?');
    expect(suggestFlag('Unknown arguments: bogus, fil', ['--bogus', '--fil=x'], known)).toBe('Did you mean --file?');
    expect(suggestFlag('Unknown argument: quite', ['-quite'], known)).toBe('Did you mean --quiet?');
    // The same threshold as stack names: two edits in a short flag are still a typo.
    expect(suggestFlag('Unknown argument: qiuet', ['--qiuet'], known)).toBe('Did you mean --quiet?');
  });

  it('short flags: never a long flag one letter away (--f for -x), but the other case or the verb\'s short flags', () => {
    const known = ['file', 'f', 'project-name', 'p', 'detach', 'd', 'timeout', 't', 'quiet', 'q', 'help', 'h'];
    const aliases = { f: ['file'], file: ['f'], p: ['project-name'], d: ['detach'], t: ['timeout'], q: ['quiet'] };
    const x = suggestFlag('Unknown argument: x', ['up', '-x'], known, { verb: 'up', aliases });
    expect(x).toBe('tug up has no -x; its one-letter flags are -d (--detach), -f (--file), -h, -p (--project-name), -q (--quiet), -t (--timeout)');
    expect(x).not.toMatch(/--[a-z]\b/);
    // Inside a group of short flags too.
    expect(suggestFlag('Unknown argument: z', ['ps', '-qz'], known, { verb: 'ps', aliases })).toMatch(/^tug ps has no -z; /);
    expect(suggestFlag('Unknown argument: D', ['up', '-D'], known, { verb: 'up', aliases })).toBe('Did you mean -d (--detach)?');
    // A long name typed with one dash, which yargs splits into letters.
    expect(suggestFlag('Unknown arguments: e, a, c', ['up', '-detach'], known, { aliases })).toBe('Did you mean --detach? (long flags take two dashes)');
    expect(suggestFlag('Unknown arguments: u, i, e', ['-quiet'], known)).toBe('Did you mean --quiet? (long flags take two dashes)');
    expect(suggestFlag('Unknown argument: x', ['up', '-x'], ['file'])).toBeUndefined();
  });

  it('flags: nothing for verbs, far-off names, other messages or no known flags', () => {
    const known = ['file', 'format'];
    expect(suggestFlag('Unknown argument: fil', ['fil'], known)).toBeUndefined();
    expect(suggestFlag('Unknown argument: bogus', ['--bogus'], known)).toBeUndefined();
    expect(suggestFlag('Missing command', ['--fil'], known)).toBeUndefined();
    expect(suggestFlag('Unknown argument: fil', ['--fil'], [])).toBeUndefined();
  });
});
