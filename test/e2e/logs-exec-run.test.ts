/**
 * `logs`, `exec` and `run` through the CLI binary on one busybox stack. The interactive cases
 * run tug inside a pseudo-terminal made by util-linux `script`, which also hands back the
 * exit code of what it ran (`-e`). The steps build on each other and run in order.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quote } from 'shlex';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { prefixColor } from '../../src/run/attach.js';
import { BIN, EventLog, IMAGE, e2eScope, inTerminal as inTerminalAt, inspect, tug, tugLine, watched } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
    const r = await tug(['up', '-d', 'talker', 'chatter', 'replica'], dir);
    if (r.code !== 0) throw new Error(`up failed: ${r.stderr}`);
    // Their first lines are printed at start; wait until the engine has logged all of them.
    await eventually('the first lines logged', async () => {
      const l = await tug(['logs', 'talker', 'chatter'], dir);
      return linesOf(l.stdout, 'talker-1').length === 3 && linesOf(l.stdout, 'chatter-1').length === 2;
    });
  },
});
const { engine } = scope;
const project = scope.project('lxr');
let dir: string;

const STACK = `
name: ${project}
services:
  talker:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "echo talker one; echo talker two; echo talker three; exec sleep 300"]
  chatter:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "echo chatter a; echo chatter b; exec sleep 300"]
  replica:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "echo hello from $$HOSTNAME; while true; do sleep 0.3; echo tick; done"]
  db:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 300"]
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], interval: 500ms, timeout: 1s, retries: 60 }
  app:
    image: ${IMAGE}
    command: ["echo", "app's own command"]
    ports: ["80"]
    environment: { X: from-file }
    depends_on: { db: { condition: service_healthy } }
`;

const inTerminal = (script: string) => inTerminalAt(script, dir);

/** Lines of one container's prefix, without it. */
function linesOf(stdout: string, prefix: string): string[] {
  return stdout.split('\n').filter((l) => new RegExp(`^${prefix}\\s*\\| `).test(l)).map((l) => l.replace(/^[^|]*\| /, ''));
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('logs, exec and run (CLI, real engine)', () => {
  it('logs prints every service\'s lines with a container prefix, each service in order', async () => {
    const r = await tug(['logs', 'talker', 'chatter'], dir);
    expect(r.code).toBe(0);
    expect(linesOf(r.stdout, 'talker-1')).toEqual(['talker one', 'talker two', 'talker three']);
    expect(linesOf(r.stdout, 'chatter-1')).toEqual(['chatter a', 'chatter b']);
    // One column for the prefixes: the shorter name is padded.
    expect(r.stdout).toContain('talker-1  | talker one\n');
    expect(r.stdout).toContain('chatter-1 | chatter a\n');
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('logs --no-log-prefix, --tail 1 and -t', async () => {
    expect((await tug(['logs', '--no-log-prefix', 'talker'], dir)).stdout).toBe('talker one\ntalker two\ntalker three\n');
    expect((await tug(['logs', '--tail', '1', 'talker'], dir)).stdout).toBe('talker-1 | talker three\n');
    const stamped = await tug(['logs', '-t', '--no-log-prefix', 'chatter'], dir);
    expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z chatter a\n\d{4}-\S+Z chatter b\n$/);
  });

  it('logs colours each prefix in its service\'s colour; --no-color and NO_COLOR leave it plain', async () => {
    const coloured = await tug(['--ansi', 'always', 'logs', 'talker'], dir);
    const codes: Record<string, string> = { cyan: '36', yellow: '33', green: '32', magenta: '35', blue: '34', cyanBright: '96', yellowBright: '93', greenBright: '92', magentaBright: '95', blueBright: '94' };
    expect(coloured.stdout).toContain(`\x1b[${codes[prefixColor('talker')]}mtalker-1 |\x1b[39m talker one\n`);
    expect((await tug(['--ansi', 'always', 'logs', '--no-color', 'talker'], dir)).stdout).not.toContain('\x1b[');
    // helpers.tug sets NO_COLOR, and stdout is a pipe: auto means none.
    expect((await tug(['logs', 'talker'], dir)).stdout).not.toContain('\x1b[');
  });

  it('logs -f follows a replica that scaling adds while it runs, and ends with code 0 on Ctrl-C', async () => {
    const logs = watched(process.execPath, [BIN, 'logs', '-f', 'replica'], dir);
    try {
      await logs.until('a line of replica-1', (s) => /^replica-1 \| tick$/m.test(s));
      const scaled = await tug(['scale', 'replica=2'], dir);
      expect(scaled.code, scaled.stderr).toBe(0);
      await logs.until('replica-2 saying hello', (s) => /^replica-2 \| hello from \w+$/m.test(s));
      await logs.until('a tick of replica-2', (s) => /^replica-2 \| tick$/m.test(s));
      logs.child.kill('SIGINT');
      expect(await logs.exited).toBe(0);
    } finally {
      logs.child.kill('SIGKILL');
    }
  });

  it('exec returns the command\'s exit code and keeps stdout and stderr apart', async () => {
    const r = await tug(['exec', 'talker', 'sh', '-c', 'echo out; echo err >&2; exit 3'], dir);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err\n');
  });

  it('exec -e, -u, -w and --index', async () => {
    expect((await tug(['exec', '-e', 'FOO=bar', 'talker', 'sh', '-c', 'echo $FOO'], dir)).stdout).toBe('bar\n');
    expect((await tug(['exec', '-u', '4242:4343', 'talker', 'sh', '-c', 'echo $(id -u):$(id -g)'], dir)).stdout).toBe('4242:4343\n');
    expect((await tug(['exec', '-w', '/tmp', 'talker', 'pwd'], dir)).stdout).toBe('/tmp\n');
    // A command's own flags after the service are the command's: -e here is echo's.
    expect((await tug(['exec', 'talker', 'echo', '-e', 'a\\tb'], dir)).stdout).toBe('a\tb\n');
    const second = await inspect(`${project}-replica-2`);
    const r = await tug(['exec', '--index', '2', 'replica', 'hostname'], dir);
    expect(r.stdout.trim()).toBe(second.Config.Hostname);
  });

  it('exec on a service without a running container fails with code 5; an unknown replica too', async () => {
    const r = await tug(['exec', 'app', 'true'], dir);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/service "app" is not running/);
    const n = await tug(['exec', '--index', '7', 'replica', 'true'], dir);
    expect(n.code).toBe(5);
    expect(n.stderr).toMatch(/no running container with index 7/);
  });

  it('exec in a terminal: a TTY, raw keys, the window size followed, the exit code, the terminal restored', async () => {
    const flag = join(dir, 'resized');
    // tug in the background keeps the terminal as its stdin (fd 3); the shell resizes the
    // window when told, which sends SIGWINCH to tug, then reports the terminal's modes after.
    const term = inTerminal([
      'stty rows 30 cols 100',
      'exec 3<&0',
      `${tugLine(['exec', 'talker', 'sh'])} <&3 & pid=$!`,
      `while [ ! -e ${quote(flag)} ]; do sleep 0.1; done`,
      'stty rows 40 cols 120',
      'wait $pid; code=$?',
      'stty -a | grep -q -- " icanon" && echo TERMINAL-RESTORED',
      'exit $code',
    ].join('\n'));
    try {
      await term.until('a shell prompt', (s) => s.includes('# '));
      term.write('tty\n');
      await term.until('the tty name', (s) => /\/dev\/pts\/\d+/.test(s));
      term.write('echo $((6*7))\n');
      await term.until('42', (s) => /^42\r*$/m.test(s));
      term.write('stty size\n');
      await term.until('the first size', (s) => s.includes('30 100'));
      await writeFile(flag, '');
      // Give the resize a moment to travel: SIGWINCH, then the engine's resize call.
      await new Promise((r) => setTimeout(r, 1000));
      term.write('stty size\n');
      await term.until('the new size', (s) => s.includes('40 120'));
      term.write('exit 5\n');
      expect(await term.exited).toBe(5);
      expect(term.out.stdout).not.toContain('not a tty');
      expect(term.out.stdout).toContain('TERMINAL-RESTORED');
    } finally {
      term.child.kill('SIGKILL');
    }
  });

  it('run brings the dependency up and healthy before the one-off starts, and returns its exit code; --rm removes it', async () => {
    const log = await EventLog.record(engine, project);
    let r;
    try {
      r = await tug(['run', '--rm', 'app', 'sh', '-c', 'exit 4'], dir);
      await log.flush();
    } finally {
      await log.stop();
    }
    expect(r.code, r.stderr).toBe(4);
    const isRun = (e: { attributes: Record<string, string> }) => /-app-run-[0-9a-f]{12}$/.test(e.attributes.name ?? '');
    const created = log.of('app', 'create').find(isRun);
    expect(created?.attributes[LABEL.oneoff]).toBe('True');
    expect(created?.attributes.name).toMatch(new RegExp(`^${project}-app-run-`));
    const healthy = log.first('db', 'health_status: healthy');
    const started = log.first('app', 'start', isRun);
    expect(healthy).toBeLessThan(started);
    expect(log.first('app', 'destroy', isRun)).toBeGreaterThan(started);
    // Neither the service's own container nor the one-off is left.
    const left = await listContainers(engine, { project, service: 'app', all: true });
    expect(left).toEqual([]);
  });

  it('run -e sets the environment; the one-off stays without --rm, labelled oneoff', async () => {
    const r = await tug(['run', '-e', 'X=1', 'app', 'sh', '-c', 'echo $X'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1\n');
    const runs = await listContainers(engine, { project, service: 'app', all: true });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ oneoff: true, state: 'exited' });
    expect(runs[0]!.name).toMatch(new RegExp(`^${project}-app-run-[0-9a-f]{12}$`));
    const def = await tug(['run', '--rm', 'app'], dir);
    expect(def.stdout).toBe('app\'s own command\n');
  });

  it('run publishes no ports unless --service-ports; --name, --entrypoint and -w apply', async () => {
    const plain = await tug(['run', '-d', '--rm', 'app', 'sleep', '30'], dir);
    expect(plain.code, plain.stderr).toBe(0);
    expect((await inspect(plain.stdout.trim())).HostConfig.PortBindings ?? {}).toEqual({});
    const named = `${project}-named`;
    const published = await tug(['run', '-d', '--rm', '--service-ports', '--name', named, 'app', 'sleep', '30'], dir);
    expect(published.stdout.trim()).toBe(named);
    expect(Object.keys((await inspect(named)).HostConfig.PortBindings)).toEqual(['80/tcp']);
    const entry = await tug(['run', '--rm', '--no-deps', '--entrypoint', 'sh -c', '-w', '/etc', 'app', 'echo $(pwd) via entrypoint'], dir);
    expect(entry.stdout).toBe('/etc via entrypoint\n');
  });

  it('run in a terminal gets a TTY and returns the exit code', async () => {
    const term = inTerminal(tugLine(['run', '--rm', '--no-deps', 'app', 'sh', '-c', 'tty; exit 6']));
    try {
      expect(await term.exited).toBe(6);
      expect(term.out.stdout).toMatch(/\/dev\/pts\/\d+/);
    } finally {
      term.child.kill('SIGKILL');
    }
  });
});
