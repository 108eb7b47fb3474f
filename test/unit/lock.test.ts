/**
 * The project lock on a real file system: serialisation, fail-fast, cancellation, and
 * recovery from a holder that died without releasing (a child process killed with SIGKILL).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import {
  canonicalHost, engineHost, engineIdentity, lockDir, lockName, ProjectLockedError, runtimeDir, withProjectLock,
} from '../../src/run/lock.js';
import { FakeEngine } from '../fake-engine.js';

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tug-lock-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds the lock until `release` is called; resolves `held` once it has it. */
function hold(dir: string, project = 'app', host = 'unix:///var/run/docker.sock') {
  let release!: () => void;
  let held!: () => void;
  const heldP = new Promise<void>((r) => (held = r));
  const done = withProjectLock(host, project, { dir, command: 'up' }, async () => {
    held();
    await new Promise<void>((r) => (release = r));
  });
  return { held: heldP, release: () => release(), done };
}

describe('withProjectLock', () => {
  it('a second command waits, says for whom, and runs once the first has finished', async () => {
    const dir = freshDir();
    const first = hold(dir);
    await first.held;
    const order: string[] = [];
    const messages: string[] = [];
    const second = withProjectLock('unix:///var/run/docker.sock', 'app', { dir, command: 'down', onWait: (m) => messages.push(m) }, async () => {
      order.push('second');
    });
    await tick(300);
    expect(order).toEqual([]);
    expect(messages).toEqual([`waiting for another tug command on project app (pid ${process.pid}: tug up)…`]);
    order.push('first done');
    first.release();
    await first.done;
    await second;
    expect(order).toEqual(['first done', 'second']);
  });

  it('another project, or the same project on another engine, does not wait', async () => {
    const dir = freshDir();
    const first = hold(dir, 'app', 'unix:///var/run/docker.sock');
    await first.held;
    const waited: string[] = [];
    await withProjectLock('unix:///var/run/docker.sock', 'other', { dir, onWait: (m) => waited.push(m) }, async () => {});
    await withProjectLock('tcp://10.0.0.2:2375', 'app', { dir, onWait: (m) => waited.push(m) }, async () => {});
    expect(waited).toEqual([]);
    first.release();
    await first.done;
  });

  it('wait: false fails at once with project_locked, exit code 6, naming the holder', async () => {
    const dir = freshDir();
    const first = hold(dir);
    await first.held;
    const err = await withProjectLock('unix:///var/run/docker.sock', 'app', { dir, wait: false }, async () => 'ran').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProjectLockedError);
    const locked = err as ProjectLockedError;
    expect(locked.code).toBe('project_locked');
    expect(locked.exitCode).toBe(ExitCode.projectLocked);
    expect(ExitCode.projectLocked).toBe(6);
    expect(locked.holder?.pid).toBe(process.pid);
    expect(locked.message).toContain(`pid ${process.pid}: tug up`);
    first.release();
    await first.done;
  });

  it('is released when the work throws, and the holder file goes with it', async () => {
    const dir = freshDir();
    const boom = new Error('boom');
    await expect(withProjectLock('h', 'app', { dir }, async () => { throw boom; })).rejects.toBe(boom);
    const base = join(dir, lockName('h', 'app'));
    expect(existsSync(base)).toBe(false);
    expect(existsSync(`${base}.lock`)).toBe(false);
    await withProjectLock('h', 'app', { dir, wait: false }, async () => {});
  });

  it('cancelling a wait rejects with the signal\'s reason and leaves the holder alone', async () => {
    const dir = freshDir();
    const first = hold(dir);
    await first.held;
    const ctl = new AbortController();
    const reason = new Error('cancelled');
    const waiting = withProjectLock('unix:///var/run/docker.sock', 'app', { dir, signal: ctl.signal }, async () => 'ran');
    await tick(100);
    ctl.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(withProjectLock('unix:///var/run/docker.sock', 'app', { dir, wait: false }, async () => {})).rejects.toBeInstanceOf(ProjectLockedError);
    first.release();
    await first.done;
  });

  it('a lock not refreshed for staleMs (its holder gone, even on another machine) is taken over', async () => {
    const dir = freshDir();
    const base = join(dir, lockName('h', 'app'));
    mkdirSync(`${base}.lock`);
    writeFileSync(base, JSON.stringify({ pid: 1, hostname: 'elsewhere', command: 'up', project: 'app', engineHost: 'h', since: '' }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${base}.lock`, old, old);
    const t0 = Date.now();
    await withProjectLock('h', 'app', { dir, staleMs: 5000, wait: false }, async () => {});
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a holder killed with SIGKILL blocks the next command for seconds, not forever', async () => {
    const dir = freshDir();
    const lockModule = fileURLToPath(new URL('../../src/run/lock.ts', import.meta.url));
    const script = join(dir, 'holder.mts');
    writeFileSync(script, `import { withProjectLock } from ${JSON.stringify(lockModule)};
await withProjectLock('h', 'app', { dir: ${JSON.stringify(dir)}, command: 'up' }, async () => {
  process.stdout.write('locked\\n');
  await new Promise(() => setInterval(() => {}, 1000));
});
`);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const messages: string[] = [];
    const t0 = Date.now();
    await withProjectLock('h', 'app', { dir, onWait: (m) => messages.push(m) }, async () => {});
    const waited = Date.now() - t0;
    expect(messages[0]).toContain(`pid ${child.pid}: tug up, which is no longer running`);
    // A dead holder on this machine is given 3 s since its last refresh, not the full 10 s.
    expect(waited).toBeLessThan(5000);
  }, 20_000);

  it('a holder that exits at once (a second Ctrl-C) leaves neither its holder file nor the lock behind', async () => {
    const dir = freshDir();
    const lockModule = fileURLToPath(new URL('../../src/run/lock.ts', import.meta.url));
    const script = join(dir, 'holder.mts');
    writeFileSync(script, `import { withProjectLock } from ${JSON.stringify(lockModule)};
await withProjectLock('h', 'app', { dir: ${JSON.stringify(dir)}, command: 'down' }, async () => {
  process.exit(130);
});
`);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(130);
    const file = join(dir, lockName('h', 'app'));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 20_000);

  it('refuses a lock directory that is a link rather than a directory of its own', async () => {
    const dir = freshDir();
    const link = join(dir, 'link');
    symlinkSync(freshDir(), link);
    await expect(withProjectLock('h', 'app', { dir: link }, async () => {})).rejects.toMatchObject({ code: 'lock_dir_unsafe' });
  });
});

describe('where locks live and what they are named by', () => {
  it('the engine is DOCKER_HOST, else the default socket', () => {
    expect(engineHost({})).toBe('unix:///var/run/docker.sock');
    expect(engineHost({ DOCKER_HOST: ' tcp://10.0.0.2:2375/ ' })).toBe('tcp://10.0.0.2:2375');
  });

  it('per user, in /tmp/tug-<uid> whatever XDG_RUNTIME_DIR and TMPDIR say', () => {
    const saved = { xdg: process.env.XDG_RUNTIME_DIR, tmp: process.env.TMPDIR };
    try {
      const seen = new Set<string>();
      for (const [xdg, tmp] of [[undefined, undefined], ['/run/user/1000', undefined], ['/tmp/elsewhere', '/var/tmp']] as const) {
        if (xdg === undefined) delete process.env.XDG_RUNTIME_DIR;
        else process.env.XDG_RUNTIME_DIR = xdg;
        if (tmp === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = tmp;
        seen.add(lockDir());
        seen.add(runtimeDir({ XDG_RUNTIME_DIR: xdg }));
      }
      expect([...seen]).toEqual([`/tmp/tug-${process.getuid!()}`]);
    } finally {
      for (const [k, v] of [['XDG_RUNTIME_DIR', saved.xdg], ['TMPDIR', saved.tmp]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('a lock directory of ours that others could write to is made private again', async () => {
    const dir = freshDir();
    chmodSync(dir, 0o777);
    await withProjectLock('h', 'app', { dir }, async () => {});
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('one engine spelled several ways is one lock: the key is the engine\'s ID, not DOCKER_HOST', async () => {
    const spellings = ['unix:///var/run/docker.sock', 'unix:///run/docker.sock', 'unix:///tmp/x/docker.sock', 'tcp://127.0.0.1:2375'];
    const keys = new Set<string>();
    for (const host of spellings) {
      const fake = new FakeEngine({ host, engineId: 'FLG4:IFJI:P5LS:LXIY' });
      keys.add(lockName(await engineIdentity(fake), 'app'));
      fake.dispose();
    }
    expect(keys.size).toBe(1);
    // Another engine (another ID) is another lock, even at the same address.
    const other = new FakeEngine({ host: spellings[0], engineId: 'ZZZZ:OTHE:RENG:INE0' });
    expect(keys.has(lockName(await engineIdentity(other), 'app'))).toBe(false);
    other.dispose();
  });

  it('two spellings of one engine wait for each other', async () => {
    const dir = freshDir();
    const [a, b] = ['unix:///var/run/docker.sock', 'unix:///run/docker.sock'].map((host) => new FakeEngine({ host, engineId: 'SAME:ENGI:NE00' }));
    const first = hold(dir, 'app', await engineIdentity(a!));
    await first.held;
    const waited: string[] = [];
    const second = withProjectLock(await engineIdentity(b!), 'app', { dir, onWait: (m) => waited.push(m) }, async () => 'ran');
    await tick(200);
    expect(waited).toHaveLength(1);
    first.release();
    await first.done;
    expect(await second).toBe('ran');
    a!.dispose();
    b!.dispose();
  });

  it('an engine without an ID is named by the real path of its socket', async () => {
    const dir = freshDir();
    const socket = join(dir, 'docker.sock');
    writeFileSync(socket, '');
    symlinkSync(socket, join(dir, 'link.sock'));
    const ids = await Promise.all([socket, join(dir, 'link.sock')].map(async (p) => {
      const fake = new FakeEngine({ host: `unix://${p}`, engineId: '' });
      try {
        return await engineIdentity(fake);
      } finally {
        fake.dispose();
      }
    }));
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).toBe(`host:unix://${realpathSync(socket)}`);
    expect(canonicalHost('tcp://h:2375')).toBe('tcp://h:2375');
  });

  it('the name depends on both the engine and the project', () => {
    const names = new Set([lockName('a', 'p'), lockName('b', 'p'), lockName('a', 'q')]);
    expect(names.size).toBe(3);
    expect(lockName('a', 'p')).toMatch(/^[0-9a-f]{32}$/);
  });
});
