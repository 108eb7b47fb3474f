import { describe, expect, it } from 'vitest';
import { isPlainObject } from '../../src/util/dict.js';

describe('isPlainObject', () => {
  it('accepts what YAML and JSON mappings become', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject({ a: 1 })).toBe(true);
    expect(isPlainObject(JSON.parse('{"__proto__": 1}'))).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
  });

  it('rejects everything else', () => {
    for (const v of [null, undefined, 0, 'a', true, [], [1], new Date(0), new Map(), Buffer.from('x'), () => {}]) {
      expect(isPlainObject(v), String(v)).toBe(false);
    }
  });
});
