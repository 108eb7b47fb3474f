/**
 * DockerEngine's interactive and reporting calls against the real engine: exec, attach,
 * resize, top, image listing and tagging. These are what `tug exec`, `tug run`, `tug top` and
 * `tug images` stand on, so stdin, exit codes and the split of stdout from stderr are checked
 * byte for byte.
 */
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EngineApiError } from '../../src/engine/api-error.js';
import { type ContainerCreateBody, type ExecSession } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { IMAGE, e2eScope, rand } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope({
  cli: false,
  setup: async () => {
    sleeper = await engine.containers.create(`${project}-sleeper-${rand()}`, body(['sleep', '300']));
    await engine.containers.start(sleeper);
  },
  afterCleanup: async () => {
    for (const t of tags) await engine.images.remove(t).catch(() => {});
  },
});
const { engine } = scope;
const project = scope.project('engineio');
const tags: string[] = [];

function body(cmd: string[], extra: ContainerCreateBody = {}): ContainerCreateBody {
  return {
    Image: IMAGE, Cmd: cmd,
    Labels: { [LABEL.project]: project, [LABEL.service]: 'svc', [LABEL.number]: '1', [LABEL.oneoff]: 'False' },
    HostConfig: { Init: true },
    ...extra,
  };
}

async function text(r: Readable): Promise<string> {
  let s = '';
  for await (const c of r) s += (c as Buffer).toString();
  return s;
}

/** Everything a session printed, and its exit code. */
async function finish(s: ExecSession): Promise<{ out: string; err: string; code: number }> {
  const [out, err, code] = await Promise.all([text(s.stdout), text(s.stderr), s.wait()]);
  return { out, err, code };
}

let sleeper: string;

describe('DockerEngine exec, attach and reports', () => {
  it('exec keeps stdout and stderr apart and reports the exit code', async () => {
    const s = await engine.exec.start(sleeper, { cmd: ['sh', '-c', 'echo out; echo err >&2; echo more; exit 3'], tty: false, stdin: false });
    expect(s.stdin).toBeUndefined();
    expect(await finish(s)).toEqual({ out: 'out\nmore\n', err: 'err\n', code: 3 });
  });

  it('exec feeds stdin, and ending it closes the process\'s stdin', async () => {
    const s = await engine.exec.start(sleeper, { cmd: ['sh', '-c', 'cat; echo end'], tty: false, stdin: true });
    s.stdin!.write('one\n');
    s.stdin!.end('two\n');
    expect(await finish(s)).toEqual({ out: 'one\ntwo\nend\n', err: '', code: 0 });
  });

  it('exec passes env, user and working directory', async () => {
    const s = await engine.exec.start(sleeper, {
      cmd: ['sh', '-c', 'echo "$FOO $(id -u) $(pwd)"'], env: ['FOO=bar'], user: '1234', workdir: '/tmp', tty: false, stdin: false,
    });
    expect(await finish(s)).toEqual({ out: 'bar 1234 /tmp\n', err: '', code: 0 });
  });

  it('exec with a TTY delivers one raw stream on stdout and takes a resize', async () => {
    const s = await engine.exec.start(sleeper, { cmd: ['sh', '-c', 'sleep 1; stty size; echo err >&2'], tty: true, stdin: true });
    await s.resize(24, 91);
    const r = await finish(s);
    expect(r).toEqual({ out: '24 91\r\nerr\r\n', err: '', code: 0 });
  });

  it('a detached exec returns at once; wait() still gives its exit code', async () => {
    // "At once": before the command ends (3 s), however busy the machine; an attached start
    // would only return after it.
    const t0 = Date.now();
    const s = await engine.exec.start(sleeper, { cmd: ['sh', '-c', 'sleep 3; exit 9'], tty: false, stdin: false, detach: true });
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(await finish(s)).toEqual({ out: '', err: '', code: 9 });
  });

  it('exec of a missing command fails with the engine\'s exit code, not an exception', async () => {
    const s = await engine.exec.start(sleeper, { cmd: ['no-such-command'], tty: false, stdin: false });
    const r = await finish(s);
    // 126 on Engine 20.10, 127 on later ones; the runtime's message comes through the stream.
    expect([126, 127]).toContain(r.code);
    expect(r.out + r.err).toContain('no-such-command');
  });

  it('exec in a stopped container is refused with the engine\'s status', async () => {
    const stopped = await engine.containers.create(`${project}-stopped-${rand()}`, body(['true']));
    const e = await engine.exec.start(stopped, { cmd: ['true'], tty: false, stdin: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineApiError);
    expect((e as EngineApiError).status).toBe(409);
  });

  it('attach before start misses none of the output, feeds stdin, and wait() gives the exit code', async () => {
    const id = await engine.containers.create(`${project}-attach-${rand()}`, body(['sh', '-c', 'echo early; read x; echo "got $x"; echo e >&2; exit 5'], {
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
    }));
    const s = await engine.exec.attach(id, { stdin: true, tty: false });
    await engine.containers.start(id);
    s.stdin!.end('line\n');
    expect(await finish(s)).toEqual({ out: 'early\ngot line\n', err: 'e\n', code: 5 });
  });

  it('attach to a TTY container reads the raw stream, and resizeContainer sets its size', async () => {
    const id = await engine.containers.create(`${project}-tty-${rand()}`, body(['sh', '-c', 'sleep 1; stty size; exit 2'], { Tty: true, OpenStdin: true }));
    const s = await engine.exec.attach(id, { stdin: false, tty: true });
    await engine.containers.start(id);
    await engine.exec.resize(id, 33, 111);
    expect(await finish(s)).toEqual({ out: '33 111\r\n', err: '', code: 2 });
  });

  it('close() drops the connection and ends the output without an error', async () => {
    const s = await engine.exec.start(sleeper, { cmd: ['sh', '-c', 'echo hi; sleep 30'], tty: false, stdin: false });
    const chunks = s.stdout[Symbol.asyncIterator]();
    expect(String((await chunks.next()).value)).toBe('hi\n');
    s.close();
    expect((await chunks.next()).done).toBe(true);
  });

  it('top lists the container\'s processes with the ps titles', async () => {
    const t = await engine.containers.top(sleeper);
    expect(t.titles).toContain('PID');
    const cmd = t.titles.indexOf('CMD');
    expect(t.processes.some((p) => p[cmd] === 'sleep 300')).toBe(true);
    const custom = await engine.containers.top(sleeper, '-o pid,comm');
    expect(custom.titles).toEqual(['PID', 'COMMAND']);
  });

  it('lists images by reference, and tags one', async () => {
    const [busybox] = await engine.images.list({ references: [IMAGE] });
    expect(busybox).toMatchObject({ id: await engine.images.localId(IMAGE), tags: expect.arrayContaining([IMAGE]) });
    expect(busybox!.size).toBeGreaterThan(0);
    const tag = `${project}-tagged:v1`;
    tags.push(tag);
    await engine.images.tag(IMAGE, tag);
    expect(await engine.images.localId(tag)).toBe(busybox!.id);
    const found = await engine.images.list({ references: [`${project}-tagged`] });
    expect(found.map((i) => i.id)).toEqual([busybox!.id]);
    expect(found[0]!.tags).toContain(tag);
  });

  it('lists containers with the id of their image', async () => {
    const [c] = await listContainers(engine, { project, all: true, labels: [] }).then((l) => l.filter((x) => x.id === sleeper));
    expect(c!.imageId).toBe(await engine.images.localId(IMAGE));
    expect((await engine.containers.inspect(sleeper)).imageId).toBe(c!.imageId);
  });
});
