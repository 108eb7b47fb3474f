import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InterpolationError,
  interpolateTree,
  interpolationMessage,
  substitute,
  type Lookup,
} from '../../src/stack/interpolate.js';

const env =
  (vars: Record<string, string>): Lookup =>
  (name) =>
    Object.hasOwn(vars, name) ? vars[name] : undefined;

function thrown(fn: () => unknown): InterpolationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InterpolationError) return err;
    throw err;
  }
  throw new Error('expected an InterpolationError');
}

interface CorpusCase {
  test: string;
  template: string;
  env: Record<string, string>;
  expected?: string;
  error_contains?: string;
  error_equals?: string;
  path?: string;
}

const corpusFile = path.resolve(import.meta.dirname, '../../../shared/corpus/interpolation/cases.json');
const corpus: CorpusCase[] = existsSync(corpusFile)
  ? (JSON.parse(readFileSync(corpusFile, 'utf8')) as { cases: CorpusCase[] }).cases
  : [];

/** Nests `leaf` under a dotted path, e.g. `servicea.image`. */
function treeAt(dotted: string, leaf: unknown): unknown {
  return dotted
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), leaf);
}

describe.skipIf(!existsSync(corpusFile))('compose-go known answers', () => {
  it.each(corpus.map((c, i) => [`#${i} ${c.test}: ${JSON.stringify(c.template)}`, c] as const))('%s', (_, c) => {
    const lookup = env(c.env);
    if (c.error_equals !== undefined) {
      const where = c.path ?? 'myservice.environment.TESTVAR';
      const messages: string[] = [];
      interpolateTree(treeAt(where, c.template), lookup, {
        onError: (err, p) => messages.push(interpolationMessage(err, p)),
      });
      expect(messages).toEqual([c.error_equals]);
    } else if (c.error_contains !== undefined) {
      expect(thrown(() => substitute(c.template, lookup)).message).toContain(c.error_contains);
    } else {
      expect(substitute(c.template, lookup)).toBe(c.expected);
    }
  });

  it('holds cases', () => {
    expect(corpus.length).toBeGreaterThan(0);
  });
});

describe('substitute', () => {
  const lookup = env({ FOO: 'first', EMPTY: '', B: 'bee' });

  it.each([
    ['$FOO', 'first'],
    ['${FOO}', 'first'],
    ['$FOO_x', ''],
    ['${FOO}_x', 'first_x'],
    ['$FOO.x', 'first.x'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${FOO:-d}', 'first'],
    ['${UNSET-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${FOO-d}', 'first'],
    ['${UNSET:+alt}', ''],
    ['${EMPTY:+alt}', ''],
    ['${FOO:+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${FOO+alt}', 'alt'],
    ['${FOO:?msg}', 'first'],
    ['${EMPTY?msg}', ''],
    ['$$', '$'],
    ['$$FOO', '$FOO'],
    ['$${FOO}', '${FOO}'],
    ['$$$FOO', '$first'],
    ['price: 5$', 'price: 5$'],
    ['$1 and $-', '$1 and $-'],
    ['${UNSET:-a:-b}', 'a:-b'],
    ['${UNSET:-}', ''],
    ['${UNSET:-$$}', '$'],
    ['${UNSET:-{"a":{"b":1}}}', '{"a":{"b":1}}'],
    ['${UNSET:-x}}', 'x}'],
  ])('%s → %s', (template, expected) => {
    expect(substitute(template, lookup)).toBe(expected);
  });

  it('expands nested references in the branch that is taken', () => {
    expect(substitute('${UNSET:-${B}-$FOO}', lookup)).toBe('bee-first');
    expect(substitute('${FOO:+[${B}]}', lookup)).toBe('[bee]');
    expect(substitute('${A:-${B:-${C:-deep}}}', env({}))).toBe('deep');
  });

  it('raises required errors with and without a message', () => {
    const err = thrown(() => substitute('x ${UNSET:?set it}', lookup));
    expect(err.kind).toBe('required');
    expect(err.variable).toBe('UNSET');
    expect(err.template).toBe('x ${UNSET:?set it}');
    expect(err.message).toBe('required variable UNSET is missing a value: set it');
    expect(thrown(() => substitute('${EMPTY:?}', lookup)).message).toBe('required variable EMPTY is missing a value');
    expect(thrown(() => substitute('${UNSET?}', lookup)).message).toBe('required variable UNSET is missing a value');
  });

  it('expands the message of a required error', () => {
    expect(thrown(() => substitute('${UNSET:?ask $B}', lookup)).message).toBe(
      'required variable UNSET is missing a value: ask bee',
    );
  });

  it.each(['${', '${ }', '${ foo}', '${foo!}', '${foo:}', '${foo:x}', '${}', '${1A}', 'ok ${A:-${}', '${A:-${ }}'])(
    'rejects %s as malformed',
    (template) => {
      const err = thrown(() => substitute(template, lookup));
      expect(err.kind).toBe('syntax');
      expect(err.message).toContain('Invalid template');
      expect(err.template).toBe(template);
    },
  );

  it('reports a malformed unused branch too', () => {
    expect(thrown(() => substitute('${FOO:-${ }}', lookup)).kind).toBe('syntax');
  });

  it('reports each unset variable used without a default, once per use', () => {
    const unset: string[] = [];
    substitute('$A ${A} ${FOO} ${B}', env({ FOO: 'x' }), (name) => unset.push(name));
    expect(unset).toEqual(['A', 'A', 'B']);
  });

  it('does not warn for the variable an operator tests', () => {
    const unset: string[] = [];
    substitute('${A:-x}${A-x}${A:+x}${A+x}', env({}), (name) => unset.push(name));
    expect(unset).toEqual([]);
  });

  it('warns for a variable in a default only when the default is used', () => {
    const unset: string[] = [];
    const warn = (name: string) => unset.push(name);
    expect(substitute('${A:-${B}}', env({}), warn)).toBe('');
    expect(unset).toEqual(['B']);
    unset.length = 0;
    expect(substitute('${A:+${A},}B', env({}), warn)).toBe('B');
    expect(substitute('${A:-${B}}', env({ A: 'a' }), warn)).toBe('a');
    expect(unset).toEqual([]);
  });

  it('never looks up a variable in an untaken branch', () => {
    const asked: string[] = [];
    const lookupSpy: Lookup = (name) => {
      asked.push(name);
      return name === 'A' ? 'value' : undefined;
    };
    expect(substitute('${A?${B}}', lookupSpy)).toBe('value');
    expect(substitute('${A:-$C}', lookupSpy)).toBe('value');
    expect(substitute('${Z:+$D}', lookupSpy)).toBe('');
    expect(asked).toEqual(['A', 'A', 'Z']);
  });
});

describe('interpolateTree', () => {
  const lookup = env({ TAG: '1.2', PORT: '8080' });

  it('substitutes string values in nested objects and arrays, not keys', () => {
    const input = {
      services: {
        $TAG: { image: 'app:${TAG}', ports: ['${PORT}:80', 443], command: ['echo', '$$TAG'] },
      },
      replicas: 3,
      enabled: true,
      nothing: null,
    };
    const out = interpolateTree(input, lookup, { onError: () => expect.fail('no error expected') });
    expect(out).toEqual({
      services: {
        $TAG: { image: 'app:1.2', ports: ['8080:80', 443], command: ['echo', '$TAG'] },
      },
      replicas: 3,
      enabled: true,
      nothing: null,
    });
    expect(input.services.$TAG.image).toBe('app:${TAG}');
  });

  it('passes the path with each unset variable', () => {
    const seen: [string, (string | number)[]][] = [];
    interpolateTree({ a: ['x', { b: '$NOPE' }] }, lookup, {
      onUnset: (name, p) => seen.push([name, p]),
      onError: () => expect.fail('no error expected'),
    });
    expect(seen).toEqual([['NOPE', ['a', 1, 'b']]]);
  });

  it('reports every failing value and keeps it as written', () => {
    const errors: string[] = [];
    const out = interpolateTree(
      { web: { image: '${IMAGE:?needs an image}', ports: ['${PORT}', '${'] }, db: { image: 'db:$TAG' } },
      lookup,
      { onError: (err, p) => errors.push(interpolationMessage(err, p)) },
    );
    expect(errors).toEqual([
      'error while interpolating web.image: required variable IMAGE is missing a value: needs an image',
      'invalid interpolation format for web.ports.1.\nYou may need to escape any $ with another $.\n${',
    ]);
    expect(out).toEqual({ web: { image: '${IMAGE:?needs an image}', ports: ['8080', '${'] }, db: { image: 'db:1.2' } });
  });

  it('keeps a __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__": {"x": "$TAG"}}') as unknown;
    const out = interpolateTree(input, lookup, { onError: () => expect.fail('no error expected') }) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: '1.2' });
  });

  it('returns scalars other than strings untouched', () => {
    const opts = { onError: () => expect.fail('no error expected') };
    expect(interpolateTree(42, lookup, opts)).toBe(42);
    expect(interpolateTree(false, lookup, opts)).toBe(false);
    expect(interpolateTree(undefined, lookup, opts)).toBeUndefined();
    expect(interpolateTree('$PORT', lookup, opts)).toBe('8080');
  });
});
