/**
 * Following many containers at once (attached `up`, `logs -f`) prints their lines and nothing
 * of Node's own (a MaxListenersExceededWarning came with 6 containers), and an attached `up`
 * shows only what this run's containers wrote, never an earlier run's lines again.
 */
import { describe, expect, it } from 'vitest';
import { BIN, IMAGE, e2eScope, nodeWarning, tug, watched, writeStack } from './helpers.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(stack('echo life-$$(cat /proc/sys/kernel/random/uuid); sleep 1'));
  },
});
const project = scope.project('many');
const SERVICES = 8;
let dir: string;

/** Each life of each container writes one line no other life writes. */
function stack(command: string): string {
  const services = Array.from({ length: SERVICES }, (_, i) => `  s${i + 1}:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", ${JSON.stringify(command)}]
`).join('');
  return `name: ${project}\nservices:\n${services}`;
}

const lines = (stdout: string) => stdout.split('\n').filter((l) => l.includes('life-'));

describe(`${SERVICES} containers followed at once`, () => {
  it('attached up prints each container\'s line, no Node warning, and a second up none of the first run\'s lines', async () => {
    // tug() itself fails on any Node warning in stderr.
    const first = await tug(['up', '--progress', 'plain'], dir, { timeoutMs: 90_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(lines(first.stdout)).toHaveLength(SERVICES);
    const second = await tug(['up', '--progress', 'plain'], dir, { timeoutMs: 90_000 });
    expect(second.code, second.stderr).toBe(0);
    const again = lines(second.stdout);
    // Started again, each container wrote one new line: that one only, not its first life's.
    expect(again).toHaveLength(SERVICES);
    for (const l of lines(first.stdout)) expect(again).not.toContain(l);
  });

  it('attached up on containers already running shows nothing they wrote before it', async () => {
    await writeStack(stack('echo life-$$(cat /proc/sys/kernel/random/uuid); sleep 300'), dir);
    expect((await tug(['up', '-d', '--progress', 'quiet'], dir, { timeoutMs: 90_000 })).code).toBe(0);
    const up = watched(process.execPath, [BIN, 'up', '--progress', 'plain'], dir);
    // Once up attached (it says nothing changed), give the streams a moment to deliver old lines.
    await up.until('nothing to do', () => /Nothing to do/.test(up.out.stderr), 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    up.child.kill('SIGINT');
    await up.exited;
    expect(lines(up.out.stdout)).toEqual([]);
    expect(nodeWarning(up.out.stderr)).toBeUndefined();
  });

  it('logs -f on all of them: every line, no Node warning', async () => {
    const logs = watched(process.execPath, [BIN, 'logs', '-f'], dir);
    await logs.until('every line', (out) => lines(out).length >= SERVICES, 60_000);
    logs.child.kill('SIGINT');
    await logs.exited;
    expect(lines(logs.out.stdout)).toHaveLength(SERVICES);
    expect(nodeWarning(logs.out.stderr)).toBeUndefined();
  });
});
