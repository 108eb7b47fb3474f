/**
 * What a new user reads first (issue 11): the LICENSE is the one package.json declares, and the
 * README's set-up names what a user needs, leaving this project's own machine scripts to
 * CONTRIBUTING.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as { license: string; engines: { node: string } };

describe('LICENSE, README and CONTRIBUTING', () => {
  it('LICENSE is the license package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE').split('\n')[0]).toBe('MIT License');
  });

  it('the README names a Docker Engine and the Node.js version package.json requires', () => {
    const min = /^>=\s*([\d.]+)$/.exec(pkg.engines.node)?.[1];
    expect(min).toBeDefined();
    expect(read('README.md')).toMatch(new RegExp(`What you need: a Docker Engine[^]*Node\\.js ≥ ${min!.replaceAll('.', '\\.')}`));
  });

  it('the README names none of the project\'s machine scripts; CONTRIBUTING.md has them', () => {
    const machine = /\.\.\/shared\/engine|[\w-]+-up\.sh|[\w-]+-install\.sh|\.ci\/run/g;
    expect(read('README.md').match(machine)).toBeNull();
    expect(read('CONTRIBUTING.md').match(machine)).toEqual(expect.arrayContaining(['../shared/engine', 'podman-up.sh', 'sshd-install.sh']));
  });
});
