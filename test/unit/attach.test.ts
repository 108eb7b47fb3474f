import { Chalk } from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { PREFIX_PALETTE, attach, prefixColor } from '../../src/run/attach.js';
import type { Project } from '../../src/stack/model.js';
import { composeContainer, FakeEngine } from '../fake-engine.js';
import { makeService } from '../support.js';

const fakes: FakeEngine[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.dispose();
});

/**
 * Running containers that have printed their lines, then run until they exit on their own
 * (after `exitAfterMs`, with `code`) or are stopped: they ignore SIGTERM, so a stop kills
 * them after the timeout (137).
 */
function fakeEngine(project: string, specs: { service: string; lines: string[]; exitAfterMs?: number; code?: number }[]) {
  const engine = new FakeEngine({ images: ['busybox'] });
  fakes.push(engine);
  const attached = specs.map((s) => {
    const id = engine.addContainer(composeContainer(project, s.service, 1, {
      logs: s.lines,
      behaviour: { signals: { SIGTERM: 'ignore' }, ...(s.exitAfterMs !== undefined ? { exit: { code: s.code ?? 0, afterMs: s.exitAfterMs } } : {}) },
    }));
    return { id, name: `${project}-${s.service}-1`, number: 1, service: s.service };
  });
  return {
    engine,
    attached,
    /** The services whose containers tug stopped, in order. */
    stops: () => engine.callsTo('containers.stop').map((c) => engine.container(c.args[0])?.labels[LABEL.service]),
  };
}

function project(name: string, services: Record<string, Parameters<typeof makeService>[1]>): Project {
  return {
    name, working_dir: '/w', config_files: [], disabled_services: {}, networks: {}, volumes: {}, configs: {}, secrets: {}, profiles: [],
    services: Object.fromEntries(Object.entries(services).map(([n, s]) => [n, makeService(n, s)])),
  };
}

async function run(p: Project, specs: Parameters<typeof fakeEngine>[1], opts: { exitCodeFrom?: string; abort?: boolean; color?: 0 | 1; watched?: string[] } = {}) {
  const f = fakeEngine(p.name, specs);
  let out = '';
  let notices = '';
  const result = await attach(f.engine, p, f.attached, {
    signal: new AbortController().signal, onProgress: (e) => void (e.state === 'warning' && (notices += `${e.message}\n`)),
    write: (s) => void (out += s),
    color: new Chalk({ level: opts.color ?? 0 }), abortOnContainerExit: opts.abort, exitCodeFrom: opts.exitCodeFrom,
    ...(opts.watched ? { watched: (service: string) => opts.watched!.includes(service) } : {}),
  });
  return { result, out, notices, stops: f.stops() };
}

describe('attach', () => {
  const twoServices = project('app', { quitter: {}, sleeper: {} });
  const quitAndSleep = [
    { service: 'quitter', lines: ['bye'], exitAfterMs: 20, code: 3 },
    { service: 'sleeper', lines: ['zzz'] },
  ];

  it('prefixes each line with the aligned container name, uncoloured without colours', async () => {
    const p = project('app', { db: {}, frontend: {} });
    const r = await run(p, [{ service: 'db', lines: ['one', 'two'], exitAfterMs: 5 }, { service: 'frontend', lines: ['hi'], exitAfterMs: 10, code: 1 }]);
    expect(r.result).toEqual({});
    expect(r.out.split('\n')).toEqual(expect.arrayContaining(['db-1       | one', 'db-1       | two', 'frontend-1 | hi', 'db-1 exited with code 0', 'frontend-1 exited with code 1']));
    expect(r.out).not.toContain('\u001B');
    // A container's exit is reported after its last line.
    expect(r.out.indexOf('db-1 exited')).toBeGreaterThan(r.out.indexOf('db-1       | two'));
  });

  it('colours each service\'s prefix with its own palette colour', async () => {
    const p = project('app', { db: {} });
    const r = await run(p, [{ service: 'db', lines: ['one'], exitAfterMs: 5 }], { color: 1 });
    const chalk = new Chalk({ level: 1 });
    expect(r.out).toContain(`${chalk[prefixColor('db')]('db-1 |')} one\n`);
  });

  it('--abort-on-container-exit: the first exit stops the rest and gives its code', async () => {
    const r = await run(twoServices, quitAndSleep, { abort: true });
    expect(r.result).toEqual({ exitCode: 3 });
    expect(r.stops).toEqual(['sleeper']);
    expect(r.notices).toMatch(/Aborting on container exit \(quitter exited with code 3\)/);
    expect(r.out).toContain('sleeper-1 exited with code 137');
  });

  it('--exit-code-from: the named service\'s code, even when another one exited first', async () => {
    const r = await run(twoServices, quitAndSleep, { exitCodeFrom: 'sleeper' });
    expect(r.result).toEqual({ exitCode: 137 });
    expect(r.stops).toEqual(['sleeper']);
    const quitter = await run(twoServices, quitAndSleep, { exitCodeFrom: 'quitter' });
    expect(quitter.result).toEqual({ exitCode: 3 });
  });

  it('a job that others wait on to complete successfully does not abort the stack by finishing', async () => {
    const p = project('app', {
      migrate: {},
      api: { depends_on: { migrate: { condition: 'service_completed_successfully', required: true, restart: false } } },
    });
    const r = await run(p, [
      { service: 'migrate', lines: ['migrated'], exitAfterMs: 0, code: 0 },
      { service: 'api', lines: ['serving'], exitAfterMs: 40, code: 2 },
    ], { abort: true });
    expect(r.result).toEqual({ exitCode: 2 });
    expect(r.notices).toContain('api exited with code 2');
  });

  it('ends once the watched services have stopped, leaving the others running; only their exits abort the stack', async () => {
    // The sleeper runs until stopped: had attach waited for it, this would time out.
    const r = await run(twoServices, quitAndSleep, { watched: ['quitter'] });
    expect(r.result).toEqual({});
    expect(r.stops).toEqual([]);
    expect(r.out).toContain('quitter-1 exited with code 3');
    expect(r.out).not.toContain('sleeper-1 exited');
    // The sleeper exits by itself first, unwatched: no abort; the watched one's exit then ends up.
    const late = [{ service: 'quitter', lines: ['bye'], exitAfterMs: 60, code: 0 }, { service: 'sleeper', lines: ['zzz'], exitAfterMs: 5, code: 4 }];
    const aborting = await run(twoServices, late, { watched: ['quitter'], abort: true });
    expect(aborting.result).toEqual({ exitCode: 0 });
    expect(aborting.notices).toMatch(/quitter exited with code 0/);
    // None watched at all means all, as Compose's monitor with no service.
    const none = await run(twoServices, [quitAndSleep[0]!, { service: 'sleeper', lines: ['zzz'], exitAfterMs: 40, code: 0 }], { watched: [] });
    expect(none.out).toContain('sleeper-1 exited with code 0');
  });

  it('without the flags, one container exiting stops nothing', async () => {
    const r = await run(twoServices, [quitAndSleep[0]!, { service: 'sleeper', lines: ['zzz'], exitAfterMs: 60, code: 0 }]);
    expect(r.result).toEqual({});
    expect(r.stops).toEqual([]);
  });
});

describe('prefix colours', () => {
  it('depend on the service name only, the same in every run', () => {
    // Pinned: changing the hash would recolour every user's logs.
    expect(['db', 'web', 'api', 'worker', 'cache'].map(prefixColor)).toEqual(['magenta', 'cyanBright', 'greenBright', 'greenBright', 'cyanBright']);
    expect(prefixColor('web')).toBe(prefixColor('web'));
  });

  it('spread over the palette and never use red, which marks errors', () => {
    const used = new Set(Array.from({ length: 50 }, (_, i) => prefixColor(`service${i}`)));
    expect(used.size).toBeGreaterThanOrEqual(PREFIX_PALETTE.length - 2);
    expect([...used].some((c) => c.startsWith('red'))).toBe(false);
  });
});
