import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { emitYaml } from '../../src/stack/emit-yaml.js';

// JSON-like values without -0 (YAML has no negative zero distinct from 0 in the core schema).
const value = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v, (_k, x) => (Object.is(x, -0) ? 0 : x))) as unknown);

const tricky = [
  'true', 'False', 'yes', 'NO', 'on', 'off', 'y', 'n', 'null', '~', '', ' ', '1', '-1', '0755', '0x1F', '1e3', '.5', '1_000',
  '12:30', '.inf', '-.Inf', '.NaN', '- item', 'a: b', 'a #b', '#x', '&anchor', '*alias', '!tag', '%dir', '@at', '`tick',
  '"quoted"', "'single'", '{a}', '[a]', 'multi\nline', 'tab\there', 'trailing ', ' leading', 'é ü 日本', '\u0007', '---', '...',
  'key=value', 'http://example.com:80/x', '/run/secrets/db', 'sh -c "exit 3"', 'a, b', '?', ':', '-', '|', '>',
];

describe('emitYaml', () => {
  it('round-trips tricky strings as values, keys and list items', () => {
    for (const s of tricky) {
      const doc = { [s]: s, list: [s, { [s]: [s] }] };
      expect(parse(emitYaml(doc))).toEqual(doc);
    }
  });

  it('round-trips random JSON-like values through the yaml parser', () => {
    fc.assert(fc.property(value, (v) => {
      expect(parse(emitYaml(v))).toEqual(v);
    }), { numRuns: 2000 });
  });

  it('writes block style with nested lists under dashes', () => {
    expect(emitYaml({ services: { web: { command: ['sh', '-c', 'echo hi'], ports: [{ target: 80, published: '8080' }], env: {} } } })).toBe(
      'services:\n  web:\n    command:\n      - sh\n      - "-c"\n      - echo hi\n    ports:\n      - target: 80\n        published: "8080"\n    env: {}\n',
    );
  });
});
