/**
 * The shared corpus (../shared/corpus, beside the project), located as the other corpus tests
 * locate it (load-errors.test.ts, schema.test.ts): read from there, never copied into the repo.
 */
import fs from 'node:fs';
import path from 'node:path';

export const CORPUS_ROOT = path.resolve(import.meta.dirname, '../../../shared/corpus');

/** One stack of the corpus: the files `-f` names, in order, and the project directory. */
export interface CorpusStack {
  /** Its path under the corpus root, for reports: `awesome-compose/django`, `merge/X (base+override)`. */
  name: string;
  dir: string;
  files: string[];
}

const STACK_FILE = /^(compose|docker-compose)(\.[\w-]+)*\.ya?ml$/;

function walk(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).map((f) => path.join(dir, f)).sort();
}

/**
 * Every stack of the corpus: each awesome-compose stack, each invalid file, each merge case as
 * base + override (what the merge test loads) and its expected file alone. Empty when the corpus
 * is absent (a user's machine).
 */
export function corpusStacks(root = CORPUS_ROOT): CorpusStack[] {
  if (!fs.existsSync(root)) return [];
  const stacks: CorpusStack[] = [];
  const one = (f: string): CorpusStack => ({ name: path.relative(root, f), dir: path.dirname(f), files: [f] });
  const awesome = path.join(root, 'awesome-compose');
  if (fs.existsSync(awesome)) for (const f of walk(awesome)) if (STACK_FILE.test(path.basename(f))) stacks.push(one(f));
  const invalid = path.join(root, 'invalid');
  if (fs.existsSync(invalid)) for (const f of walk(invalid)) if (f.endsWith('.yaml')) stacks.push(one(f));
  const merge = path.join(root, 'merge');
  if (fs.existsSync(merge)) {
    for (const d of fs.readdirSync(merge).sort()) {
      const dir = path.join(merge, d);
      const [base, override, expected] = ['base.yaml', 'override.yaml', 'expected.yaml'].map((f) => path.join(dir, f));
      if (fs.existsSync(base!) && fs.existsSync(override!)) stacks.push({ name: `merge/${d} (base+override)`, dir, files: [base!, override!] });
      if (fs.existsSync(expected!)) stacks.push(one(expected!));
    }
  }
  return stacks;
}

/** The interpolation templates of the corpus (compose-go's cases), as values to plant. */
export function corpusTemplates(root = CORPUS_ROOT): string[] {
  const file = path.join(root, 'interpolation/cases.json');
  if (!fs.existsSync(file)) return [];
  const { cases } = JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: { template?: unknown }[] };
  return cases.map((c) => c.template).filter((t): t is string => typeof t === 'string');
}
