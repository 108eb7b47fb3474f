import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFlagRefusal } from '../../src/cli/compose-flags.js';

const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin/tug.js');
let work: string;

function tug(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tug-compose-flags-'));
  writeFileSync(join(work, 'compose.yaml'), 'services:\n  web:\n    image: busybox\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a docker compose flag tug lacks', () => {
  it('is named as such, for its verb, from yargs\' unknown-argument report', () => {
    expect(composeFlagRefusal('Unknown argument: menu', ['up', '--menu'])?.message).toBe('tug does not support --menu of docker compose up');
    expect(composeFlagRefusal('Unknown argument: T', ['exec', '-T', 'web'])?.message).toBe('tug does not support -T (--no-tty) of docker compose exec');
    // Not a Compose flag of this verb, or not typed as a flag: left to the generic report.
    expect(composeFlagRefusal('Unknown argument: menu', ['ps', '--menu'])).toBeUndefined();
    expect(composeFlagRefusal('Unknown argument: bogus', ['up', '--bogus'])).toBeUndefined();
  });

  it('is a usage error (exit 2) saying tug does not support it, on the built CLI', () => {
    const r = tug(['up', '--menu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: tug does not support --menu of docker compose up$/m);
    const global = tug(['--compatibility', 'ps']);
    expect(global.code).toBe(2);
    expect(global.stderr).toContain('tug does not support --compatibility of docker compose');
    const workdir = tug(['config', '--workdir', '.']);
    expect(workdir.code).toBe(2);
    expect(workdir.stderr).toContain('use --project-directory');
  });

  it('up and create take Compose\'s --quiet-pull and -y; up its -V, --attach, --no-attach, --timestamps, --no-log-prefix', () => {
    const up = tug(['up', '--help']).stdout;
    for (const flag of ['-V, --renew-anon-volumes', '--attach', '--no-attach', '--timestamps', '--no-log-prefix', '--quiet-pull', '-y, --yes']) expect(up).toContain(flag);
    const create = tug(['create', '--help']).stdout;
    for (const flag of ['--quiet-pull', '-y, --yes']) expect(create).toContain(flag);
    expect(tug(['--help']).stdout).toContain('--dry-run');
  });

  it('leaves a typo of tug\'s own flag to the did-you-mean, and an unknown flag to the generic report', () => {
    const typo = tug(['config', '--fromat', 'json']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean --format?');
    expect(typo.stderr).not.toContain('does not support');
    const bogus = tug(['config', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^error: Unknown argument: bogus/);
  });
});
