/**
 * A stack file tug may not read (mode 000) is one clear error at the file, exit 3. The user
 * running tug must not be root (root reads anything), so when the suite runs as root, as CI
 * does, the CLI runs as `nobody` through setpriv; otherwise as whoever runs the tests.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, ensureCli } from './helpers.js';

const sh = promisify(execFile);
const asRoot = process.getuid?.() === 0;
let dir = '';

beforeAll(async () => {
  await ensureCli();
  dir = mkdtempSync(join(tmpdir(), 'tug-unreadable-'));
  chmodSync(dir, 0o755); // nobody may look into it, not read the file
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a stack file tug may not read', () => {
  it('exits 3 with "cannot read FILE: permission denied", no stack trace', async () => {
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, 'services:\n  web:\n    image: busybox\n');
    chmodSync(file, 0o000);
    const node = [process.execPath, BIN, '-f', file, 'config', '-q'];
    const [cmd, ...args] = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
    const r = await sh(cmd!, args, { cwd: dir, env: { ...cliEnv(), HOME: dir, TUG_NO_CACHE: '1' }, encoding: 'utf8' })
      .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
    expect(r.stderr).toContain(`cannot read ${file}: permission denied`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(3);
  });
});
