/**
 * Every wait of `up` bounded, on the real engine, through the CLI:
 *
 * - `--wait-timeout` bounds the whole command, the dependency gates included: a dependency
 *   whose health stays `starting` (probed every second, failing within an hour's start period)
 *   fails `up -d --wait --wait-timeout 5` after 5 s, naming the gate and the dependency's state;
 * - a dependency probed every hour (the case): its next probe is too far away to wait
 *   for, with or without --wait-timeout, and that is reported within seconds.
 */
import { describe, expect, it } from 'vitest';
import { listContainers } from '../../src/run/observe.js';
import { IMAGE, e2eScope, tug } from './helpers.js';

const scope = e2eScope();
const { engine } = scope;

/** db's health never leaves `starting` (by `healthcheck`); app waits for it to be healthy. */
async function stack(what: string, healthcheck: string): Promise<{ project: string; dir: string }> {
  const project = scope.project(what);
  const dir = await scope.stack(`
name: ${project}
services:
  db:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    healthcheck:
${healthcheck}
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    depends_on:
      db:
        condition: service_healthy
`);
  return { project, dir };
}

/** Probed every second, failing; within its start period failures do not count, so it stays `starting`. */
const STAYS_STARTING = `      test: ["CMD", "false"]
      interval: 1s
      timeout: 1s
      retries: 3
      start_period: 1h`;

/** The healthcheck: the first probe runs an hour after the start. */
const HOURLY = `      test: ["CMD", "true"]
      interval: 1h`;

async function states(project: string): Promise<Record<string, string>> {
  return Object.fromEntries((await listContainers(engine, { project, all: true })).map((c) => [c.service, c.state]));
}

describe('every wait of up bounded', () => {
  it('--wait-timeout 5 bounds the dependency gate: exit 5 after ~5 s, naming the gate and db\'s state', async () => {
    const { project, dir } = await stack('waitgate', STAYS_STARTING);
    const r = await tug(['up', '-d', '--wait', '--wait-timeout', '5'], dir, { timeoutMs: 60_000 });
    console.log(`[bounded] --wait-timeout 5, health staying starting: exit ${r.code} after ${r.ms} ms\n${r.stderr}`);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`service "app" did not start within 5s (--wait-timeout): it was still waiting for "db" (service_healthy); ${project}-db-1 is running, health: starting (last probe exited 1`);
    expect(r.ms).toBeGreaterThanOrEqual(5000);
    expect(r.ms).toBeLessThan(12_000);
    // What started stays as it is: db runs, app was never started.
    expect(await states(project)).toEqual({ db: 'running', app: 'created' });
  });

  it('a healthcheck interval of 1h with --wait-timeout 5: reported before the bound, naming the gate and when the probe is due', async () => {
    const { project, dir } = await stack('waithour', HOURLY);
    const r = await tug(['up', '-d', '--wait', '--wait-timeout', '5'], dir, { timeoutMs: 60_000 });
    console.log(`[bounded] --wait-timeout 5, interval 1h: exit ${r.code} after ${r.ms} ms\n${r.stderr}`);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/service "app" cannot start: its dependency "db" stays "health: starting": its next health probe is due in (59m\d+s|1h0m0s) \(healthcheck interval 1h0m0s\)/);
    expect(r.ms).toBeLessThan(12_000);
    expect(await states(project)).toEqual({ db: 'running', app: 'created' });
  });

  it('a healthcheck interval of 1h without --wait-timeout: reported within seconds with what to change, not waited on silently', async () => {
    const { project, dir } = await stack('hour', HOURLY);
    const r = await tug(['up', '-d'], dir, { timeoutMs: 60_000 });
    console.log(`[bounded] no --wait-timeout, interval 1h: exit ${r.code} after ${r.ms} ms\n${r.stderr}`);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/its dependency "db" stays "health: starting": its next health probe is due in (59m\d+s|1h0m0s)/);
    expect(r.stderr).toContain('hint: lower its healthcheck interval');
    expect(r.ms).toBeLessThan(12_000);
    expect(await states(project)).toEqual({ db: 'running', app: 'created' });
  });
});
