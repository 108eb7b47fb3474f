/** engineListening: a bare connect, on a connection of its own, to where the engine is. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineListening } from '../../src/engine/listening.js';

const dir = mkdtempSync(join(tmpdir(), 'tug-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engineListening', () => {
  it('true where something listens, false where nothing does (no socket file, a closed port), undefined where a connect cannot tell', async () => {
    const path = join(dir, 'engine.sock');
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(path, r));
    expect(await engineListening(`unix://${path}`)).toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
    expect(await engineListening(`unix://${path}`)).toBe(false);

    const tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as { port: number }).port;
    expect(await engineListening(`tcp://127.0.0.1:${port}`)).toBe(true);
    await new Promise<void>((r) => tcp.close(() => r()));
    expect(await engineListening(`tcp://127.0.0.1:${port}`)).toBe(false);

    expect(await engineListening('ssh://me@host')).toBeUndefined();
    expect(await engineListening('npipe:////./pipe/docker_engine')).toBeUndefined();
  });
});
