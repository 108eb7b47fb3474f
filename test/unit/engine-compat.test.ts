/**
 * What the Docker seam hides of Podman's Docker-compatible API, checked against a stub engine
 * on a Unix socket answering as Podman 4.3 does (and as Docker does): version negotiation from
 * `/_ping`'s header, health events in both forms and once per transition, the listing's missing
 * paused containers and health. The real Podman runs the same paths in test/e2e/podman.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../src/engine/docker/engine.js';
import { healthTransitions } from '../../src/engine/docker/events.js';
import { readEvent, readPing } from '../../src/engine/docker/map.js';
import type { Engine, EngineEvent } from '../../src/engine/engine.js';
import { ContainerWatch, eventHealth } from '../../src/run/watch.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const servers: { server: Server; dir: string }[] = [];
afterEach(async () => {
  for (const { server, dir } of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A stub engine; every request it received is recorded as `METHOD path?query`. */
async function stubEngine(handler: Handler): Promise<{ engine: Engine; calls: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tug-stub-'));
  const sock = join(dir, 'engine.sock');
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    calls.push(`${req.method} ${url.pathname}${url.search}`);
    handler(req, res, url);
  });
  await new Promise<void>((r) => server.listen(sock, r));
  servers.push({ server, dir });
  return { engine: dockerEngine({ host: `unix://${sock}`, source: 'option' }), calls };
}

const json = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

const PODMAN_PING = { 'Api-Version': '1.41', 'Libpod-Api-Version': '4.3.1', Server: 'Libpod/4.3.1 (linux)' };

/** A listed container as Podman's compat API answers: no health in Status, ever. */
const listed = (id: string, state: string, status: string) => ({
  Id: id, Names: [`/${id}`], Image: 'busybox', State: state, Status: status, Labels: {}, Created: 1, Ports: [],
});

describe('API version negotiation', () => {
  it("takes the version from /_ping's Api-Version header and never asks /version", async () => {
    const { engine, calls } = await stubEngine((req, res, url) => {
      if (url.pathname === '/_ping') {
        res.writeHead(200, PODMAN_PING);
        return void res.end('OK');
      }
      if (url.pathname === '/version') throw new Error('/version must not be asked');
      json(res, { NCPU: 2, MemTotal: 1, ServerVersion: '4.3.1' });
    });
    expect(await engine.system.apiVersion()).toBe('1.41');
    await engine.system.info();
    expect(calls).toEqual(['GET /_ping', 'GET /v1.41/info']);
  });

  it('falls back to /version when the ping carries no version, and caps at MAX_API', async () => {
    const { engine, calls } = await stubEngine((_req, res, url) => {
      if (url.pathname === '/_ping') return void res.writeHead(200).end('OK');
      json(res, { ApiVersion: '1.99' });
    });
    expect(await engine.system.apiVersion()).toBe('1.47');
    expect(calls).toEqual(['GET /_ping', 'GET /version']);
  });

  it('falls back to /version when the ping answers with an error status', async () => {
    const { engine } = await stubEngine((_req, res, url) => {
      if (url.pathname === '/_ping') return void res.writeHead(404).end('not found');
      json(res, { ApiVersion: '1.41' });
    });
    expect(await engine.system.apiVersion()).toBe('1.41');
  });

  it('reads the flavour from the ping headers', () => {
    expect(readPing({ 'api-version': '1.41', 'libpod-api-version': '4.3.1' })).toEqual({ api: '1.41', flavour: 'podman' });
    expect(readPing({ 'api-version': '1.41', server: 'Libpod/4.3.1 (linux)' })).toEqual({ api: '1.41', flavour: 'podman' });
    expect(readPing({ 'api-version': '1.41', server: 'Docker/20.10.24 (linux)' })).toEqual({ api: '1.41', flavour: 'docker' });
    expect(readPing({ 'api-version': 'garbage' })).toEqual({ flavour: 'docker' });
  });
});

describe('health events', () => {
  const raw = (action: string, extra: Record<string, unknown> = {}, attrs: Record<string, string> = {}) => ({
    Type: 'container', Action: action, Actor: { ID: 'c1', Attributes: { name: 'x', ...attrs } }, timeNano: 5, ...extra,
  });

  it("read as Docker's `health_status: <state>` in either form", () => {
    expect(readEvent(raw('health_status: healthy'))?.action).toBe('health_status: healthy');
    expect(readEvent(raw('health_status', { HealthStatus: 'healthy' }))?.action).toBe('health_status: healthy');
    expect(readEvent(raw('health_status', {}, { health_status: 'unhealthy' }))?.action).toBe('health_status: unhealthy');
    expect(readEvent(raw('health_status'))?.action).toBe('health_status'); // no state said: left as it came
  });

  it("a container's removal reads as Docker's destroy", () => {
    expect(readEvent(raw('remove'))?.action).toBe('destroy');
    expect(readEvent({ ...raw('remove'), Type: 'image' })?.action).toBe('remove');
  });

  it('drops a probe that repeats the last state of the same life', () => {
    const keep = healthTransitions();
    const ev = (action: string, id = 'c1'): EngineEvent => ({ type: 'container', action, id, attributes: {}, timeNano: 0 });
    const kept = [
      ev('start'), ev('health_status: starting'), ev('health_status: healthy'), ev('health_status: healthy'),
      ev('health_status: healthy', 'c2'), ev('health_status: unhealthy'), ev('health_status: unhealthy'), ev('health_status: healthy'),
      ev('die'), ev('start'), ev('health_status: healthy'),
    ].filter(keep).map((e) => `${e.id} ${e.action}`);
    expect(kept).toEqual([
      'c1 start', 'c1 health_status: starting', 'c1 health_status: healthy', 'c2 health_status: healthy',
      'c1 health_status: unhealthy', 'c1 health_status: healthy', 'c1 die', 'c1 start', 'c1 health_status: healthy',
    ]);
  });

  it('the watch reads both forms', () => {
    expect(eventHealth({ action: 'health_status: healthy', attributes: {} })).toBe('healthy');
    expect(eventHealth({ action: 'health_status', attributes: { HealthStatus: 'unhealthy' } })).toBe('unhealthy');
    expect(eventHealth({ action: 'health_status', attributes: {} })).toBeUndefined();
  });

  it("open a healthy gate on Podman's form through the real event stream, and repeats move nothing", async () => {
    let push: (line: object) => void = () => {};
    const { engine } = await stubEngine((_req, res, url) => {
      if (url.pathname === '/_ping') return void res.writeHead(200, PODMAN_PING).end('OK');
      if (url.pathname.endsWith('/events')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        push = (line) => res.write(`${JSON.stringify(line)}\n`);
        return;
      }
      res.writeHead(404).end('{}');
    });
    const w = await ContainerWatch.open(engine, 'p');
    try {
      w.markStarted('c1');
      w.expectHealth('c1');
      let open = false;
      const gate = w.waitFor('c1', 'healthy').then(() => (open = true));
      const at = (n: number, state: string) => push({
        status: 'health_status', Type: 'container', Action: 'health_status', HealthStatus: state,
        Actor: { ID: 'c1', Attributes: { name: 'p-db-1' } }, timeNano: n,
      });
      at(1, 'starting');
      at(2, 'starting');
      await new Promise((r) => setTimeout(r, 50));
      expect(open).toBe(false);
      at(3, 'healthy');
      await gate;
      at(4, 'healthy');
      at(5, 'healthy');
      await new Promise((r) => setTimeout(r, 50));
      // The transition's time stays the one that opened the gate.
      expect(w.observation('c1')).toMatchObject({ health: 'healthy', lastEventNano: 3 });
    } finally {
      w.close();
    }
  });
});

describe('the container listing on Podman', () => {
  async function podman(): Promise<{ engine: Engine; calls: string[] }> {
    return stubEngine((_req, res, url) => {
      if (url.pathname === '/_ping') return void res.writeHead(200, PODMAN_PING).end('OK');
      if (url.pathname.endsWith('/containers/json')) {
        // Podman without all=1 leaves the paused container out; here only all=1 shows it.
        const all = url.searchParams.get('all') === 'true' || url.searchParams.get('all') === '1';
        return json(res, [
          listed('run1', 'running', 'Up 3 seconds'),
          listed('run2', 'running', 'Up 3 seconds'),
          ...(all ? [listed('paused1', 'paused', 'Up 3 seconds (Paused)'), listed('gone1', 'exited', 'Exited (0) 1 second ago')] : []),
        ]);
      }
      const m = /\/containers\/([^/]+)\/json$/.exec(url.pathname);
      if (m) {
        const health = m[1] === 'run1' ? { Status: 'healthy', Log: [] } : undefined;
        return json(res, { Id: m[1], Name: `/${m[1]}`, Config: {}, State: { Status: 'running', ...(health ? { Health: health } : {}) } });
      }
      res.writeHead(404).end('{}');
    });
  }

  it('lists paused containers without all, and leaves the stopped ones out', async () => {
    const { engine, calls } = await podman();
    const list = await engine.containers.list({ labels: ['a=b'] });
    expect(list.map((c) => `${c.id} ${c.state}`)).toEqual(['run1 running', 'run2 running', 'paused1 paused']);
    expect(calls.filter((c) => c.includes('/containers/json')).every((c) => c.includes('all=true'))).toBe(true);
    expect((await engine.containers.list({ all: true })).map((c) => c.id)).toEqual(['run1', 'run2', 'paused1', 'gone1']);
  });

  it('with health, reads each running container\'s health from inspect', async () => {
    const { engine, calls } = await podman();
    const plain = await engine.containers.list({});
    expect(plain.map((c) => c.health)).toEqual(['none', 'none', 'none']);
    expect(calls.some((c) => /\/containers\/run1\/json/.test(c))).toBe(false);
    const list = await engine.containers.list({ health: true });
    expect(list.map((c) => `${c.id} ${c.health} ${c.status}`)).toEqual([
      'run1 healthy Up 3 seconds (healthy)', 'run2 none Up 3 seconds', 'paused1 none Up 3 seconds (Paused)',
    ]);
    // The paused one is not inspected: only running containers probe.
    expect(calls.filter((c) => /\/containers\/\w+\/json/.test(c)).map((c) => c.split('/')[3]).sort()).toEqual(['run1', 'run2']);
  });

  it("on Docker, the listing is taken as it is: its status carries the health", async () => {
    const { engine, calls } = await stubEngine((_req, res, url) => {
      if (url.pathname === '/_ping') return void res.writeHead(200, { 'Api-Version': '1.41', Server: 'Docker/20.10.24 (linux)' }).end('OK');
      json(res, [listed('d1', 'running', 'Up 2 seconds (healthy)'), listed('d2', 'paused', 'Up 2 seconds (Paused)')]);
    });
    const list = await engine.containers.list({ health: true });
    expect(list.map((c) => `${c.id} ${c.health}`)).toEqual(['d1 healthy', 'd2 none']);
    expect(calls).toEqual(['GET /_ping', expect.stringMatching(/^GET \/v1\.41\/containers\/json\?all=false/)]);
  });
});
