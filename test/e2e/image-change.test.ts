/**
 * As Compose: a replica made from another image than its service's current one is recreated.
 * On the real engine, a service built from a Dockerfile: `tug build` after an edit, then `up`,
 * recreates it from the new image; `up --build` builds and recreates in one command; an `up`
 * with nothing changed keeps it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerExec, e2eScope, IMAGE, tug } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(`name: ${project}\nservices:\n  app:\n    build: .\n    init: true\n    stop_grace_period: 1s\n`, {
      Dockerfile: dockerfile('one'),
    });
  },
  afterCleanup: async () => {
    await engine.images.remove(`${project}-app`).catch(() => {});
  },
});
const { engine } = scope;
const project = scope.project('imgchg');
let dir: string;

const dockerfile = (word: string) => `FROM ${IMAGE}\nRUN echo ${word} > /word\nCMD ["sleep", "600"]\n`;

async function app(): Promise<{ id: string; imageId?: string }> {
  const [c] = await listContainers(engine, { project, all: true });
  expect(c).toBeDefined();
  return { id: c!.id, imageId: c!.imageId };
}

describe('a changed image recreates its replicas', () => {
  it('tug build then up recreates from the new image; up with nothing changed keeps it; up --build does both at once', async () => {
    let r = await tug(['up', '-d', '--progress', 'plain'], dir, { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const first = await app();
    expect(await dockerExec(first.id, 'cat /word')).toBe('one\n');

    r = await tug(['up', '-d', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect((await app()).id).toBe(first.id);

    await writeFile(join(dir, 'Dockerfile'), dockerfile('two'));
    r = await tug(['build', '--progress', 'plain'], dir, { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    r = await tug(['up', '-d', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    const second = await app();
    expect(second.id).not.toBe(first.id);
    expect(second.imageId).not.toBe(first.imageId);
    expect(await dockerExec(second.id, 'cat /word')).toBe('two\n');

    await writeFile(join(dir, 'Dockerfile'), dockerfile('three'));
    r = await tug(['up', '-d', '--build', '--progress', 'plain'], dir, { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const third = await app();
    expect(third.id).not.toBe(second.id);
    expect(await dockerExec(third.id, 'cat /word')).toBe('three\n');
    // Built once, not again for the recreated replica.
    expect(r.stderr.match(/image \S+ built/g) ?? [], r.stderr).toHaveLength(1);
  }, 240_000);
});
