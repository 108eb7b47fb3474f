/**
 * Anonymous volumes on the real engine: data in a named and in an anonymous volume survives a
 * recreate, a restart and a scale-up; a scale-down takes the removed replicas' anonymous
 * volumes with it; `down -v` leaves no volume labelled as the project's, and the test leaves no
 * unlabelled (dangling) volume behind either: every volume tug asked for carries the labels.
 */
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { IMAGE, docker, dockerExec, e2eScope, inspect, tug, writeStack } from './helpers.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(stack('one'));
  },
  afterCleanup: async () => {
    for (const v of seen) await docker(['volume', 'rm', v], { allowFail: true });
  },
});
const project = scope.project('vols');

const stack = (marker: string) => `
name: ${project}
services:
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    environment:
      MARKER: "${marker}"
    volumes:
      - data:/data
      - /anon
volumes:
  data: {}
`;

let dir: string;
/** Every volume a container of the project mounted at some point. */
const seen = new Set<string>();

async function volumesLabelled(): Promise<string[]> {
  return (await docker(['volume', 'ls', '-q', '--filter', `label=${LABEL.project}=${project}`])).stdout.split('\n').filter(Boolean).sort();
}

async function dangling(): Promise<Set<string>> {
  return new Set((await docker(['volume', 'ls', '-q', '--filter', 'dangling=true'])).stdout.split('\n').filter(Boolean));
}

async function exists(volume: string): Promise<boolean> {
  return (await docker(['volume', 'inspect', volume], { allowFail: true })).code === 0;
}

/** The anonymous volume at /anon of a replica (recording every volume it mounts). */
async function anonOf(replica: number): Promise<string> {
  const c = await inspect(`${project}-app-${replica}`);
  for (const m of c.Mounts as { Type: string; Name?: string }[]) if (m.Type === 'volume' && m.Name) seen.add(m.Name);
  return (c.Mounts as { Destination: string; Name: string }[]).find((m) => m.Destination === '/anon')!.Name;
}

async function ok(args: string[]): Promise<string> {
  const r = await tug([...args, '--progress', 'plain'], dir, { timeoutMs: 120_000 });
  expect(r.code, `tug ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stderr;
}

describe('anonymous volumes do not leak', () => {
  it('data survives recreate, restart and scale-up; scale-down and down -v remove every volume of the project', async () => {
    const danglingBefore = await dangling();

    await ok(['up', '-d']);
    const c1 = `${project}-app-1`;
    await dockerExec(c1, 'echo named > /data/f && echo anon > /anon/f');
    const anon1 = await anonOf(1);
    const labels = JSON.parse((await docker(['volume', 'inspect', anon1, '--format', '{{json .Labels}}'])).stdout) as Record<string, string>;
    expect(labels).toMatchObject({ [LABEL.project]: project, [LABEL.service]: 'app' });

    // Recreate (the configuration changed): the replacement takes the anonymous volume over by name.
    await writeStack(stack('two'), dir);
    const before = (await inspect(c1)).Id as string;
    await ok(['up', '-d']);
    expect((await inspect(c1)).Id).not.toBe(before);
    expect(await anonOf(1)).toBe(anon1);
    expect(await dockerExec(c1, 'cat /data/f /anon/f')).toBe('named\nanon\n');

    await ok(['restart']);
    expect(await dockerExec(c1, 'cat /data/f /anon/f')).toBe('named\nanon\n');

    await ok(['up', '-d', '--scale', 'app=3']);
    expect(await dockerExec(c1, 'cat /data/f /anon/f')).toBe('named\nanon\n');
    const anon2 = await anonOf(2);
    const anon3 = await anonOf(3);
    expect(new Set([anon1, anon2, anon3]).size).toBe(3);
    expect(await volumesLabelled()).toEqual([anon1, anon2, anon3, `${project}_data`].sort());

    // Scale-down: the removed replicas' anonymous volumes go with them; replica 1 keeps its data.
    await ok(['scale', 'app=1']);
    expect(await exists(anon2)).toBe(false);
    expect(await exists(anon3)).toBe(false);
    expect(await dockerExec(c1, 'cat /data/f /anon/f')).toBe('named\nanon\n');
    expect(await volumesLabelled()).toEqual([anon1, `${project}_data`].sort());

    // down -v: also the carried-over anonymous volume (mounted by name, which the engine's own
    // rm -v leaves), and it says what it removed.
    const out = await ok(['down', '-v']);
    expect(out).toMatch(new RegExp(`Removed 2 volumes: .*${anon1}`));
    expect(await volumesLabelled()).toEqual([]);
    for (const v of seen) expect(await exists(v), v).toBe(false);

    // Nothing unlabelled was left behind: no volume this test's containers mounted is dangling.
    const leaked = [...await dangling()].filter((v) => !danglingBefore.has(v) && seen.has(v));
    expect(leaked).toEqual([]);
  }, 240_000);
});
