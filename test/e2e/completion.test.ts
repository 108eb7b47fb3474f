/**
 * The completion scripts in the real shells: bash (its completion function driven with the
 * COMP_* variables readline would set), zsh (the function with the completion system's
 * builtins stubbed, then a real interactive zsh on a pseudo-terminal pressing Tab) and fish
 * (`complete -C`, fish's own completion engine). Each calls back the built tug, which reads
 * the stack file the command line names. CI installs zsh and fish (scripts/shells-install.sh).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { quote } from 'shlex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureCli } from './helpers.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  await ensureCli();
  dir = mkdtempSync(join(tmpdir(), 'tug-e2e-complete-'));
  // `tug` on PATH, as a user has it: the scripts call back the program named on the line.
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'tug'), `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(BIN)} "$@"\n`);
  chmodSync(join(dir, 'bin', 'tug'), 0o755);
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web: {image: busybox}\n  db: {image: busybox}\n  debugger: {image: busybox, profiles: [debugging]}\n');
  writeFileSync(join(dir, 'other.yaml'), 'services:\n  api: {image: busybox}\n');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'compose.yaml'), 'services:\n  inner: {image: busybox}\n');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COMPOSE_')));
  env = { ...clean, PATH: `${join(dir, 'bin')}${delimiter}${process.env.PATH}`, TUG_CACHE_DIR: join(dir, 'cache'), HOME: dir };
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(shell: string, args: string[], input?: string) {
  const r = spawnSync(shell, args, { cwd: dir, env, encoding: 'utf8', input, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

describe('tug completion', () => {
  it('prints one script per shell, exit 0; without an argument the one $SHELL names', () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = sh('tug', ['completion', shell]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('__complete');
    }
    expect(sh('tug', ['completion', 'zsh']).stdout).not.toContain('complete -F');
    expect(sh('tug', ['completion', 'bash']).stdout).toContain('complete -F _tug_complete tug');
    const viaShell = spawnSync('tug', ['completion'], { cwd: dir, env: { ...env, SHELL: '/usr/bin/fish' }, encoding: 'utf8' });
    expect(viaShell.stdout).toContain('complete -c tug');
    const bad = sh('tug', ['completion', 'tcsh']);
    expect(bad.code).toBe(2);
  });

  it('the scripts parse in their shells', () => {
    for (const [shell, check] of [['bash', ['-n']], ['zsh', ['-n']], ['fish', ['--no-execute']]] as const) {
      const file = join(dir, `script.${shell}`);
      writeFileSync(file, sh('tug', ['completion', shell]).stdout);
      const r = sh(shell, [...check, file]);
      expect(r.error, `${shell} is not installed: run scripts/shells-install.sh`).toBeUndefined();
      expect(r.code, `${shell}: ${r.stderr}`).toBe(0);
    }
  });

  it('still answers the callback of the scripts yargs used to print', () => {
    const r = sh('tug', ['--get-yargs-completions', 'tug', 'up', '']);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['db', 'debugger', 'web']);
  });
});

describe('bash', () => {
  /** COMPREPLY for a line with the cursor at its end, the function called as readline would. */
  function bashComplete(line: string): string[] {
    const script = `
      source <(tug completion bash)
      complete -p tug
      COMP_LINE=${quote(line)}; COMP_POINT=\${#COMP_LINE}
      read -r -a COMP_WORDS <<< "$COMP_LINE"
      [[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=("")
      COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
      _tug_complete 2>/dev/null
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = sh('bash', ['-c', script]);
    expect(r.code, r.stderr).toBe(0);
    const [registered, ...out] = r.stdout.split('\n').filter(Boolean);
    expect(registered).toBe('complete -F _tug_complete tug');
    return out;
  }

  it('verbs, and flags with the right number of dashes', () => {
    expect(bashComplete('tug co')).toEqual(['config', 'completion']);
    const flags = bashComplete('tug up -');
    expect(flags).toEqual(expect.arrayContaining(['--file', '-f', '--project-name', '-p', '--detach', '-d']));
    expect(flags).not.toContain('--f');
    expect(flags).not.toContain('--p');
  });

  it('services from the stack file, honouring -f and --project-directory typed before', () => {
    expect(bashComplete('tug up ').sort()).toEqual(['db', 'debugger', 'web']);
    expect(bashComplete('tug logs -f d').sort()).toEqual(['db', 'debugger']);
    expect(bashComplete('tug -f other.yaml up ')).toEqual(['api']);
    expect(bashComplete('tug --project-directory sub ps ')).toEqual(['inner']);
    expect(bashComplete('tug scale w')).toEqual(['web=']);
  });

  it('profiles after --profile, also after --profile= (readline replaces what follows the =)', () => {
    expect(bashComplete('tug --profile ')).toEqual(['debugging']);
    expect(bashComplete('tug --profile=deb')).toEqual(['debugging']);
  });

  it('file names after -f', () => {
    expect(bashComplete('tug -f oth')).toEqual(['other.yaml']);
    expect(bashComplete('tug --file=oth')).toEqual(['other.yaml']);
  });
});

describe('zsh', () => {
  /** The completion function run with compdef, _describe, _files and compset stubbed to print. */
  function zshComplete(line: string): string[] {
    const script = `
      compdef() { print -r -- "compdef $*" }
      _describe() { local name=$4; shift 4; local c; for c in "\${(@P)name}"; do print -r -- "$c"; done }
      _files() { print -r -- "FILES $*" }
      compset() { PREFIX=\${PREFIX#*=} }
      source <(tug completion zsh)
      words=(\${(z)1}); [[ $1 == *' ' ]] && words+=('')
      CURRENT=\${#words}; PREFIX=\${words[-1]}
      _tug`;
    const r = sh('zsh', ['-f', '-c', script, 'zsh', line]);
    expect(r.code, r.stderr).toBe(0);
    const [registered, ...out] = r.stdout.split('\n').filter(Boolean);
    expect(registered).toBe('compdef _tug tug');
    return out;
  }

  it('candidates as NAME:DESCRIPTION, colons in names escaped; files when the value is a path', () => {
    expect(zshComplete('tug up ').sort()).toEqual(['db', 'debugger', 'web']);
    const flags = zshComplete('tug up --d');
    expect(flags.find((f) => f.startsWith('--detach:'))).toMatch(/^--detach:Run in the background/);
    expect(flags.some((f) => f.startsWith('--f:') || f === '--f')).toBe(false);
    expect(zshComplete('tug --profile=d')).toEqual(['--profile=debugging']);
    expect(zshComplete('tug -f other.yaml cp ')).toEqual(['api\\:', 'FILES ']);
    expect(zshComplete('tug -f ')).toEqual(['FILES ']);
  });

  it('a real interactive zsh completes on Tab', () => {
    // zsh's own pseudo-terminal module: compinit, the script, a line, then Tab; the line the
    // shell shows afterwards is read back.
    const script = `
      zmodload zsh/zpty
      zpty z zsh -f -i
      zpty -w z 'PROMPT="> "; autoload -U compinit; compinit -u -D; source <(tug completion zsh); print READY'
      local out='' chunk
      for i in {1..200}; do zpty -r -t z chunk 2>/dev/null && out+=$chunk; [[ $out == *READY*'> '* ]] && break; sleep 0.1; done
      zpty -w -n z "$1"$'\\t'
      out=''
      for i in {1..200}; do zpty -r -t z chunk 2>/dev/null && out+=$chunk; [[ $out == *"$2"* ]] && break; sleep 0.1; done
      print -r -- "$out"
      zpty -d z`;
    const r = sh('zsh', ['-f', '-c', script, 'zsh', 'tug --profile=deb', 'debugging']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('--profile=debugging');
    const svc = sh('zsh', ['-f', '-c', script, 'zsh', 'tug -f other.yaml up a', 'api']);
    expect(svc.stdout).toMatch(/up api/);
  });
});

describe('fish', () => {
  function fishComplete(line: string): string[] {
    const r = sh('fish', ['--no-config', '-c', `tug completion fish | source; complete -C ${quote(line)}`]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('services, flags with their descriptions, profiles and files', () => {
    expect(fishComplete('tug up ').sort()).toEqual(['db', 'debugger', 'web']);
    expect(fishComplete('tug -f other.yaml up ')).toEqual(['api']);
    const flags = fishComplete('tug up --d');
    expect(flags).toContain('--detach\tRun in the background; do not follow logs');
    expect(flags.some((f) => f.startsWith('--f\t') || f === '--f')).toBe(false);
    expect(fishComplete('tug --profile=deb')).toEqual(['--profile=debugging']);
    expect(fishComplete('tug -f oth')).toEqual(['other.yaml']);
    expect(fishComplete('tug --file=oth')).toEqual(['--file=other.yaml']);
  });
});
