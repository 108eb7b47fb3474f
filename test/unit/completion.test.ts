/**
 * Shell completion's shared part: the words typed after `tug` in, the candidates out. The
 * model is read off the real verb modules, so these also check that flags come from yargs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SHORT_F_AFTER } from '../../src/cli/argv.js';
import { complete, formatCompletion, type StackNames, type StackSelection } from '../../src/cli/complete/complete.js';
import { cliModel } from '../../src/cli/complete/model.js';
import { completionScript } from '../../src/cli/complete/scripts.js';
import { stackNames } from '../../src/cli/complete/stack-names.js';
import { verbModules } from '../../src/cli/verbs.js';

const model = cliModel(verbModules);

/** A stack with these names, recording which stack each question was about. */
function fakeStack(services = ['web', 'db', 'worker'], profiles = ['debug', 'dev']) {
  const asked: StackSelection[] = [];
  const names: StackNames = {
    services: async (sel) => (asked.push(sel), services),
    profiles: async (sel) => (asked.push(sel), profiles),
  };
  return { names, asked };
}

async function values(words: string[], stack = fakeStack().names) {
  const c = await complete(words, model, stack, SHORT_F_AFTER);
  return c.candidates.map((x) => x.value);
}

describe('complete: verbs and flags', () => {
  it('offers the verbs, with their descriptions, filtered by what is typed', async () => {
    const c = await complete([''], model, fakeStack().names);
    const verbs = c.candidates.map((x) => x.value);
    for (const v of ['up', 'down', 'ps', 'config', 'logs', 'exec', 'completion']) expect(verbs).toContain(v);
    expect(c.candidates.find((x) => x.value === 'up')?.description).toMatch(/start/i);
    expect(await values(['co'])).toEqual(['config', 'completion']);
    // Global options before the verb do not change what is offered in the verb's place.
    expect(await values(['-f', 'x.yaml', '--profile', 'dev', 'do'])).toEqual(['down']);
  });

  it('offers long flags with two dashes and short ones with one: never --f or --p', async () => {
    const all = await values(['up', '-']);
    expect(all).toEqual(expect.arrayContaining(['--file', '-f', '--project-name', '-p', '--detach', '-d', '--wait', '-h']));
    expect(all).not.toContain('--f');
    expect(all).not.toContain('--p');
    expect(all).not.toContain('--d');
    expect(all.filter((v) => /^-[^-]./.test(v))).toEqual([]);
    expect(await values(['up', '--p'])).toEqual(expect.arrayContaining(['--project-name', '--profile', '--pull', '--parallel']));
    expect((await values(['up', '--p'])).every((v) => v.startsWith('--p'))).toBe(true);
  });

  it('flags are the verb\'s own, read from its yargs module', async () => {
    expect(await values(['ps', '--'])).toEqual(expect.arrayContaining(['--all', '--quiet', '--format']));
    expect(await values(['ps', '--'])).not.toContain('--detach');
    expect(await values(['down', '--'])).toEqual(expect.arrayContaining(['--volumes', '--rmi', '--remove-orphans']));
    // Before a verb: only the global options.
    const globals = await values(['--']);
    expect(globals).toEqual(expect.arrayContaining(['--file', '--profile', '--project-directory', '--help', '--version']));
    expect(globals).not.toContain('--detach');
  });

  it('a flag already given is not offered again, unless it is repeatable', async () => {
    const after = await values(['up', '-d', '-f', 'a.yaml', '--']);
    expect(after).not.toContain('--detach');
    expect(after).toContain('--file');
    expect(after).toContain('--wait');
    // Also a global flag given before the verb.
    expect(await values(['-p', 'x', 'up', '--project'])).toEqual(['--project-directory']);
  });

  it('after logs and rm, -f is their --follow and --force, not --file', async () => {
    const logs = await complete(['logs', '-'], model, fakeStack().names, SHORT_F_AFTER);
    const shortF = logs.candidates.filter((x) => x.value === '-f');
    expect(shortF).toHaveLength(1);
    expect(shortF[0]!.description).toBe(logs.candidates.find((x) => x.value === '--follow')?.description);
    expect(shortF[0]!.description).not.toMatch(/stack file/i);
    // `-f` typed after logs is --follow, so it takes no value: the next word is a service.
    expect(await values(['logs', '-f', ''])).toEqual(['web', 'db', 'worker']);
    expect(await values(['up', '-f', ''])).toEqual([]);
  });

  it('values: choices, profiles from the stack, files and directories left to the shell', async () => {
    expect(await values(['--progress', ''])).toEqual(['auto', 'tty', 'plain', 'json', 'quiet']);
    expect(await values(['--ansi', 'n'])).toEqual(['never']);
    expect(await values(['up', '--pull', 'm'])).toEqual(['missing']);
    expect(await values(['--profile', ''])).toEqual(['debug', 'dev']);
    expect(await values(['--profile=de'])).toEqual(['--profile=debug', '--profile=dev']);
    expect(await values(['up', '--exit-code-from', 'w'])).toEqual(['web', 'worker']);
    expect(await complete(['-f', ''], model, fakeStack().names)).toEqual({ candidates: [], directive: 'file' });
    expect(await complete(['--file=c'], model, fakeStack().names)).toEqual({ candidates: [], directive: 'file' });
    expect(await complete(['--env-file', ''], model, fakeStack().names)).toMatchObject({ directive: 'file' });
    expect(await complete(['--project-directory', ''], model, fakeStack().names)).toMatchObject({ directive: 'dir' });
    // A value with no known set: nothing, and no file names either.
    expect(await complete(['-p', ''], model, fakeStack().names)).toEqual({ candidates: [], directive: 'none' });
    // Short flags grouped: the last takes the next word as its value.
    expect(await values(['up', '-dt', ''])).toEqual([]);
  });
});

describe('complete: positionals', () => {
  it('offers service names where a verb takes services, leaving out those already typed', async () => {
    expect(await values(['up', ''])).toEqual(['web', 'db', 'worker']);
    expect(await values(['up', 'web', ''])).toEqual(['db', 'worker']);
    expect(await values(['logs', '-n', '5', 'w'])).toEqual(['web', 'worker']);
    expect(await values(['exec', ''])).toEqual(['web', 'db', 'worker']);
    // Verbs that take no positional get none.
    expect(await values(['down', ''])).toEqual([]);
    expect(await values(['port', 'web', ''])).toEqual([]);
  });

  it('scale takes SERVICE=N, cp SERVICE:PATH or a path, exec/run a command after the service', async () => {
    expect(await values(['scale', ''])).toEqual(['web=', 'db=', 'worker=']);
    expect(await values(['scale', 'web=2', ''])).toEqual(['db=', 'worker=']);
    expect(await complete(['cp', 'w'], model, fakeStack().names)).toEqual({ candidates: [{ value: 'web:' }, { value: 'worker:' }], directive: 'file' });
    expect(await complete(['exec', 'web', ''], model, fakeStack().names)).toEqual({ candidates: [], directive: 'file' });
    // After the service the words are the command's, flags included.
    expect(await complete(['exec', 'web', 'ls', '-'], model, fakeStack().names)).toEqual({ candidates: [], directive: 'file' });
    expect(await complete(['run', '--rm', 'web', '--'], model, fakeStack().names)).toEqual({ candidates: [], directive: 'file' });
  });

  it('completion offers the shells', async () => {
    expect(await values(['completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(await values(['completion', 'z'])).toEqual(['zsh']);
  });

  it('asks the stack the -f, -p, --project-directory and --env-file typed so far', async () => {
    const { names, asked } = fakeStack();
    await complete(['-f', 'a.yaml', '--file=b.yaml', '-p', 'proj', '--project-directory', 'dir', '--env-file', 'e.env', 'up', ''], model, names);
    expect(asked).toEqual([{ files: ['a.yaml', 'b.yaml'], projectName: 'proj', projectDirectory: 'dir', envFiles: ['e.env'] }]);
  });
});

describe('the protocol and the scripts', () => {
  it('prints a candidate a line, a tab before its description, then the directive', () => {
    expect(formatCompletion({ candidates: [{ value: 'up', description: 'Create\nand start' }, { value: 'web' }], directive: 'none' }))
      .toBe('up\tCreate and start\nweb\n:none\n');
    expect(formatCompletion({ candidates: [], directive: 'file' })).toBe(':file\n');
  });

  it('each shell has its own script that calls back tug __complete; the bash one is not appended to others', () => {
    const bash = completionScript('bash');
    const zsh = completionScript('zsh');
    const fish = completionScript('fish');
    expect(bash).toContain('complete -F _tug_complete tug');
    expect(zsh.startsWith('#compdef tug')).toBe(true);
    expect(zsh).not.toContain('complete -F');
    expect(fish).toContain("complete -c tug -f -a '(__tug_complete)'");
    for (const s of [bash, zsh, fish]) {
      expect(s).toContain('__complete');
      // The template's escape for the shells' own ${ must not survive into the script.
      expect(s).not.toContain('\\${');
    }
  });
});

describe('stackNames: the real loader', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-complete-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web: {image: busybox}\n  debugger: {image: busybox, profiles: [debug]}\n');
    writeFileSync(join(dir, 'other.yaml'), 'services:\n  api: {image: busybox, profiles: [dev, debug]}\n');
    writeFileSync(join(dir, 'sub', 'compose.yaml'), 'services:\n  inner: {image: busybox}\n');
    writeFileSync(join(dir, 'broken.yaml'), 'services: [\n');
    writeFileSync(join(dir, 'envless.yaml'), 'services:\n  app: {image: busybox, env_file: missing.env, label_file: missing.labels}\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every service, profiles or not, and the profiles, from the files -f names', async () => {
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    try {
      const sel = { files: [join(dir, 'compose.yaml'), join(dir, 'other.yaml')], envFiles: [] };
      expect((await stackNames().services(sel)).sort()).toEqual(['api', 'debugger', 'web']);
      expect(await stackNames().profiles(sel)).toEqual(['debug', 'dev']);
      expect(await stackNames().services({ files: [], projectDirectory: join(dir, 'sub'), envFiles: [] })).toEqual(['inner']);
      // A missing env_file does not hide the names (as in docker compose's completion).
      expect(await stackNames().services({ files: [join(dir, 'envless.yaml')], envFiles: [] })).toEqual(['app']);
      // A stack that does not load, or stdin, offers nothing rather than failing.
      expect(await stackNames().services({ files: [join(dir, 'broken.yaml')], envFiles: [] })).toEqual([]);
      expect(await stackNames().services({ files: ['-'], envFiles: [] })).toEqual([]);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
