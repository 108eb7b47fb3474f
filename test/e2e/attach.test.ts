/**
 * `tug attach` through the CLI binary: output that follows the attach, stdin fed to the
 * container, Ctrl-C passed on (without a TTY), Ctrl-P Ctrl-Q detaching from a TTY inside a
 * pseudo-terminal (util-linux `script`), and the container's exit code as tug's.
 */
import { describe, expect, it } from 'vitest';
import { BIN, IMAGE, e2eScope, inTerminal, tug, tugLine, watched } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
    const r = await tug(['up', '-d', '--progress', 'quiet'], dir);
    expect(r.code, r.stderr).toBe(0);
  },
});
const { engine } = scope;
const project = scope.project('attach');
let dir: string;

const STACK = `
name: ${project}
services:
  ticker:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "trap 'echo got INT; exit 9' INT; i=0; while true; do i=$$((i+1)); echo tick $$i; sleep 0.2; done"]
  reader:
    image: ${IMAGE}
    stdin_open: true
    command: ["sh", "-c", "read line; echo read:$$line; exit 4"]
  sleeper:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "while true; do echo beat; sleep 0.2; done"]
  term:
    image: ${IMAGE}
    stdin_open: true
    tty: true
    command: ["sh", "-c", "while true; do sleep 0.2; done"]
`;

const running = async (service: string) =>
  (await listContainers(engine, { project, service })).filter((c) => c.state === 'running').length;

describe('tug attach on the real engine', () => {
  it('feeds stdin to the container and exits with its code', async () => {
    const p = watched(process.execPath, [BIN, 'attach', 'reader'], dir);
    // The container is blocked in `read` until the attach delivers a line.
    await new Promise((r) => setTimeout(r, 500));
    p.write('hello\n');
    await p.until('the line read back', (out) => out.includes('read:hello'));
    expect(await p.exited).toBe(4);
  });

  it('follows output and passes Ctrl-C on to the container, which decides how to end', async () => {
    const p = watched(process.execPath, [BIN, 'attach', '--no-stdin', 'ticker'], dir);
    await p.until('two ticks after attaching', (out) => (out.match(/^tick \d+$/gm) ?? []).length >= 2);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(9);
    expect(p.out.stdout).toContain('got INT');
    expect(await running('ticker')).toBe(0);
  });

  it('with --sig-proxy=false, Ctrl-C ends tug\'s side only (130) and the container goes on', async () => {
    const p = watched(process.execPath, [BIN, 'attach', '--no-stdin', '--sig-proxy=false', 'sleeper'], dir);
    await p.until('a line after attaching', (out) => /^beat$/m.test(out));
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(130);
    expect(await running('sleeper')).toBe(1);
  });

  it('Ctrl-P Ctrl-Q detaches from a TTY and leaves the container running', async () => {
    // The keys arrive a moment after the attach, from the terminal's input side.
    const p = inTerminal(`(sleep 1.5; printf '\\020\\021') | ${tugLine(['attach', 'term'])}`, dir);
    expect(await p.exited).toBe(0);
    expect(p.out.stdout + p.out.stderr).toContain('Detached; the container goes on running.');
    expect(await running('term')).toBe(1);
  });

  it('refuses a service with nothing running, naming it', async () => {
    await tug(['stop', '-t', '0', 'reader', '--progress', 'quiet'], dir);
    const r = await tug(['attach', 'reader'], dir);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('service "reader" is not running');
  });
});
