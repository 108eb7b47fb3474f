import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeDocs } from '../../src/stack/merge.js';
import { readStackFile } from '../../src/stack/read.js';
import { canonicalFile } from '../../src/stack/shapes.js';

const corpus = path.resolve(import.meta.dirname, '../../../shared/corpus/merge');
const cases = existsSync(corpus) ? readdirSync(corpus).filter((d) => existsSync(path.join(corpus, d, 'base.yaml'))) : [];

async function canonical(file: string) {
  // Not schema-validated: these cases, taken from compose-go, exercise merging alone and some
  // use keys or partial entries (a ulimit with only `soft`) that tug's schema rejects.
  const parsed = await readStackFile(file);
  return { doc: canonicalFile(parsed.value), parsed };
}

describe.skipIf(cases.length === 0)('merge corpus: base + override = expected', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(10));
  it.each(cases)('%s', async (name) => {
    const dir = path.join(corpus, name);
    const base = await canonical(path.join(dir, 'base.yaml'));
    const over = await canonical(path.join(dir, 'override.yaml'));
    const expected = await canonical(path.join(dir, 'expected.yaml'));
    const merged = mergeDocs(mergeDocs({}, base.doc, base.parsed), over.doc, over.parsed);
    expect(merged).toEqual(expected.doc);
  });
});
