/**
 * The loading caches (parsed files, documents the schema accepted) may only ever make loading
 * faster: every answer with a cache must be the answer without one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StackInvalidError } from '../../src/errors.js';
import { loadProject } from '../../src/stack/load.js';
import { validity } from '../../src/stack/parse-cache.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();

/** A stack of `services` services, each with a command that names its index. */
function stack(services: number, extra = ''): string {
  let y = 'services:\n';
  for (let i = 0; i < services; i++) y += `  svc${i}:\n    image: busybox\n    command: ["sleep", "${i}"]\n    environment:\n      INDEX: "${i}"\n`;
  return y + extra;
}

const entries = (dir: string, suffix: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(suffix)) : []);

describe('loading caches', () => {
  let cacheDir: string;
  const saved = { dir: process.env.TUG_CACHE_DIR, off: process.env.TUG_NO_CACHE };
  beforeEach(() => {
    cacheDir = path.join(makeDir(), 'cache');
    process.env.TUG_CACHE_DIR = cacheDir;
    delete process.env.TUG_NO_CACHE;
  });
  afterEach(() => {
    for (const [k, v] of [['TUG_CACHE_DIR', saved.dir], ['TUG_NO_CACHE', saved.off]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it.each([60, 1])('reads a parsed file (%i services) back from the cache, and only for exactly the same bytes', async (n) => {
    const dir = makeDir({ 'compose.yaml': stack(n) });
    const first = await loadProject({ cwd: dir, env: {} });
    const [entry] = entries(cacheDir, '.json');
    expect(entry).toBeDefined();
    // Tamper with the entry: a hit must come from it, proving the second load did not parse.
    const file = path.join(cacheDir, entry!);
    const cached = JSON.parse(fs.readFileSync(file, 'utf8'));
    cached.value.services.svc0.command = ['sleep', 'from-cache'];
    fs.writeFileSync(file, JSON.stringify(cached));
    expect((await loadProject({ cwd: dir, env: {} })).services.svc0!.command).toEqual(['sleep', 'from-cache']);
    expect(first.services.svc0!.command).toEqual(['sleep', '0']);

    // One byte changed is another key: parsed again, never answered from the old entry.
    fs.writeFileSync(path.join(dir, 'compose.yaml'), stack(n).replace('"sleep", "0"', '"sleep", "9"'));
    expect((await loadProject({ cwd: dir, env: {} })).services.svc0!.command).toEqual(['sleep', '9']);
  });

  it('remembers a document the schema accepted, after interpolation, and nothing it rejected', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: ${IMAGE}\n    pull_policy: ${POLICY}\n' });
    await loadProject({ cwd: dir, env: { IMAGE: 'busybox', POLICY: 'missing' } });
    expect(entries(cacheDir, '.valid')).toHaveLength(1);
    expect(validity({ services: { web: { image: 'busybox', pull_policy: 'missing' } } }).known).toBe(true);
    // The same file with other values is another document.
    expect(validity({ services: { web: { image: 'busybox', pull_policy: 'always' } } }).known).toBe(false);

    // An invalid value is reported every time: a rejection is never cached.
    for (let i = 0; i < 2; i++) {
      const err = await loadProject({ cwd: dir, env: { IMAGE: 'busybox', POLICY: 'sometimes' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StackInvalidError);
      expect((err as StackInvalidError).problems[0]).toMatchObject({ location: { line: 4 }, path: 'services.web.pull_policy' });
    }
    expect(entries(cacheDir, '.valid')).toHaveLength(1);
  });

  it('never remembers a document JSON cannot tell apart from another (.nan is not null)', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: busybox\nx-odd: .nan\n' });
    await loadProject({ cwd: dir, env: {} });
    expect(entries(cacheDir, '.valid')).toHaveLength(0);
    expect(validity({ services: { web: { image: 'busybox' } }, 'x-odd': Number.NaN }).known).toBe(false);
  });

  it('writes and reads nothing with TUG_NO_CACHE=1', async () => {
    process.env.TUG_NO_CACHE = '1';
    const dir = makeDir({ 'compose.yaml': stack(60) });
    await loadProject({ cwd: dir, env: {} });
    expect(fs.existsSync(cacheDir)).toBe(false);
  });

  it('loads the same with an unwritable cache directory', async () => {
    fs.writeFileSync(path.join(path.dirname(cacheDir), 'cache'), 'a file where the directory should be');
    const dir = makeDir({ 'compose.yaml': stack(60) });
    expect(Object.keys((await loadProject({ cwd: dir, env: {} })).services)).toHaveLength(60);
  });
});
