/**
 * The dev loop's parts without an engine or a file watcher: the rules (refusals at their
 * lines, what a rule takes and where it lands), the batching of file events, the plan and the
 * tar of a sync; and a whole session on the fake engine with file events fed by hand.
 */
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { extract } from 'tar-stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StackInvalidError } from '../../src/errors.js';
import { Batcher } from '../../src/run/devloop/batch.js';
import { compileRules, containerPath, takes } from '../../src/run/devloop/rules.js';
import { watch } from '../../src/run/devloop/session.js';
import { outermost, planSync, tarOf } from '../../src/run/devloop/sync.js';
import type { Subscribe } from '../../src/run/devloop/files.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import { loadProject } from '../../src/stack/load.js';
import { composeContainer, FakeEngine } from '../fake-engine.js';
import { tempDirs } from '../support.js';

const temp = tempDirs();

async function project(yaml: string, files: Record<string, string> = {}) {
  const dir = temp({ 'compose.yaml': yaml, ...files });
  return { dir, project: await loadProject({ cwd: dir, env: {} }) };
}

function refusals(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof StackInvalidError) return e.diagnostics().map((d) => `${d.location?.line ?? '?'}: ${d.message}`);
    throw e;
  }
  return [];
}

describe('watch rules', () => {
  it('refuses, at their lines, the rules the schema accepts but tug cannot honour', async () => {
    const { project: p } = await project(`name: p
services:
  web:
    image: busybox
    develop:
      watch:
        - path: ./src
          action: rebuild
        - path: ./src
          action: sync
        - path: ./src
          action: sync
          target: /app
          exec: {command: make}
        - path: ./src
          action: restart
          initial_sync: true
        - path: ./nowhere
          action: restart
        - path: ./src
          action: sync+exec
          target: /app
`, { 'src/a.txt': 'a' });
    expect(refusals(() => compileRules(p))).toEqual([
      '8: service "web" has no build section, so its watch rule cannot rebuild it',
      '9: watch rule 2 of service "web" (action sync) has no target: where should the files go?',
      '14: exec runs only with action sync+exec, not sync: the command would never run',
      '17: initial_sync applies to sync actions, not restart: there is nothing to sync',
      '18: watch path ' + path.join(p.working_dir, 'nowhere') + ' of service "web" does not exist',
      '20: watch rule 6 of service "web" (action sync+exec) has no exec: what should run?',
    ]);
  });

  it('refuses a selection without rules, and leaves out a bind-mounted path with a warning', async () => {
    const { project: p } = await project(`name: p
services:
  web:
    image: busybox
    volumes: [./src:/app]
    develop:
      watch:
        - {path: ./src, action: sync, target: /app}
        - {path: ./conf, action: restart}
  db:
    image: busybox
`, { 'src/a.txt': 'a', 'conf/c': 'c' });
    expect(refusals(() => compileRules(p, ['db']))[0]).toMatch(/none of "db" has develop.watch rules/);
    const { rules, warnings } = compileRules(p);
    expect(rules.map((r) => r.action)).toEqual(['restart']);
    expect(warnings.map((w) => w.location?.line)).toEqual([8]);
    expect(warnings[0]!.message).toMatch(/also bind-mounted/);
  });

  it('takes what is under its path, included and not ignored, and maps it under target', async () => {
    const { project: p, dir } = await project(`name: p
services:
  web:
    build: ./src
    develop:
      watch:
        - path: ./src
          action: sync
          target: app
          ignore: [node_modules/, '*.log']
        - path: ./src
          action: rebuild
          include: ['**/*.go']
        - path: ./src/package.json
          action: sync+restart
          target: /srv/package.json
`, { 'src/Dockerfile': 'FROM busybox\n', 'src/.dockerignore': 'secrets\n', 'src/package.json': '{}' });
    const [sync, rebuild, file] = compileRules(p).rules;
    const src = (s: string) => path.join(dir, 'src', s);
    expect(takes(sync!, src('index.html'))).toBe(true);
    expect(containerPath(sync!, src('a/b.txt'))).toBe('/app/a/b.txt');
    expect(takes(sync!, src('node_modules/x/y.js'))).toBe(false);
    expect(takes(sync!, src('app.log'))).toBe(false);
    expect(takes(sync!, src('sub/app.log'))).toBe(true);
    expect(takes(sync!, src('secrets/key'))).toBe(false); // the build context's .dockerignore
    expect(takes(sync!, src('.git/HEAD'))).toBe(false);
    expect(takes(sync!, src('a/.index.html.swp'))).toBe(false);
    expect(takes(sync!, src('a/index.html~'))).toBe(false);
    expect(takes(sync!, path.join(dir, 'elsewhere.txt'))).toBe(false);
    expect(sync!.prune).toEqual([src('node_modules')]);
    expect(takes(rebuild!, src('cmd/main.go'))).toBe(true);
    expect(takes(rebuild!, src('README.md'))).toBe(false);
    expect(takes(file!, src('package.json'))).toBe(true);
    expect(takes(file!, src('package-lock.json'))).toBe(false);
    expect(containerPath(file!, src('package.json'))).toBe('/srv/package.json');
  });
});

describe('batching file events', () => {
  afterEach(() => void vi.useRealTimers());

  it('collects paths until a quiet time, waits longer in a burst, and handles one batch at a time', async () => {
    vi.useFakeTimers();
    const batches: string[][] = [];
    let release: () => void = () => {};
    const handle = vi.fn(async (paths: string[]) => {
      batches.push(paths);
      if (batches.length === 2) await new Promise<void>((r) => (release = r));
    });
    const b = new Batcher(handle, { quietMs: 50, burstQuietMs: 200, burstSize: 3, maxWaitMs: 1000 }, (p) => p.endsWith('/'), () => Date.now());
    b.add(['a']);
    await vi.advanceTimersByTimeAsync(30);
    b.add(['b', 'a']);
    await vi.advanceTimersByTimeAsync(49);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['a', 'b']]);
    // A new directory starts a burst: the quiet time grows.
    b.add(['dir/']);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches.length).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([['a', 'b'], ['dir/']]);
    // While that batch is handled, paths wait for the next one.
    b.add(['c']);
    await vi.advanceTimersByTimeAsync(500);
    expect(batches.length).toBe(2);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['a', 'b'], ['dir/'], ['c']]);
    await b.close();
  });

  it('flushes a stream of events after the longest wait', async () => {
    vi.useFakeTimers();
    const batches: string[][] = [];
    const b = new Batcher(async (paths) => void batches.push(paths), { quietMs: 50, burstQuietMs: 50, burstSize: 100, maxWaitMs: 300 }, () => false, () => Date.now());
    for (let i = 0; i < 10; i++) {
      b.add([`f${i}`]);
      await vi.advanceTimersByTimeAsync(40);
    }
    expect(batches.map((x) => x.length)).toEqual([8]);
    await b.close();
  });
});

describe('a sync', () => {
  it('sends what exists (directories whole, as their rule takes them) and removes what is gone, outermost first', async () => {
    const { project: p, dir } = await project(`name: p
services:
  web:
    image: busybox
    develop:
      watch:
        - {path: ./src, action: sync, target: /app, ignore: ['**/tmp']}
`, { 'src/a.txt': 'A', 'src/new/b.txt': 'B', 'src/new/tmp/x': 'no', 'src/new/tmp2/c.txt': 'C' });
    symlinkSync('a.txt', path.join(dir, 'src/link'));
    const [rule] = compileRules(p).rules;
    const at = (s: string) => ({ hostPath: path.join(dir, 'src', s), rule: rule! });
    const plan = await planSync([at('a.txt'), at('new'), at('gone'), at('gone/deeper'), at('link'), at('tmp')]);
    expect(plan.entries.map((e) => `${e.type} ${e.name}`)).toEqual([
      'file app/a.txt', 'directory app/new', 'file app/new/b.txt', 'directory app/new/tmp2', 'file app/new/tmp2/c.txt', 'symlink app/link',
    ]);
    expect(plan.deletes).toEqual(['/app/gone', '/app/tmp']);

    const seen: { name: string; type: string; body: string; linkname?: string | null }[] = [];
    const x = extract();
    x.on('entry', (h, stream, next) => {
      let body = '';
      stream.on('data', (d: unknown) => (body += String(d)));
      stream.on('end', () => {
        seen.push({ name: h.name, type: h.type ?? 'file', body, ...(h.linkname ? { linkname: h.linkname } : {}) });
        next();
      });
    });
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      x.on('finish', () => resolve());
      x.on('error', reject);
      tarOf(plan.entries, (n) => (bytes += n)).pipe(x as unknown as NodeJS.WritableStream);
    });
    expect(seen).toEqual([
      { name: 'app/a.txt', type: 'file', body: 'A' },
      { name: 'app/new', type: 'directory', body: '' },
      { name: 'app/new/b.txt', type: 'file', body: 'B' },
      { name: 'app/new/tmp2', type: 'directory', body: '' },
      { name: 'app/new/tmp2/c.txt', type: 'file', body: 'C' },
      { name: 'app/link', type: 'symlink', body: '', linkname: 'a.txt' },
    ]);
    expect(bytes).toBe(3);
  });

  it('never removes / and collapses paths inside others', () => {
    expect(outermost(['/a/b', '/a', '/ab', '/a/b/c', '/c'])).toEqual(['/a', '/ab', '/c']);
  });
});

describe('a watch session on the fake engine', () => {
  const fakes: FakeEngine[] = [];
  afterEach(() => {
    for (const f of fakes.splice(0)) f.dispose();
  });

  /** File events fed by the test: `fire(paths)` is what the watcher would report. */
  function fakeWatcher() {
    let feed: (paths: string[]) => void = () => {};
    const dirs: { dir: string; ignore: string[] }[] = [];
    const subscribe: Subscribe = async (dir, ignore, onPaths) => {
      dirs.push({ dir, ignore });
      feed = onPaths;
      return { close: async () => {} };
    };
    return { subscribe, dirs, fire: (paths: string[]) => feed(paths) };
  }

  it('syncs a batch into every running replica as one archive each, runs the hook after, and ends with the signal', async () => {
    const { project: p, dir } = await project(`name: p
services:
  web:
    image: busybox
    develop:
      watch:
        - path: ./src
          action: sync+exec
          target: /app
          initial_sync: true
          ignore: [node_modules]
          exec: {command: ["sh", "-c", "reload"], environment: {MODE: dev}, user: app}
`, { 'src/a.txt': 'A', 'src/old.txt': 'old', 'src/node_modules/m.js': 'm' });
    const f = new FakeEngine({ images: ['busybox'] });
    fakes.push(f);
    const ids = [1, 2].map((n) => f.addContainer(composeContainer('p', 'web', n)));
    f.addContainer(composeContainer('p', 'web', 3, { state: 'exited', exitCode: 0 }));
    for (const id of ids) await f.outside.exec.start(id, { cmd: ['mkdir', '/app'], tty: false, stdin: false }).catch(() => {});
    f.onExec(/^rm -rf/, { exitCode: 0 });
    f.onExec('sh -c reload', { exitCode: 0 });
    const w = fakeWatcher();
    const events: ProgressEvent[] = [];
    const ctl = new AbortController();
    const running = watch(f, p, { signal: ctl.signal, onProgress: (e) => void events.push(e), subscribe: w.subscribe, batch: { quietMs: 5, burstQuietMs: 5 } });
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(pred()).toBe(true);
    };
    await until(() => events.some((e) => e.action === 'watch' && e.message?.startsWith('enabled')));
    expect(w.dirs).toEqual([{ dir: path.join(dir, 'src'), ignore: ['**/.git', path.join(dir, 'src/node_modules')] }]);
    // initial_sync: one archive per running replica, nothing into the stopped one.
    expect(f.callsTo('containers.writeArchive').map((c) => c.target).sort()).toEqual(['p-web-1', 'p-web-2']);

    writeFileSync(path.join(dir, 'src/a.txt'), 'A2');
    writeFileSync(path.join(dir, 'src/b.txt'), 'B');
    rmSync(path.join(dir, 'src/old.txt'));
    w.fire([path.join(dir, 'src/a.txt'), path.join(dir, 'src/b.txt'), path.join(dir, 'src/old.txt'), path.join(dir, 'src/node_modules/m.js')]);
    await until(() => events.filter((e) => e.action === 'exec' && e.state === 'done').length === 2);
    const sync = events.filter((e) => e.action === 'sync' && e.state === 'done').at(-1)!;
    expect(sync.detail).toMatchObject({ files: 2, deleted: 1, containers: 2, archives: 2 });
    expect(f.callsTo('containers.writeArchive')).toHaveLength(4);
    const execs = f.sessions.map((s) => `${s.container}: ${s.cmd.join(' ')}`).filter((s) => !s.includes('mkdir'));
    expect(execs.sort()).toEqual(['p-web-1: rm -rf -- /app/old.txt', 'p-web-1: sh -c reload', 'p-web-2: rm -rf -- /app/old.txt', 'p-web-2: sh -c reload']);
    const hook = f.callsTo('exec.start').find((c) => (c.args[1] as { cmd: string[] }).cmd[0] === 'sh')!;
    expect(hook.args[1]).toMatchObject({ env: ['MODE=dev'], user: 'app', tty: false });
    const content = await f.outside.containers.statPath(ids[0]!, '/app/b.txt');
    expect(content?.size).toBe(1);

    ctl.abort();
    await running;
    expect(events.at(-1)).toMatchObject({ action: 'watch', message: 'disabled' });
  });

  it('reports a failed hook and goes on watching', async () => {
    const { project: p, dir } = await project(`name: p
services:
  web:
    image: busybox
    develop:
      watch:
        - {path: ./src, action: sync+exec, target: /tmp, exec: {command: "false"}}
`, { 'src/a.txt': 'A' });
    const f = new FakeEngine({ images: ['busybox'] });
    fakes.push(f);
    f.addContainer(composeContainer('p', 'web', 1));
    f.onExec('false', { exitCode: 1, stderr: 'nope\n' });
    const w = fakeWatcher();
    const events: ProgressEvent[] = [];
    const ctl = new AbortController();
    const running = watch(f, p, { signal: ctl.signal, onProgress: (e) => void events.push(e), subscribe: w.subscribe, batch: { quietMs: 5 } });
    await new Promise((r) => setTimeout(r, 20));
    w.fire([path.join(dir, 'src/a.txt')]);
    for (let i = 0; i < 200 && !events.some((e) => e.state === 'error'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(events.find((e) => e.state === 'error')).toMatchObject({ resource: 'container', name: 'p-web-1', action: 'exec', error: { code: 'exec_failed', message: 'false exited with code 1: nope' } });
    w.fire([path.join(dir, 'src/a.txt')]);
    for (let i = 0; i < 200 && events.filter((e) => e.action === 'sync' && e.state === 'done').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(events.filter((e) => e.action === 'sync' && e.state === 'done')).toHaveLength(2);
    ctl.abort();
    await running;
  });
});

