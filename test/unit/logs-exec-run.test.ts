/**
 * The parts of `logs`, `exec` and `run` that need no engine: the command-line rewrites, the
 * log printer against a fake engine (following containers that start later), the stdio pump
 * against a fake session and terminal, and the one-off's service overrides.
 */
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { dashAfterService, followFlagAfterLogs } from '../../src/cli/argv.js';
import { execOptions } from '../../src/cli/commands/exec.js';
import { checkTime, parseTail } from '../../src/cli/commands/logs.js';
import { runOptions } from '../../src/cli/commands/run.js';
import { commandOf, envFlags } from '../../src/cli/interactive.js';
import type { ExecSession } from '../../src/engine/engine.js';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { ExitCode, TugError } from '../../src/errors.js';
import { prefixColor } from '../../src/run/attach.js';
import { DETACH_KEYS, detachFilter } from '../../src/run/attach-service.js';
import { runningContainer } from '../../src/run/exec.js';
import { oneOffService, parseVolumeFlag } from '../../src/run/oneoff.js';
import { exactSeconds, printLogs } from '../../src/run/print-logs.js';
import { pump, wantsTty, type LocalStdio } from '../../src/run/stdio.js';
import type { Project } from '../../src/stack/model.js';
import { composeContainer, FakeEngine, rfc3339Fixed } from '../fake-engine.js';
import { makeService } from '../support.js';

const verbs = { exec: execOptions, run: runOptions };

describe('command-line rewrites', () => {
  it('puts -- after the service of exec and run, past global and verb options with values', () => {
    expect(dashAfterService(['exec', 'web', 'sh', '-c', 'exit 3'], verbs)).toEqual(['exec', 'web', '--', 'sh', '-c', 'exit 3']);
    expect(dashAfterService(['-f', 'a.yaml', '-p', 'x', 'exec', '-e', 'A=1', '-T', '--index', '2', 'web', 'ls', '-e'], verbs))
      .toEqual(['-f', 'a.yaml', '-p', 'x', 'exec', '-e', 'A=1', '-T', '--index', '2', 'web', '--', 'ls', '-e']);
    expect(dashAfterService(['run', '--rm', '--entrypoint', 'sh -c', '-v', './d:/d', '--name=n', 'app', 'echo', '-n'], verbs))
      .toEqual(['run', '--rm', '--entrypoint', 'sh -c', '-v', './d:/d', '--name=n', 'app', '--', 'echo', '-n']);
  });

  it('leaves other verbs, a line already split with --, and a line without a service alone', () => {
    expect(dashAfterService(['up', 'web', '-d'], verbs)).toEqual(['up', 'web', '-d']);
    expect(dashAfterService(['exec', 'web', '--', 'ls'], verbs)).toEqual(['exec', 'web', '--', 'ls']);
    expect(dashAfterService(['exec', '-T'], verbs)).toEqual(['exec', '-T']);
    expect(dashAfterService(['--ansi', 'never', 'exec', '--help'], verbs)).toEqual(['--ansi', 'never', 'exec', '--help']);
  });

  it('reads -f after logs as --follow, alone or grouped, and nowhere else', () => {
    expect(followFlagAfterLogs(['-f', 'a.yaml', 'logs', '-f', 'web'])).toEqual(['-f', 'a.yaml', 'logs', '--follow', 'web']);
    expect(followFlagAfterLogs(['logs', '-tf'])).toEqual(['logs', '--follow', '-t']);
    expect(followFlagAfterLogs(['logs', '-fn', '5'])).toEqual(['logs', '--follow', '-n', '5']);
    expect(followFlagAfterLogs(['up', '-f'])).toEqual(['up', '-f']);
    expect(followFlagAfterLogs(['logs', '--', '-f'])).toEqual(['logs', '--', '-f']);
  });

  it('-e KEY=value as given, -e KEY from tug\'s environment or not at all', () => {
    expect(envFlags(['A=1', 'B=x=y', 'HOME', 'UNSET'], { HOME: '/root' })).toEqual(['A=1', 'B=x=y', 'HOME=/root']);
    expect(() => envFlags(['=1'])).toThrow(/invalid environment variable/);
  });

  it('the command keeps its words as typed', () => {
    expect(commandOf({ cmd: [], '--': ['sleep', '05', '--', '1e3'] })).toEqual(['sleep', '05', '--', '1e3']);
  });

  it('--tail and --since/--until are checked before the engine sees them', () => {
    expect(parseTail(undefined)).toBe('all');
    expect(parseTail('3')).toBe(3);
    expect(() => parseTail('-1')).toThrow(/invalid --tail/);
    for (const ok of ['10m', '1700000000', '1700000000.5', '2024-01-02T03:04:05Z']) expect(checkTime('since', ok)).toBe(ok);
    expect(() => checkTime('until', 'yesterday')).toThrow(/invalid --until/);
  });
});

const project: Project = {
  name: 'p', working_dir: '/proj', config_files: [], services: {}, disabled_services: {}, networks: {}, volumes: {}, configs: {}, secrets: {},
  profiles: [],
};

const fakes: FakeEngine[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
});

interface LoggingContainer {
  service: string;
  number: number;
  /** What it printed before the test began. */
  lines: (string | { text: string; time?: string })[];
  oneoff?: boolean;
}

/** Project p's running containers, with what they printed; `logs` are the engine's log calls. */
function logEngine(containers: LoggingContainer[]) {
  const engine = new FakeEngine({ images: ['busybox'] });
  fakes.push(engine);
  const ids = containers.map((c) => engine.addContainer(composeContainer('p', c.service, c.number, { oneoff: c.oneoff, logs: c.lines })));
  /** A container that starts now, printing `output` as it starts. */
  const start = async (c: Omit<LoggingContainer, 'lines'> & { output: string[] }) => {
    const id = engine.addContainer(composeContainer('p', c.service, c.number, { oneoff: c.oneoff, state: 'created', behaviour: { output: c.output } }));
    await engine.outside.containers.start(id);
    return id;
  };
  return { engine, ids, logs: () => engine.callsTo('containers.logs'), start };
}

function sink(): { out: Writable; text: () => string } {
  let s = '';
  const out = new Writable({ write: (chunk, _enc, done) => ((s += chunk.toString()), done()) });
  return { out, text: () => s };
}

describe('printLogs', () => {
  it('prints container after container in service and replica order, prefixed in one column', async () => {
    const { engine } = logEngine([
      { service: 'web', number: 2, lines: ['w2 a'] },
      { service: 'db', number: 1, lines: ['db a', 'db b'] },
      { service: 'web', number: 1, lines: ['w1 a'] },
      { service: 'web', number: 1, oneoff: true, lines: ['one-off'] },
    ]);
    const { out, text } = sink();
    await printLogs(engine, project, { out });
    expect(text()).toBe('db-1  | db a\ndb-1  | db b\nweb-1 | w1 a\nweb-2 | w2 a\n');
  });

  it('passes tail, since, until and timestamps on; drops the prefix when asked; colours it by service', async () => {
    // Printed five minutes ago: inside --since 10m --until 1m.
    const time = rfc3339Fixed(BigInt(Date.now() - 5 * 60_000) * 1_000_000n + 1n);
    const { engine, logs } = logEngine([{ service: 'db', number: 1, lines: [{ text: 'a', time }, { text: 'b', time }] }]);
    const plain = sink();
    await printLogs(engine, project, { out: plain.out, prefix: false, timestamps: true, tail: 1, since: '10m', until: '1m' });
    expect(plain.text()).toBe(`${time} b\n`);
    expect(logs()[0]!.args[1]).toMatchObject({ tail: 1, since: '10m', until: '1m', timestamps: true });
    const coloured = sink();
    const color = new Chalk({ level: 1 });
    await printLogs(engine, project, { out: coloured.out, color, services: ['db'] });
    expect(coloured.text()).toBe(`${color[prefixColor('db')]('db-1 |')} a\n${color[prefixColor('db')]('db-1 |')} b\n`);
  });

  it('skips a container removed before its log could be read', async () => {
    const { engine, ids } = logEngine([{ service: 'db', number: 1, lines: ['gone soon'] }]);
    engine.before('containers.logs', () => engine.outside.containers.remove(ids[0]!, { force: true }));
    const { out, text } = sink();
    await expect(printLogs(engine, project, { out })).resolves.toBeUndefined();
    expect(text()).toBe('');
  });

  it('with follow, joins a container that starts later (whole log), not a one-off nor another service, and ends on abort', async () => {
    const fake = logEngine([{ service: 'web', number: 1, lines: ['first'] }]);
    const { out, text } = sink();
    const ctl = new AbortController();
    const done = printLogs(fake.engine, project, { out, follow: true, tail: 1, services: ['web'], signal: ctl.signal });
    await fake.engine.whenSubscribed();
    await until(() => text().includes('first'));
    await fake.start({ service: 'web', number: 1, oneoff: true, output: ['one-off'] });
    await fake.start({ service: 'db', number: 1, output: ['db'] });
    await fake.start({ service: 'web', number: 2, output: ['new 1', 'new 2'] });
    await until(() => text().includes('new 2'));
    ctl.abort();
    await done;
    expect(text()).toBe('web-1 | first\nweb-2 | new 1\nweb-2 | new 2\n');
    expect(fake.logs().find((c) => c.target === 'p-web-2')!.args[1]).toMatchObject({ follow: true, tail: 'all' });
    expect(fake.logs().map((c) => c.target)).toEqual(['p-web-1', 'p-web-2']);
  });

  it('with follow, a restarted container is read again from its last stop on', async () => {
    const fake = logEngine([{ service: 'web', number: 1, lines: ['old'] }]);
    const [w1] = fake.ids as [string];
    const { out, text } = sink();
    const ctl = new AbortController();
    const done = printLogs(fake.engine, project, { out, follow: true, signal: ctl.signal });
    await fake.engine.whenSubscribed();
    await until(() => text().includes('old'));
    // It stops (its stream ends), then starts again, printing something new.
    await fake.engine.outside.containers.stop(w1);
    fake.engine.onContainer('p-web-1', { output: ['new'] });
    await fake.engine.outside.containers.start(w1);
    await until(() => text().includes('new'));
    ctl.abort();
    await done;
    const lastStop = exactSeconds(fake.engine.container(w1)!.finishedAt!);
    expect(fake.logs().map((c) => c.args[1])).toMatchObject([{ follow: true, tail: 'all' }, { follow: true, tail: 'all', since: lastStop }]);
    expect(text()).toBe('web-1 | old\nweb-1 | new\n');
  });
});

async function until(test: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('exactSeconds', () => {
  it('keeps every digit of the engine\'s nanoseconds', () => {
    expect(exactSeconds('2024-05-06T07:08:09.123456789Z')).toBe('1714979289.123456789');
    expect(exactSeconds('2024-05-06T07:08:09Z')).toBe('1714979289.000000000');
    expect(exactSeconds('2024-05-06T09:08:09.5+02:00')).toBe('1714979289.500000000');
    expect(exactSeconds('not a time')).toBeUndefined();
  });
});

/** A session whose output the test writes, and a terminal that records what was done to it. */
function fakeSession(code = 0) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const resizes: [number, number][] = [];
  let closed = false;
  const session: ExecSession = {
    stream: stdin, stdin, stdout, stderr,
    resize: async (rows, cols) => void resizes.push([rows, cols]),
    wait: async () => code,
    close: () => void (closed = true, stdout.end(), stderr.end()),
  };
  return { session, stdin, stdout, stderr, resizes, closed: () => closed };
}

function fakeTerminal(tty: boolean) {
  const stdin = Object.assign(new PassThrough(), { isTTY: tty, modes: [] as boolean[], setRawMode(raw: boolean) {
    this.modes.push(raw);
  } });
  const out = sink();
  const err = sink();
  const stdout = Object.assign(out.out, { isTTY: tty, rows: 30, columns: 100 });
  const io: LocalStdio = { stdin, stdout, stderr: err.out };
  return { io, stdin, stdout, out: out.text, err: err.text };
}

describe('pump', () => {
  it('with a TTY: raw mode for the session\'s length, the size at once and on every resize', async () => {
    const s = fakeSession(5);
    const t = fakeTerminal(true);
    const done = pump(s.session, t.io, { tty: true });
    expect(t.stdin.modes).toEqual([true]);
    t.stdout.rows = 40;
    t.stdout.columns = 120;
    (t.stdout as unknown as EventEmitter).emit('resize');
    let typed = '';
    s.stdin.on('data', (d: Buffer) => (typed += d.toString()));
    t.stdin.write('keys');
    s.stdout.end('out');
    s.stderr.end();
    expect(await done).toBe(5);
    expect(s.resizes).toEqual([[30, 100], [40, 120]]);
    expect(t.stdin.modes).toEqual([true, false]);
    expect(typed).toBe('keys');
    expect(t.out()).toBe('out');
    expect(t.stdin.isPaused()).toBe(true);
    expect((t.stdout as unknown as EventEmitter).listenerCount('resize')).toBe(0);
  });

  it('sends one resize at a time, the latest size last, however fast the window changes', async () => {
    const s = fakeSession(0);
    const calls: [number, number][] = [];
    let inFlight = 0;
    let most = 0;
    s.session.resize = async (rows, cols) => {
      calls.push([rows, cols]);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
    };
    const t = fakeTerminal(true);
    const done = pump(s.session, t.io, { tty: true });
    // `stty rows 40 cols 120`: two changes while the first size is still being sent.
    t.stdout.rows = 40;
    (t.stdout as unknown as EventEmitter).emit('resize');
    t.stdout.columns = 120;
    (t.stdout as unknown as EventEmitter).emit('resize');
    await new Promise((r) => setTimeout(r, 100));
    s.stdout.end();
    s.stderr.end();
    await done;
    expect(calls).toEqual([[30, 100], [40, 120]]);
    expect(most).toBe(1);
  });

  it('without a TTY: stdout and stderr kept apart, stdin ended with ours, no raw mode or resize', async () => {
    const s = fakeSession(3);
    const t = fakeTerminal(false);
    let ended = false;
    s.stdin.on('finish', () => (ended = true));
    const done = pump(s.session, t.io, { tty: false });
    t.stdin.end('input');
    s.stdout.end('o');
    s.stderr.end('e');
    expect(await done).toBe(3);
    expect([t.out(), t.err()]).toEqual(['o', 'e']);
    expect(ended).toBe(true);
    expect(t.stdin.modes).toEqual([]);
    expect(s.resizes).toEqual([]);
  });

  it('an abort closes the session, restores the terminal and throws the reason', async () => {
    const s = fakeSession();
    const t = fakeTerminal(true);
    const ctl = new AbortController();
    const done = pump(s.session, t.io, { tty: true, signal: ctl.signal });
    ctl.abort(new Error('interrupted'));
    await expect(done).rejects.toThrow('interrupted');
    expect(s.closed()).toBe(true);
    expect(t.stdin.modes).toEqual([true, false]);
  });

  it('a TTY only when stdin and stdout are both terminals and -T was not given', () => {
    expect(wantsTty(fakeTerminal(true).io, false)).toBe(true);
    expect(wantsTty(fakeTerminal(true).io, true)).toBe(false);
    const half = fakeTerminal(true).io;
    half.stdout.isTTY = false;
    expect(wantsTty(half, false)).toBe(false);
  });
});

describe('runningContainer', () => {
  const c = (number: number, state: ContainerSummary['state'], oneoff = false): ContainerSummary => ({
    id: `id${number}${oneoff ? 'r' : ''}`, name: `p-web-${number}`, service: 'web', number, oneoff, state,
    status: '', health: 'none', image: 'busybox', labels: {}, created: 0, ports: [],
  });
  const engineWith = (list: ContainerSummary[]) => {
    const engine = new FakeEngine();
    fakes.push(engine);
    for (const c of list) {
      engine.addContainer(composeContainer('p', c.service, c.number, { oneoff: c.oneoff, state: c.state === 'exited' ? 'exited' : 'running' }));
    }
    return engine;
  };

  it('picks the lowest-numbered running replica, or the one --index names; never a one-off', async () => {
    const engine = engineWith([c(3, 'running'), c(1, 'exited'), c(2, 'running'), c(0, 'running', true)]);
    expect((await runningContainer(engine, project, 'web')).number).toBe(2);
    expect((await runningContainer(engine, project, 'web', 3)).number).toBe(3);
  });

  it('fails with exit code 5 when there is none to run in', async () => {
    const stopped = runningContainer(engineWith([c(1, 'exited')]), project, 'web');
    await expect(stopped).rejects.toThrow('service "web" is not running');
    await expect(stopped).rejects.toMatchObject({ exitCode: ExitCode.serviceFailed });
    const wrong = runningContainer(engineWith([c(1, 'running')]), project, 'web', 4);
    await expect(wrong).rejects.toThrow(/no running container with index 4/);
    await expect(wrong).rejects.toBeInstanceOf(TugError);
  });
});

describe('the one-off\'s service', () => {
  const base = makeService('app', {
    command: ['serve'], restart: 'always', environment: { A: 'file', B: 'file' },
    ports: [{ target: 80, protocol: 'tcp', published: '8080' }] as never,
    volumes: [{ type: 'volume', source: 'data', target: '/data' }, { type: 'bind', source: '/host', target: '/keep' }],
    deploy: { restart_policy: { condition: 'any' }, resources: {} } as never,
  });

  it('applies the flags, publishes no ports and drops every restart policy', () => {
    const svc = oneOffService(base, {
      service: 'app', command: ['sh', '-c', 'x'], entrypoint: [''], env: ['B=flag', 'C=x=y'], user: '1', workdir: '/w',
      volumes: [{ type: 'bind', source: '/other', target: '/data' }], tty: true, interactive: true,
    });
    expect(svc).toMatchObject({ command: ['sh', '-c', 'x'], entrypoint: [''], user: '1', working_dir: '/w', ports: [], tty: true, stdin_open: true });
    expect(svc.environment).toEqual({ A: 'file', B: 'flag', C: 'x=y' });
    expect(svc.volumes).toEqual([{ type: 'bind', source: '/host', target: '/keep' }, { type: 'bind', source: '/other', target: '/data' }]);
    expect(svc.restart).toBeUndefined();
    expect(svc.deploy).toEqual({ resources: {} });
    expect(base.restart).toBe('always');
  });

  it('keeps the service\'s command and ports when not overridden and asked to publish', () => {
    const svc = oneOffService(base, { service: 'app', command: [], servicePorts: true, tty: false, interactive: false });
    expect(svc.command).toEqual(['serve']);
    expect(svc.ports).toHaveLength(1);
  });

  it('-v resolves a relative host path against the project directory and refuses unknown modes', () => {
    expect(parseVolumeFlag('./src:/src:ro', project)).toMatchObject({ type: 'bind', source: '/proj/src', target: '/src', read_only: true });
    expect(parseVolumeFlag('cache:/cache', project)).toMatchObject({ type: 'volume', source: 'cache', target: '/cache' });
    expect(() => parseVolumeFlag('./a:/a:bogus', project)).toThrow(/unknown volume option "bogus"/);
    expect(() => parseVolumeFlag('a:relative', project)).toThrow(/must be an absolute path/);
  });
});

describe('attach detach keys', () => {
  const run = async (chunks: number[][]): Promise<{ passed: number[]; detached: number }> => {
    let detached = 0;
    const f = detachFilter(DETACH_KEYS, () => detached++);
    const passed: number[] = [];
    f.on('data', (b: Buffer) => passed.push(...b));
    for (const c of chunks) f.write(Buffer.from(c));
    f.end();
    await new Promise((r) => f.on('end', r));
    return { passed, detached };
  };

  it('detaches on Ctrl-P Ctrl-Q and sends every other byte on, a lone Ctrl-P included', async () => {
    expect(await run([[0x61, 0x10, 0x11, 0x62]])).toEqual({ passed: [0x61, 0x62], detached: 1 });
    // Split across reads, as a terminal delivers keys one by one.
    expect(await run([[0x10], [0x11]])).toEqual({ passed: [], detached: 1 });
    expect(await run([[0x10, 0x61]])).toEqual({ passed: [0x10, 0x61], detached: 0 });
    expect(await run([[0x10, 0x10, 0x11]])).toEqual({ passed: [0x10], detached: 1 });
    expect(await run([[0x03, 0x11]])).toEqual({ passed: [0x03, 0x11], detached: 0 });
    // A Ctrl-P the input ends on is not lost.
    expect(await run([[0x61, 0x10]])).toEqual({ passed: [0x61, 0x10], detached: 0 });
  });
});
