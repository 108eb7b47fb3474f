/**
 * create, cp and stats through the CLI binary on the real engine: containers created and not
 * started, files both ways with docker cp's placement rules, and resource figures that come
 * from the engine (the memory limit is the one the stack file sets).
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, IMAGE, cliEnv, e2eScope, tug, watched } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(stack);
  },
});
const { engine } = scope;
const project = scope.project('cp');
const sh = promisify(execFile);

const stack = `
name: ${project}
services:
  app:
    image: ${IMAGE}
    init: true
    mem_limit: 64m
    command: ["sh", "-c", "mkdir -p /d/sub && echo hi > /d/a.txt && echo yo > /d/sub/b.txt && ln -s /d/a.txt /d/link && touch /ready && sleep 300"]
  pair:
    image: ${IMAGE}
    init: true
    scale: 2
    command: ["sleep", "300"]
`;

let dir: string;
const ok = async (args: string[]) => {
  const r = await tug(args, dir);
  expect(r.code, `tug ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
};
const inApp = async (script: string, service = 'app', index = 1) =>
  (await ok(['exec', '-T', '--index', String(index), service, 'sh', '-c', script])).stdout;

describe('create, cp and stats on the real engine', () => {
  it('create makes every container without starting one, and a second create changes nothing', async () => {
    await ok(['create', '--progress', 'quiet']);
    const list = await listContainers(engine, { project, all: true });
    expect(list.map((c) => `${c.service}-${c.number}:${c.state}`).sort()).toEqual(['app-1:created', 'pair-1:created', 'pair-2:created']);
    // config --hash names the hash up put on the container, so a script can tell what up would recreate.
    const hashed = (await ok(['config', '--hash', 'app'])).stdout.trim();
    expect(hashed).toBe(`app ${list.find((c) => c.service === 'app')!.labels['com.docker.compose.config-hash']}`);
    const again = await ok(['create', '--progress', 'quiet']);
    expect(again.stderr).toContain('Nothing to do: 3 containers already up to date.');
    // up starts what create made: the same containers, not new ones.
    const ids = list.map((c) => c.id).sort();
    await ok(['up', '-d', '--progress', 'quiet']);
    const after = await listContainers(engine, { project });
    expect(after.map((c) => c.id).sort()).toEqual(ids);
    for (let i = 0; i < 50 && !(await inApp('test -e /ready && echo yes')).includes('yes'); i++) await new Promise((r) => setTimeout(r, 100));
  });

  it('cp out of a container: into a directory, onto a new name, only the contents, a symlink kept or followed', async () => {
    await ok(['cp', 'app:/d', join(dir, 'out')]);
    expect(readFileSync(join(dir, 'out/sub/b.txt'), 'utf8')).toBe('yo\n');
    expect(readlinkSync(join(dir, 'out/link'))).toBe('/d/a.txt');

    await mkdir(join(dir, 'into'));
    await ok(['cp', 'app:/d', join(dir, 'into')]);
    expect(readFileSync(join(dir, 'into/d/a.txt'), 'utf8')).toBe('hi\n');

    await mkdir(join(dir, 'contents'));
    await ok(['cp', 'app:/d/.', join(dir, 'contents')]);
    expect(readFileSync(join(dir, 'contents/a.txt'), 'utf8')).toBe('hi\n');
    expect(existsSync(join(dir, 'contents/d'))).toBe(false);

    await ok(['cp', 'app:/d/a.txt', join(dir, 'renamed.txt')]);
    expect(readFileSync(join(dir, 'renamed.txt'), 'utf8')).toBe('hi\n');

    await ok(['cp', 'app:/d/link', join(dir, 'kept')]);
    expect(lstatSync(join(dir, 'kept')).isSymbolicLink()).toBe(true);
    await ok(['cp', '-L', 'app:/d/link', join(dir, 'followed')]);
    expect(lstatSync(join(dir, 'followed')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'followed'), 'utf8')).toBe('hi\n');
  });

  it('cp into a container: a directory, its contents, a file under a new name, a tar stream on stdin', async () => {
    await mkdir(join(dir, 'up/in'), { recursive: true });
    await writeFile(join(dir, 'up/f.txt'), 'local\n');
    await writeFile(join(dir, 'up/in/g.txt'), 'deep\n');
    await ok(['cp', join(dir, 'up'), 'app:/tmp/']);
    await ok(['cp', `${join(dir, 'up')}/.`, 'app:/tmp/flat']);
    await ok(['cp', join(dir, 'up/f.txt'), 'app:/tmp/new.txt']);
    expect(await inApp('cat /tmp/up/in/g.txt /tmp/flat/f.txt /tmp/new.txt; stat -c %u:%g /tmp/new.txt')).toBe('deep\nlocal\nlocal\n0:0\n');

    const piped = await sh('sh', ['-c', `tar cf - -C "${join(dir, 'up')}" f.txt | "${process.execPath}" "${BIN}" cp - app:/srv-in 2>&1; echo "code $?"`], { cwd: dir, env: cliEnv() });
    expect(piped.stdout).toMatch(/\/srv-in is not a directory in the container[\s\S]*code 2/);
    await inApp('mkdir /srv-in');
    await sh('sh', ['-c', `tar cf - -C "${join(dir, 'up')}" f.txt | "${process.execPath}" "${BIN}" cp - app:/srv-in`], { cwd: dir, env: cliEnv() });
    expect(await inApp('cat /srv-in/f.txt')).toBe('local\n');

    const tarOut = await sh('sh', ['-c', `"${process.execPath}" "${BIN}" cp app:/d - | tar tf -`], { cwd: dir, env: cliEnv() });
    expect(tarOut.stdout.split('\n').filter(Boolean).sort()).toEqual(['d/', 'd/a.txt', 'd/link', 'd/sub/', 'd/sub/b.txt']);
  });

  it('cp into a service reaches every replica, or the one --index names', async () => {
    await writeFile(join(dir, 'note.txt'), 'to all\n');
    await ok(['cp', join(dir, 'note.txt'), 'pair:/tmp/note.txt']);
    expect(await inApp('cat /tmp/note.txt', 'pair', 1)).toBe('to all\n');
    expect(await inApp('cat /tmp/note.txt', 'pair', 2)).toBe('to all\n');
    await writeFile(join(dir, 'two.txt'), 'only two\n');
    await ok(['cp', '--index', '2', join(dir, 'two.txt'), 'pair:/tmp/two.txt']);
    expect(await inApp('cat /tmp/two.txt', 'pair', 2)).toBe('only two\n');
    expect(await inApp('test -e /tmp/two.txt && echo there || echo absent', 'pair', 1)).toBe('absent\n');
  });

  it('cp refuses what docker cp refuses, with exit 2 and no trace of a stack', async () => {
    const cases: [string[], RegExp][] = [
      [['cp', 'app:/nope', join(dir, 'x')], /no such file or directory in the container: \/nope/],
      [['cp', 'app:/d', join(dir, 'renamed.txt')], /cannot copy a directory onto the file/],
      [['cp', 'app:/d/a.txt', `${join(dir, 'missing')}/`], /destination directory .*missing\/ does not exist/],
      [['cp', join(dir, 'up'), 'app:/no/such/dir'], /\/no\/such is not a directory in the container/],
      [['cp', 'nosuch:/x', join(dir, 'x')], /no such service: nosuch/],
      [['cp', join(dir, 'a'), join(dir, 'b')], /one side of tug cp must be SERVICE:PATH/],
    ];
    for (const [args, message] of cases) {
      const r = await tug(args, dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('stats --no-stream reports what the engine measures, with the limit the file sets', async () => {
    // docker stats's shape (which `docker compose stats` prints): one object a line, values as docker writes them.
    const r = await ok(['stats', '--no-stream', '--format', 'json']);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.map((x) => x.Name)).toEqual([`${project}-app-1`, `${project}-pair-1`, `${project}-pair-2`]);
    const app = rows[0]!;
    expect(Object.keys(app)).toEqual(['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    const [used, limit] = app.MemUsage!.split(' / ');
    expect(limit).toBe('64MiB');
    expect(used).toMatch(/^\d+(\.\d+)?(B|KiB|MiB)$/);
    expect(used).not.toMatch(/^0B$/);
    // init, sh and sleep
    expect(Number(app.PIDs)).toBeGreaterThanOrEqual(2);
    expect(app.CPUPerc).toMatch(/^\d+\.\d\d%$/);
    expect(app.ID).toBe(app.Container!.slice(0, 12));
    const templated = await ok(['stats', '--no-stream', 'app', '--format', 'table {{.Name}}\\t{{.MemUsage}}']);
    expect(templated.stdout).toMatch(new RegExp(`^NAME\\s+MEM USAGE / LIMIT\\n${project}-app-1\\s+\\S+ / 64MiB\\n$`));

    const table = await ok(['stats', '--no-stream', 'app']);
    expect(table.stdout).toMatch(new RegExp(`^NAME\\s+SERVICE\\s+CPU %\\s+MEM USAGE / LIMIT\\s+MEM %\\s+NET I/O\\s+BLOCK I/O\\s+PIDS\\n${project}-app-1\\s+app\\s+\\d+\\.\\d\\d%\\s+\\S+ / 64MiB\\s`));
  });

  it('stats without --no-stream samples again and again until Ctrl-C, which ends it with 0', async () => {
    const p = watched(process.execPath, [BIN, 'stats', 'app'], dir);
    await p.until('two samples', (out) => (out.match(/^NAME\s+SERVICE/gm) ?? []).length >= 2);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    // Not a terminal: one table after another, a blank line between them.
    expect(p.out.stdout).toMatch(new RegExp(`^NAME.*\n${project}-app-1 .*\n\nNAME`, 'm'));
    expect(p.out.stdout).not.toContain('\x1b[');
  });

  it('version prints the package version, short or as JSON', async () => {
    const pkg = JSON.parse(readFileSync(join(BIN, '../../package.json'), 'utf8')) as { version: string };
    expect((await ok(['version'])).stdout).toBe(`tug version ${pkg.version}\n`);
    expect((await ok(['version', '--short'])).stdout).toBe(`${pkg.version}\n`);
    // Compose prints {"version":"..."} on one line.
    expect((await ok(['version', '--format', 'json'])).stdout).toBe(`${JSON.stringify({ version: pkg.version })}\n`);
  });
});
