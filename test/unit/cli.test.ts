import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TugError } from '../../src/errors.js';
import { configureReporting, reportError } from '../../src/cli/fail.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/tug.js');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

let work: string;

function tug(args: string[], cwd = work) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', TUG_DEBUG: '', COMPOSE_FILE: '', COMPOSE_PROJECT_NAME: '', COMPOSE_PROFILES: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // The bundle is built from the current sources once, by the suite's globalSetup.
  work = mkdtempSync(join(tmpdir(), 'tug-cli-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tug (built CLI)', () => {
  it('--version prints the package version', () => {
    const r = tug(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('--help lists the verbs', () => {
    const r = tug(['--help']);
    expect(r.code).toBe(0);
    for (const verb of ['config', 'validate', 'graph', 'completion']) expect(r.stdout).toMatch(new RegExp(`tug ${verb}\\b`));
  });

  it('a mistyped verb is a usage error with a suggestion', () => {
    const r = tug(['confg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*confg/);
    expect(r.stderr).toContain('Did you mean config?');
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it('an unknown flag is a usage error, with a suggestion when one is close', () => {
    const r = tug(['config', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: Unknown argument: bogus/);
    const typo = tug(['config', '--fromat', 'json']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean --format?');
  });

  it('an unknown short flag gets the verb\'s short flags, never a long flag one letter away', () => {
    const r = tug(['ps', '-z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tug ps has no -z; its one-letter flags are -a (--all)');
    expect(r.stderr).not.toMatch(/Did you mean --\w\?/);
    expect(tug(['up', '-D']).stderr).toContain('Did you mean -d (--detach)?');
    // After logs, -f is --follow (argv.ts), and the hint says so.
    expect(tug(['logs', '-z']).stderr).toContain('-f (--follow)');
  });

  it('completion prints a script for each shell, zsh\'s without the bash one', () => {
    const zsh = tug(['completion', 'zsh']);
    expect(zsh.code, zsh.stderr).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef tug/);
    expect(zsh.stdout).not.toContain('complete -F');
  });

  it('a flag missing its value is a usage error, not an internal one', () => {
    const r = tug(['-f']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('a number option without a number is a usage error', () => {
    for (const args of [['up', '--parallel'], ['up', '--parallel', 'abc'], ['down', '-t']]) {
      const r = tug(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    }
  });

  it('--parallel is Compose\'s root flag: before or after the verb, a whole number of 1 or more or -1; 0 is a usage error, not an internal one', () => {
    for (const args of [['up', '--parallel', '0'], ['--parallel', '2.5', 'down'], ['down', '--parallel', '-3']]) {
      const r = tug(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('--parallel takes a whole number of 1 or more, or -1 for no limit');
    }
    // Accepted in either place (they then fail only for the lack of a stack file here: exit 3).
    for (const args of [['--parallel', '1', 'down'], ['down', '--parallel', '-1'], ['up', '--parallel', '4']]) {
      const r = tug(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr).not.toContain('--parallel');
    }
  });

  it('no command at all is a usage error', () => {
    expect(tug([]).code).toBe(2);
  });

  it('a directory without a stack file is an invalid stack (3), without a stack trace', () => {
    const r = tug(['config']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stdout).toBe('');
  });

  it('accepts Compose\'s --no-* flags as flags of their own, not as negations', () => {
    // Parsing succeeds, so the failure is the missing stack file (3), not an unknown argument (2).
    const r = tug(['up', '--no-deps', '--no-start', '--no-recreate', '-d']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).not.toMatch(/Unknown argument/i);
  });

  it('reads -f after `rm` as --force, and before a verb as --file', () => {
    const r = tug(['-f', 'missing.yaml', 'rm', '-f']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('missing.yaml');
  });

  it('prints a valid stack, and its service names', () => {
    const dir = mkdtempSync(join(work, 'ok-'));
    writeFileSync(join(dir, 'compose.yaml'), 'name: demo\nservices:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres\n');
    const r = tug(['config'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name: demo\nservices:\n {2}db:\n/);
    expect(tug(['config', '--services'], dir).stdout).toBe('db\nweb\n');
    expect(tug(['validate'], dir)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('config --hash prints each service\'s config hash, which moves with what recreates a container only', () => {
    const dir = mkdtempSync(join(work, 'hash-'));
    const write = (envValue: string, scale: number) => writeFileSync(join(dir, 'compose.yaml'),
      `name: demo\nservices:\n  web:\n    image: nginx\n    environment: { A: "${envValue}" }\n    scale: ${scale}\n    depends_on: [db]\n  db:\n    image: postgres\n`);
    write('1', 1);
    const all = tug(['config', '--hash', '*'], dir);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^db [0-9a-f]{64}\nweb [0-9a-f]{64}\n$/);
    const web = (r: { stdout: string }) => r.stdout.trim().split(' ')[1];
    const before = web(tug(['config', '--hash', 'web'], dir));
    expect(all.stdout).toContain(`web ${before}`);
    write('1', 3);
    expect(web(tug(['config', '--hash', 'web'], dir))).toBe(before);
    write('2', 3);
    expect(web(tug(['config', '--hash', 'web'], dir))).not.toBe(before);
    const bad = tug(['config', '--hash', 'web,nope'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nope');
  });

  it('defers dockerode\'s BuildKit session and docker-modem\'s ssh support to their first call, and both resolve', () => {
    const chunks = join(root, 'dist/chunks');
    const engineChunk = readdirSync(chunks).map((f) => join(chunks, f)).find((f) => readFileSync(f, 'utf8').includes('docker-modem'));
    expect(engineChunk).toBeDefined();
    const code = readFileSync(engineChunk!, 'utf8');
    // Neither gRPC nor ssh2 is bundled or required as the chunk loads...
    expect(code).not.toMatch(/require\("(@grpc\/grpc-js|ssh2)"\)/);
    // ...only the two modules that need them, from node_modules, when called.
    for (const lazy of ['dockerode/lib/session.js', 'docker-modem/lib/ssh.js']) {
      expect(code).toContain(`require(${JSON.stringify(lazy)})`);
      expect(typeof createRequire(engineChunk!)(lazy)).toBe('function');
    }
  });
});

describe('reportError', () => {
  beforeAll(() => configureReporting({ ansi: 'never', debug: false }));

  function capture(err: unknown): string {
    let text = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      text += String(chunk);
      return true;
    });
    const before = process.exitCode;
    try {
      reportError(err);
      return text;
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
  }

  it('reports a bug as one line, without the stack', () => {
    const text = capture(new TypeError('x is not a function\nmore'));
    expect(text).toBe('tug: internal error: x is not a function (rerun with --debug for details)\n');
  });

  it('prints each diagnostic of a TugError', () => {
    const text = capture(new TugError('invalid_value', 'it broke', { location: { file: 'compose.yaml', line: 2, col: 3 }, hint: 'fix it' }));
    expect(text).toMatch(/^error: compose\.yaml:2:3: it broke\n {2}hint: fix it\n$/);
  });
});
