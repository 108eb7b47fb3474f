/**
 * Hostile inputs through the built CLI: exit 3 with the problem at its line, within seconds,
 * never exit 1 (a crash), a hang, or memory growing without bound.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEPTH, MAX_EXPANDED_NODES, MAX_FILE_BYTES, MAX_INTERPOLATION_DEPTH } from '../../src/stack/limits.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/tug.js');
/** Generous: each case takes a fraction of this; a hang or a runaway read takes forever. */
const KILL_AFTER_MS = 20_000;
const QUICK_MS = 4_000;

let work: string;
beforeAll(() => {
  // The bundle is built from the current sources once, by the suite's globalSetup.
  work = mkdtempSync(join(tmpdir(), 'tug-cli-inputs-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs the built CLI. `--` keeps node itself off the arguments: node 20 reads the file of any
 * `--env-file` in its command line, even one after the script (nodejs/node#54232), which tug
 * cannot prevent from inside.
 */
function tug(args: string[], input?: Buffer | string) {
  const start = performance.now();
  const r = spawnSync(process.execPath, ['--', bin, ...args], {
    cwd: work,
    encoding: 'utf8',
    input,
    timeout: KILL_AFTER_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1', TUG_DEBUG: '', TUG_NO_CACHE: '1', COMPOSE_FILE: '', COMPOSE_PROJECT_NAME: '', COMPOSE_PROFILES: '' },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - start };
}

function file(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

describe.runIf(process.platform !== 'win32')('inputs that never end', () => {
  it('-f /dev/zero and -f on a FIFO: refused, not read or waited on', () => {
    const zero = tug(['-f', '/dev/zero', 'config']);
    expect(zero).toMatchObject({ code: 3, signal: null });
    expect(zero.stderr).toContain('error: /dev/zero: /dev/zero is not a regular file (a character device)');
    expect(zero.stderr).toContain('hint: a stack file must be a regular file; to read one from a pipe, use -f -');
    const fifo = join(work, 'pipe.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = tug(['-f', fifo, 'config']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toContain(`${fifo} is not a regular file (a FIFO)`);
    expect(r.ms).toBeLessThan(QUICK_MS);
  });

  it("env_file: /dev/zero is refused at the service's env_file line", () => {
    const compose = file('env-zero.yaml', 'services:\n  web:\n    image: x\n    env_file:\n      - /dev/zero\n');
    const r = tug(['-f', compose, 'config']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toContain(`error: ${compose}:5:9: env_file /dev/zero of service "web" is not a regular file (a character device)`);
    expect(r.ms).toBeLessThan(QUICK_MS);
  });

  it('--env-file /dev/zero is refused', () => {
    const compose = file('plain.yaml', 'services:\n  web:\n    image: x\n');
    const r = tug(['-f', compose, '--env-file', '/dev/zero', 'config']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toContain('--env-file /dev/zero is not a regular file (a character device)');
  });

  it('-f - reading an endless stdin stops at the limit', () => {
    const r = tug(['-f', '-', 'config'], Buffer.alloc(MAX_FILE_BYTES + 4096, 'a'));
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toContain(`<stdin> is larger than ${MAX_FILE_BYTES} bytes; stack files are limited to ${MAX_FILE_BYTES}`);
  });

  it('-f - still reads a stack from stdin', () => {
    const r = tug(['-f', '-', 'config', '--services'], 'services:\n  web:\n    image: x\n');
    expect(r).toMatchObject({ code: 0, stdout: 'web\n' });
  });
});

describe('alias bombs, cycles and deep nesting', () => {
  it('a billion laughs is refused in well under the time it used to take (52 s among 2,000 other keys)', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `x-k${i}: v${i}`);
    lines.push('a: &a [x,x,x,x,x,x,x,x,x]');
    for (let i = 1; i < 9; i++) {
      const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const r = tug(['-f', file('laughs.yaml', lines.join('\n') + '\n'), 'config']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toContain(`YAML aliases expand to more than ${MAX_EXPANDED_NODES} nodes`);
    expect(r.ms).toBeLessThan(QUICK_MS);
  });

  it('files extending each other: exit 3 with the chain, not a hang', () => {
    file('x-a.yaml', 'services:\n  web:\n    extends:\n      file: x-b.yaml\n      service: api\n');
    file('x-b.yaml', 'services:\n  api:\n    image: x\n    extends:\n      file: x-a.yaml\n      service: web\n');
    const r = tug(['-f', join(work, 'x-a.yaml'), 'config']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toContain(`${join(work, 'x-a.yaml')}:3:5: extends cycle: x-a.yaml:web → x-b.yaml:api → x-a.yaml:web`);
    expect(r.ms).toBeLessThan(QUICK_MS);
  });

  it('${A:-${A:-...}} 5,000 deep: exit 3 at its line, not an internal error', () => {
    const compose = file('interp.yaml', `services:\n  web:\n    image: "${'${A:-'.repeat(5000)}x${'}'.repeat(5000)}"\n`);
    const r = tug(['-f', compose, 'config']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toContain(`${compose}:3:5: cannot interpolate services.web.image: \${...} nested more than ${MAX_INTERPOLATION_DEPTH} levels deep`);
    expect(r.stderr).not.toContain('internal error');
  });

  it('10,000-deep flow lists: the nesting limit at its line, not the RangeError text', () => {
    const compose = file('deep.yaml', `services:\n  web:\n    image: x\nx-deep: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    const r = tug(['-f', compose, 'config']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stderr).toMatch(new RegExp(`${compose.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: YAML nesting is deeper than ${MAX_DEPTH} levels`));
    expect(r.stderr).not.toMatch(/call stack/i);
  });
});
