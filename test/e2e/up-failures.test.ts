/**
 * When a dependency cannot meet its condition, `up` fails fast with a report a person can act
 * on (which services, what state, the last probe output, the dependency's last log lines) and
 * never starts the dependent. Each case is its own project, so one case's leftovers cannot
 * satisfy or fail another's gates.
 */
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { DependencyFailedError } from '../../src/run/failure.js';
import { up } from '../../src/run/up.js';
import { IMAGE, e2eScope, inspect, load, progressLog, rand, tug } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const scope = e2eScope();
const { engine } = scope;

/** A fresh project directory for one case; `NAME` in the YAML becomes the project name. */
async function stack(what: string, yaml: string): Promise<{ project: string; dir: string }> {
  const project = scope.project(`fail-${what}`);
  const dir = await scope.stack(yaml.replaceAll('NAME', project));
  return { project, dir };
}

/** Runs up and returns what it rejected with; fails the test when it resolves. */
async function upRejects(dir: string): Promise<DependencyFailedError> {
  const p = await load(dir);
  const err = await up(engine, p, {}).then(
    () => { throw new Error('up resolved, but it should have failed'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DependencyFailedError);
  return err as DependencyFailedError;
}

async function containerOf(project: string, service: string) {
  const list = await listContainers(engine, { project, service, all: true });
  expect(list, `containers of ${service}`).toHaveLength(1);
  return inspect(list[0]!.id);
}

/** The dependent was created (up creates everything at once) but never started. */
async function expectNeverStarted(project: string, service: string): Promise<void> {
  const c = await containerOf(project, service);
  expect(c.State.Status).toBe('created');
  expect(c.State.StartedAt).toBe('0001-01-01T00:00:00Z');
}

describe('up when a dependency fails', () => {
  it('an always-failing healthcheck: rejects naming both services, unhealthy, probe output and logs', async () => {
    const marker = `sick-service-says-hello-${rand()}`;
    const { project, dir } = await stack('unhealthy', `
name: NAME
services:
  sick:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "echo ${marker}; exec sleep 300"]
    healthcheck:
      test: ["CMD-SHELL", "echo probe-refused-${marker}; false"]
      interval: 1s
      timeout: 2s
      retries: 2
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      sick: { condition: service_healthy }
`);
    const err = await upRejects(dir);
    expect(err.message).toContain('"app"');
    expect(err.message).toContain('"sick"');
    expect(err.message).toMatch(/unhealthy/);
    expect(err.message).toContain(`probe-refused-${marker}`);
    expect(err.message).toContain(marker);
    expect(err.report).toMatchObject({ service: 'sick', state: 'unhealthy', probeOutput: `probe-refused-${marker}` });
    expect(err.report.logs).toContain(marker);
    expect(err.exitCode).toBe(5);
    await expectNeverStarted(project, 'app');
  });

  it('a dependency that crashes before becoming healthy: rejects with its exit code and output', async () => {
    const { project, dir } = await stack('crash-healthy', `
name: NAME
services:
  crash:
    image: ${IMAGE}
    command: ["sh", "-c", "echo boom; exit 3"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      retries: 2
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      crash: { condition: service_healthy }
`);
    const err = await upRejects(dir);
    expect(err.message).toContain('"app"');
    expect(err.message).toContain('"crash"');
    expect(err.message).toContain('exited with code 3');
    expect(err.message).toContain('boom');
    expect(err.report).toMatchObject({ service: 'crash', state: 'exited', exitCode: 3 });
    await expectNeverStarted(project, 'app');
  });

  it('a job that exits non-zero, gated by service_completed_successfully next to a service_started gate', async () => {
    const { project, dir } = await stack('crash-job', `
name: NAME
services:
  side:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
  job:
    image: ${IMAGE}
    command: ["sh", "-c", "echo boom; exit 3"]
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      side: { condition: service_started }
      job: { condition: service_completed_successfully }
`);
    const err = await upRejects(dir);
    expect(err.message).toContain('"app"');
    expect(err.message).toContain('"job"');
    expect(err.message).toContain('exited with code 3');
    expect(err.message).toContain('boom');
    await expectNeverStarted(project, 'app');
    // The gate that was met did its part: side runs.
    expect((await containerOf(project, 'side')).State.Status).toBe('running');
  });

  it('required: false on a failing dependency: up succeeds, warns, and the dependent runs', async () => {
    const { project, dir } = await stack('optional', `
name: NAME
services:
  job:
    image: ${IMAGE}
    command: ["sh", "-c", "echo boom; exit 3"]
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      job: { condition: service_completed_successfully, required: false }
`);
    const progress = progressLog();
    const result = await up(engine, await load(dir), { onProgress: progress.listener });
    const app = await inspect(result.containers.app![0]!.id);
    expect(app.State.Status).toBe('running');
    expect((await containerOf(project, 'job')).State.ExitCode).toBe(3);
    const warning = progress.events.find((e) => e.state === 'warning' && e.service === 'app');
    expect(warning?.message).toMatch(/optional dependency "job" exited with code 3/);
  });

  it('`up --wait` with a crashing service: exit 5, the report with its log lines on stderr', async () => {
    const marker = `wait-crash-${rand()}`;
    const { project, dir } = await stack('wait-crash', `
name: NAME
services:
  fine:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
  broken:
    image: ${IMAGE}
    command: ["sh", "-c", "echo ${marker}-line1; echo ${marker}-line2 >&2; exit 4"]
    # With a healthcheck, --wait needs a healthy report that this container can never give,
    # so its exit is always seen. The next test covers a service without one.
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
`);
    const r = await tug(['up', '--wait', '--progress', 'quiet'], dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('"broken"');
    expect(r.stderr).toContain('exited with code 4');
    expect(r.stderr).toContain(`${marker}-line1`);
    expect(r.stderr).toContain(`${marker}-line2`);
    expect(r.stderr).not.toMatch(/internal error/);
    const [broken] = await listContainers(engine, { project, service: 'broken', all: true });
    expect(broken?.labels[LABEL.project]).toBe(project);
  });

  it('`up --wait` with a service that has no healthcheck and crashes right after starting: exit 5', async () => {
    const marker = `no-probe-${rand()}`;
    const { dir } = await stack('wait-crash-noprobe', `
name: NAME
services:
  broken:
    image: ${IMAGE}
    command: ["sh", "-c", "echo ${marker}; exit 4"]
`);
    const r = await tug(['up', '--wait', '--progress', 'quiet'], dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('exited with code 4');
    expect(r.stderr).toContain(marker);
  });

  it('`up --wait` with a one-shot service that exits 0 and no healthcheck counts it as done', async () => {
    const { dir } = await stack('wait-oneshot', `
name: NAME
services:
  once:
    image: ${IMAGE}
    command: ["sh", "-c", "echo done"]
  server:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
`);
    const r = await tug(['up', '--wait', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);
    // Neither has a healthcheck, so neither is called healthy: one finished, one runs.
    expect(r.stderr).toMatch(/ service once ready \([\d.]+s\): completed$/m);
    expect(r.stderr).toMatch(/ service server ready \([\d.]+s\): running$/m);
    expect(r.stderr).not.toMatch(/ service (once|server) healthy/);
  });

  it('`up --wait --wait-timeout 2` on a service that never becomes healthy: exit 5, "within 2s"', async () => {
    const { dir } = await stack('wait-timeout', `
name: NAME
services:
  stuck:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    healthcheck:
      # Each probe outlasts the test, so the container stays "starting" forever.
      test: ["CMD", "sleep", "60"]
      interval: 1s
      timeout: 60s
      retries: 3
`);
    const r = await tug(['up', '--wait', '--wait-timeout', '2', '--progress', 'quiet'], dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('"stuck"');
    expect(r.stderr).toContain('within 2s');
    // The timeout is what ended it, not the probe: well before the probe's own 60 s.
    expect(r.ms).toBeLessThan(30_000);
  });
});
