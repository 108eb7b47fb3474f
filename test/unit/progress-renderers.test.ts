import { readFileSync, readdirSync } from 'node:fs';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/run/progress.js';
import { jsonRenderer } from '../../src/ui/json.js';
import { plainRenderer } from '../../src/ui/plain.js';
import { Rows } from '../../src/ui/rows.js';
import { isCI, progressRenderer, resolveMode } from '../../src/ui/select.js';
import { ttyRenderer } from '../../src/ui/tty.js';

const ESC = '\u001B';
const SGR = /\u001B\[[0-9;]*m/;
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

/** A stack coming up, then failing: every state a renderer must handle. */
function events(): ProgressEvent[] {
  const c = (name: string, action: ProgressEvent['action'], state: ProgressEvent['state'], dt: number, extra: Partial<ProgressEvent> = {}): ProgressEvent =>
    ({ resource: 'container', name, service: name.split('-')[1], action, state, time: T0 + dt, ...extra });
  return [
    { resource: 'network', name: 'app_default', action: 'create', state: 'working', time: T0 },
    { resource: 'network', name: 'app_default', action: 'create', state: 'done', time: T0 + 100, durationMs: 100 },
    c('app-db-1', 'create', 'working', 100),
    c('app-web-1', 'create', 'working', 100),
    c('app-db-1', 'create', 'done', 130, { durationMs: 30 }),
    c('app-web-1', 'create', 'done', 140, { durationMs: 40 }),
    c('app-web-1', 'create', 'warning', 141, { message: 'ports are ignored with network_mode: host' }),
    c('app-db-1', 'start', 'working', 150),
    c('app-db-1', 'start', 'done', 450, { durationMs: 300 }),
    { resource: 'service', name: 'web', service: 'web', action: 'wait', state: 'working', time: T0 + 450, message: 'waiting for db (service_healthy)' },
    {
      resource: 'service', name: 'web', service: 'web', action: 'wait', state: 'error', time: T0 + 2450, durationMs: 2000,
      message: 'waiting for db (service_healthy)',
      error: { code: 'service_failed', message: 'service "web" cannot start: its dependency "db" is unhealthy\n  last 2 log lines of app-db-1:\n    a\n    b' },
    },
  ];
}

/** A stream as a terminal looks to the renderers, recording what is written. */
function terminal(isTTY = true) {
  const chunks: string[] = [];
  return {
    chunks,
    text: () => chunks.join(''),
    stream: { isTTY, columns: 120, rows: 40, write: (s: string | Uint8Array) => (chunks.push(String(s)), true) } as unknown as NodeJS.WriteStream,
  };
}

const nullOut = { write: () => true } as unknown as NodeJS.WriteStream;

describe('plain renderer', () => {
  it('one timestamped line per settled event, no escape codes, errors by their first line', () => {
    const lines: string[] = [];
    const render = plainRenderer((s) => void lines.push(s));
    for (const e of events()) render(e);
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    for (const l of lines) {
      expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} /);
      expect(l).not.toContain(ESC);
    }
    expect(lines[0]).toBe('03:04:05.778 network app_default created (0.1s)\n');
    expect(lines).toContain('03:04:06.128 container app-db-1 started (0.3s)\n');
    expect(lines).toContain('03:04:06.128 service web waiting for db (service_healthy)\n');
    expect(lines).toContain('03:04:05.819 warning: ports are ignored with network_mode: host\n');
    // The report's other lines are printed once, by the CLI's error output.
    expect(lines.at(-1)).toBe('03:04:08.128 service web wait failed (2.0s): service "web" cannot start: its dependency "db" is unhealthy\n');
    // `working` is only shown for waits: a CI log lists what happened, not what began.
    expect(lines.join('')).not.toMatch(/creating|starting/);
  });

  it('prints each line of a hook\'s output as it comes, named by the hook', () => {
    const lines: string[] = [];
    const render = plainRenderer((s) => void lines.push(s));
    render({ resource: 'container', name: 'app-db-1', service: 'db', action: 'start', state: 'working', time: T0 });
    render({ resource: 'container', name: 'app-db-1', service: 'db', action: 'start', state: 'working', time: T0 + 5, hook: 'post_start[0]', message: 'warming up' });
    render({ resource: 'service', name: 'db', service: 'db', action: 'pre_start', state: 'done', time: T0 + 9, durationMs: 9 });
    expect(lines).toEqual(['03:04:05.683 container app-db-1 post_start[0]: warming up\n', '03:04:05.687 service db pre_start done (0.0s)\n']);
  });
});

describe('rows', () => {
  it('show a hook\'s latest line on its container\'s row, and a build\'s current step on its image\'s', () => {
    const rows = new Rows();
    const row = rows.apply({ resource: 'container', name: 'app-db-1', action: 'start', state: 'working', time: T0 });
    rows.apply({ resource: 'container', name: 'app-db-1', action: 'start', state: 'working', time: T0 + 5, hook: 'post_start[0]', message: 'warming up' });
    expect(row.text(T0 + 100, new Chalk({ level: 0 }))).toBe('Container app-db-1  Starting  post_start[0]: warming up  0.1s');
    const image = rows.apply({ resource: 'image', name: 'app-web', action: 'build', state: 'working', time: T0 });
    rows.apply({ resource: 'image', name: 'app-web', action: 'build', state: 'working', time: T0 + 50, message: '[2/3] RUN make' });
    expect(image.text(T0 + 1000, new Chalk({ level: 0 }))).toBe('Image app-web  Building  [2/3] RUN make  1.0s');
  });
});

describe('json renderer', () => {
  it('one object per line, with resource, action, state, time, and durationMs/error when settled', () => {
    let out = '';
    const render = jsonRenderer((s) => void (out += s));
    const input = events();
    for (const e of input) render(e);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(input.length);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [i, o] of parsed.entries()) {
      expect(o).toMatchObject({ resource: input[i]!.resource, name: input[i]!.name, action: input[i]!.action, state: input[i]!.state });
      expect(o.time).toBe(new Date(input[i]!.time).toISOString());
    }
    expect(parsed[1]).toMatchObject({ state: 'done', durationMs: 100 });
    const failed = parsed.at(-1)!;
    expect(failed).toMatchObject({ state: 'error', durationMs: 2000, error: { code: 'service_failed' } });
    // Machines get the whole report, log lines included.
    expect((failed.error as { message: string }).message).toContain('last 2 log lines');
  });
});

describe('choosing a renderer', () => {
  it('auto is the live display only on a terminal, outside CI, with escape codes allowed', () => {
    expect(resolveMode('auto', { isTTY: true, ci: false, ansi: true })).toBe('tty');
    expect(resolveMode('auto', { isTTY: false, ci: false, ansi: true })).toBe('plain');
    expect(resolveMode('auto', { isTTY: true, ci: true, ansi: true })).toBe('plain');
    expect(resolveMode('auto', { isTTY: true, ci: false, ansi: false })).toBe('plain');
    for (const m of ['tty', 'plain', 'json', 'quiet'] as const) expect(resolveMode(m, { isTTY: false, ci: true, ansi: true })).toBe(m);
  });

  it('CI counts as set unless empty, 0 or false', () => {
    expect(isCI({ CI: '1' })).toBe(true);
    expect(isCI({ CI: 'true' })).toBe(true);
    expect(isCI({})).toBe(false);
    expect(isCI({ CI: '' })).toBe(false);
    expect(isCI({ CI: 'false' })).toBe(false);
    expect(isCI({ CI: '0' })).toBe(false);
  });

  it('CI=1 on a terminal gives plain lines', async () => {
    const t = terminal(true);
    const r = progressRenderer('auto', { stream: t.stream, other: nullOut, env: { CI: '1' } });
    for (const e of events()) r.listener(e);
    await r.close();
    const lines = t.text().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} /);
    expect(t.text()).not.toContain(ESC);
  });

  it('quiet prints nothing; every renderer can be closed, twice', async () => {
    const t = terminal(false);
    const r = progressRenderer('quiet', { stream: t.stream });
    for (const e of events()) r.listener(e);
    await r.close();
    await r.close();
    expect(t.text()).toBe('');
  });
});

describe('tty renderer', () => {
  async function draw(opts: { color?: 0 | 1; ansi?: boolean; gapMs?: number } = {}) {
    const t = terminal(true);
    const r = ttyRenderer({ stream: t.stream, other: nullOut, color: new Chalk({ level: opts.color ?? 0 }), ansi: opts.ansi, tickMs: 10 });
    for (const e of events()) {
      r.listener(e);
      if (opts.gapMs) await new Promise((res) => setTimeout(res, opts.gapMs));
    }
    await r.close();
    return t;
  }

  it('draws one line per resource and leaves the last frame on screen', async () => {
    const t = await draw({ gapMs: 5 });
    const text = t.text();
    // The last frame is written after the live one is erased, and stays.
    const last = text.slice(text.lastIndexOf('\u001B[G') + 3).replace(/\u001B\[\?25[hl]/g, '');
    const lines = last.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^✔ Network app_default +Created {2}0\.1s$/);
    expect(lines.find((l) => l.includes('app-db-1'))).toMatch(/Container app-db-1 +Started {2}0\.3s$/);
    expect(lines.find((l) => l.includes('app-web-1'))).toMatch(/Container app-web-1 +Created {2}0\.0s$/);
    expect(last).toContain('warning: ports are ignored with network_mode: host');
    expect(lines.find((l) => l.includes('Service web'))).toMatch(/^✖ Service web +Wait failed {2}service "web" cannot start/);
    // Only the report's first line: the CLI prints the whole report after the display ends.
    expect(last).not.toContain('last 2 log lines');
  });

  it('with NO_COLOR (a colourless chalk) draws no colour codes; with colours it does', async () => {
    const plainText = (await draw()).text();
    expect(plainText).toContain('Container app-db-1');
    expect(plainText).not.toMatch(SGR);
    expect((await draw({ color: 1 })).text()).toMatch(SGR);
  });

  it('with --ansi never emits no escape code at all: a line per event instead', async () => {
    const t = await draw({ ansi: false, color: 1 });
    expect(t.text()).not.toContain(ESC);
    for (const l of t.text().trimEnd().split('\n')) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} /);
  });

  it('a terminal without a size gets plain lines, not lines truncated to nothing', async () => {
    const t = terminal(true);
    (t.stream as { columns: number }).columns = 0;
    const r = ttyRenderer({ stream: t.stream, other: nullOut, ansi: true });
    for (const e of events()) r.listener(e);
    await r.close();
    expect(t.text()).toContain('container app-db-1 started');
  });

  it('events after close still get a line', async () => {
    const t = terminal(true);
    const r = ttyRenderer({ stream: t.stream, other: nullOut, ansi: true });
    await r.close();
    r.listener({ resource: 'container', name: 'late-1', action: 'stop', state: 'done', time: T0, durationMs: 10 });
    expect(t.text()).toBe('03:04:05.678 container late-1 stopped (0.0s)\n');
  });
});

describe('rows of the live display', () => {
  const c = new Chalk({ level: 0 });

  it('a row shows the running action with its elapsed time, then the settled one with its duration', () => {
    const rows = new Rows();
    const row = rows.apply({ resource: 'image', name: 'busybox:latest', action: 'pull', state: 'working', time: T0 });
    rows.apply({ resource: 'image', name: 'busybox:latest', action: 'pull', state: 'working', time: T0 + 500, message: '1.0/2.0 MB' });
    // Progress updates keep the action's start time.
    expect(row.text(T0 + 1500, c)).toBe('Image busybox:latest  Pulling  1.0/2.0 MB  1.5s');
    expect(row.state).toBe('working');
    rows.apply({ resource: 'image', name: 'busybox:latest', action: 'pull', state: 'done', time: T0 + 2000, durationMs: 2000 });
    expect(row.text(T0 + 9000, c)).toBe('Image busybox:latest  Pulled  2.0s');
    expect(row.state).toBe('done');
  });

  it('a service waiting on two dependencies keeps waiting until both are met', () => {
    const rows = new Rows();
    const w = (message: string, state: ProgressEvent['state'], dt: number): ProgressEvent =>
      ({ resource: 'service', name: 'api', action: 'wait', state, time: T0 + dt, message });
    const row = rows.apply(w('waiting for db (service_healthy)', 'working', 0));
    rows.apply(w('waiting for cache (service_started)', 'working', 10));
    rows.apply(w('waiting for cache (service_started)', 'done', 20));
    expect(row.state).toBe('working');
    expect(row.text(T0 + 1000, c)).toBe('Service api  Waiting  waiting for db (service_healthy)  1.0s');
    expect(row.text(T0 + 1000, c, 0, true)).toContain('(not finished)');
    rows.apply(w('waiting for db (service_healthy)', 'done', 1200));
    expect(row.text(T0 + 2000, c)).toBe('Service api  Dependencies ready');
  });

  it('a failure stays shown whatever settles after it; heads share one width', () => {
    const rows = new Rows();
    rows.apply({ resource: 'network', name: 'n', action: 'create', state: 'done', time: T0, durationMs: 0 });
    const row = rows.apply({ resource: 'container', name: 'app-db-1', action: 'start', state: 'error', time: T0, durationMs: 100, error: { code: 'engine_error', message: 'port is taken\nmore' } });
    rows.apply({ resource: 'container', name: 'app-db-1', action: 'remove', state: 'done', time: T0, durationMs: 100 });
    expect(row.state).toBe('error');
    expect(row.text(T0, c, rows.headWidth)).toBe('Container app-db-1  Start failed  port is taken  0.1s');
    expect(rows.all[0]!.text(T0, c, rows.headWidth)).toBe('Network n           Created  0.0s');
  });

  it('an action that failed starts anew when it runs again (the dev loop\'s next sync)', () => {
    const rows = new Rows();
    const sync = (state: ProgressEvent['state'], dt: number, extra: Partial<ProgressEvent> = {}): ProgressEvent =>
      ({ resource: 'service', name: 'web', service: 'web', action: 'sync', state, time: T0 + dt, ...extra });
    const row = rows.apply(sync('working', 0));
    rows.apply(sync('error', 100, { durationMs: 100, error: { code: 'sync_failed', message: 'no space left' } }));
    expect(row.text(T0 + 200, c)).toBe('Service web  Sync failed  no space left  0.1s');
    rows.apply(sync('working', 1000));
    expect(row.state).toBe('working');
    rows.apply(sync('done', 1100, { durationMs: 100, message: '1 file into 1 container' }));
    expect(row.text(T0 + 2000, c)).toBe('Service web  Synced  1 file into 1 container  0.1s');
  });

  it('a resource known only from a warning shows the warning', () => {
    const rows = new Rows();
    const row = rows.apply({ resource: 'container', name: 'app-old-1', action: 'orphan', state: 'warning', time: T0, message: 'container app-old-1 belongs to no service' });
    expect(row.state).toBe('warning');
    expect(row.text(T0, c)).toBe('container app-old-1 belongs to no service');
  });
});

describe('the CLI bundle', () => {
  it('loads listr2 only when a live display is drawn: no static import reaches it', () => {
    const LISTR2 = 'Only one prompt can be active at the given time';
    // Built by the suite's globalSetup from the current sources.
    const dist = new URL('../../dist/', import.meta.url);
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(new URL(file, dist), 'utf8');
      expect(code, `${file} is loaded at start-up`).not.toContain(LISTR2);
      for (const m of code.matchAll(/(?:^|[;\s}])import\s*(?:[^'"()]*?from\s*)?["']\.\/(?:chunks\/)?([^"']+\.mjs)["']/g)) visit(`chunks/${m[1]!}`);
    };
    visit('tug.mjs');
    expect(seen.size).toBeGreaterThan(1);
    // ...while it is in the bundle, as a chunk of its own.
    const chunks = readdirSync(new URL('chunks/', dist)).filter((f) => !seen.has(`chunks/${f}`));
    expect(chunks.some((f) => readFileSync(new URL(`chunks/${f}`, dist), 'utf8').includes(LISTR2))).toBe(true);
  });
});
