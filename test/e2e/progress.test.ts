/**
 * Progress and CI mode through the built CLI, spawned as CI runs it (stderr is a pipe, not a
 * terminal): plain and JSON progress, CI=1 choosing plain, the failure report in full in every
 * mode, and `--abort-on-container-exit` / `--exit-code-from` deciding the exit code.
 */
import { describe, expect, it } from 'vitest';
import { IMAGE, e2eScope, tug, type CliResult } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope();
const { engine } = scope;
const PLAIN_LINE = /^\d\d:\d\d:\d\d\.\d{3} /;

/** A fresh project directory; `NAME` in the YAML becomes the project name. */
async function stack(what: string, yaml: string): Promise<{ project: string; dir: string }> {
  const project = scope.project(`progress-${what}`);
  const dir = await scope.stack(yaml.replaceAll('NAME', project));
  return { project, dir };
}

const twoSleepers = `
name: NAME
services:
  first:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
  second:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on: [first]
`;

function lines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '');
}

/** `tug` with CI set as a CI runner sets it (the helper passes the test process's environment on). */
async function tugInCI(args: string[], dir: string): Promise<CliResult> {
  const before = process.env.CI;
  process.env.CI = '1';
  try {
    return await tug(args, dir);
  } finally {
    if (before === undefined) delete process.env.CI;
    else process.env.CI = before;
  }
}

describe('progress output', () => {

  it('--progress plain: one timestamped line per event, naming each container', async () => {
    const { project, dir } = await stack('plain', twoSleepers);
    const r = await tug(['up', '-d', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stderr);
    for (const l of out) expect(l).toMatch(PLAIN_LINE);
    for (const c of [`${project}-first-1`, `${project}-second-1`]) {
      expect(out.some((l) => l.includes(`container ${c} created`)), r.stderr).toBe(true);
      expect(out.some((l) => l.includes(`container ${c} started`)), r.stderr).toBe(true);
    }
    expect(r.stderr).not.toContain('\u001B');
    expect(r.stdout).toBe('');
    const down = await tug(['down', '-t', '0', '--progress', 'plain'], dir);
    expect(down.code, down.stderr).toBe(0);
    for (const l of lines(down.stderr)) expect(l).toMatch(PLAIN_LINE);
    expect(down.stderr).toContain(`container ${project}-first-1 removed`);
  });

  it('--progress json: every line an object, with a finished start for each container', async () => {
    const { project, dir } = await stack('json', twoSleepers);
    const r = await tug(['up', '-d', '--progress', 'json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const events = lines(r.stderr).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) {
      expect(typeof e.resource).toBe('string');
      expect(typeof e.action).toBe('string');
      expect(typeof e.state).toBe('string');
      expect(Number.isNaN(Date.parse(e.time as string))).toBe(false);
    }
    for (const c of [`${project}-first-1`, `${project}-second-1`]) {
      const start = events.find((e) => e.resource === 'container' && e.name === c && e.action === 'start' && e.state === 'done');
      expect(start, r.stderr).toBeDefined();
      expect(typeof start!.durationMs).toBe('number');
    }
    await tug(['down', '-t', '0', '--progress', 'quiet'], dir);
  });

  it('CI=1 with --progress auto: plain lines', async () => {
    const { project, dir } = await stack('ci', twoSleepers);
    const r = await tugInCI(['up', '-d', '--progress', 'auto'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stderr);
    expect(out.length).toBeGreaterThan(0);
    for (const l of out) expect(l).toMatch(PLAIN_LINE);
    expect(r.stderr).toContain(`container ${project}-second-1 started`);
    await tug(['down', '-t', '0', '--progress', 'quiet'], dir);
  });

  it('the failure report (probe output, the last 50 log lines) is printed in full, once, in every mode', async () => {
    const failing = `
name: NAME
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "for i in $$(seq 1 60); do echo line$$i; done; sleep 300"]
    healthcheck:
      test: ["CMD-SHELL", "echo probe-said-no; exit 1"]
      interval: 500ms
      retries: 1
  api:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      db: { condition: service_healthy }
`;
    const modes = ['plain', 'json', 'tty', 'quiet'] as const;
    const runs = await Promise.all(modes.map(async (mode) => {
      const { project, dir } = await stack(`report-${mode}`, failing);
      return { mode, project, r: await tug(['up', '-d', '-t', '0', '--progress', mode], dir) };
    }));
    for (const { mode, project, r } of runs) {
      const why = `--progress ${mode}:\n${r.stderr}`;
      expect(r.code, why).toBe(5);
      // The human-readable report: after any progress, so it is what a person reads last.
      const report = r.stderr.slice(r.stderr.lastIndexOf('error: '));
      expect(report, why).toMatch(/^error: service "api" cannot start: its dependency "db" is unhealthy/);
      expect(report, why).toContain('last health probe output: probe-said-no');
      expect(report, why).toContain(`last 50 log lines of ${project}-db-1:`);
      expect(report, why).toContain('    line11\n');
      expect(report, why).toContain('    line60\n');
      expect(report, why).not.toMatch(/\bline10\b/);
      expect(report, why).toContain('hint: inspect it with: tug logs db');
      // Progress shows the failure's first line only; the log lines are not repeated.
      if (mode !== 'json') expect(r.stderr.split('line60').length - 1, why).toBe(1);
      else {
        // Machines get it too, as the error event's message.
        const progress = r.stderr.slice(0, r.stderr.lastIndexOf('error: ')).trimEnd().split('\n').map((l) => JSON.parse(l) as { state: string; error?: { message: string } });
        expect(progress.find((e) => e.state === 'error')?.error?.message, why).toContain('line60');
      }
    }
  });
});

describe('CI mode: --abort-on-container-exit and --exit-code-from', () => {
  // `sleeper` exits 9 when stopped, so its code can be told from the quitter's 3.
  const quitAndSleep = `
name: NAME
services:
  quitter:
    image: ${IMAGE}
    command: ["sh", "-c", "echo quitting soon; sleep 1; exit 3"]
  sleeper:
    image: ${IMAGE}
    command: ["sh", "-c", "trap 'exit 9' TERM; echo sleeping; sleep 300 & wait"]
`;

  async function state(project: string, service: string): Promise<{ state: string; code: number }> {
    const [c] = await listContainers(engine, { project, service, all: true });
    const d = await engine.containers.inspect(c!.id);
    return { state: d.state, code: d.exitCode };
  }

  it('--abort-on-container-exit: the quitter exits 3, the sleeper is stopped, tug exits 3', async () => {
    const { project, dir } = await stack('abort', quitAndSleep);
    const r = await tug(['up', '--abort-on-container-exit', '-t', '5', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(3);
    expect(await state(project, 'sleeper')).toEqual({ state: 'exited', code: 9 });
    expect(await state(project, 'quitter')).toEqual({ state: 'exited', code: 3 });
    expect(r.stdout).toContain('quitter-1 | quitting soon');
    expect(r.stdout).toContain('sleeper-1 | sleeping');
    expect(r.stdout).toContain('quitter-1 exited with code 3');
    expect(r.stderr).toContain('warning: Aborting on container exit (quitter exited with code 3)');
    for (const l of lines(r.stderr)) expect(l).toMatch(PLAIN_LINE);
    expect(r.stderr).toContain(`container ${project}-sleeper-1 stopped`);
    // Not a terminal: no colours on the prefixes.
    expect(r.stdout).not.toContain('\u001B');
  });

  it('--exit-code-from sleeper: the stack stops when the quitter exits, and tug exits with the sleeper\'s 9', async () => {
    const { project, dir } = await stack('from', quitAndSleep);
    const r = await tug(['up', '--exit-code-from', 'sleeper', '-t', '5', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(9);
    expect(await state(project, 'sleeper')).toEqual({ state: 'exited', code: 9 });
  });

  it('--exit-code-from an unknown service, or with -d, is a usage error before anything starts', async () => {
    const { project, dir } = await stack('from-usage', quitAndSleep);
    const unknown = await tug(['up', '--exit-code-from', 'nope'], dir);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain('no such service: nope');
    const detached = await tug(['up', '-d', '--abort-on-container-exit'], dir);
    expect(detached.code, detached.stderr).toBe(2);
    expect(await listContainers(engine, { project, all: true })).toEqual([]);
  });
});
