/**
 * The programmatic API on the real engine, used as a test harness would: startStack waits
 * for health, logs reads what the services printed (all at once, and followed), ps lists,
 * stop takes everything down. Imports come from the package entry point only.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logs, ps, startStack, type ProgressEvent, type ProjectLogLine, type StartedStack } from '../../src/index.js';
import { IMAGE, e2eScope, rand } from './helpers.js';
import { listContainers, listNetworks, listVolumes } from '../../src/run/observe.js';

// The API only: no CLI to build.
const scope = e2eScope({ cli: false });
const { engine } = scope;
const marker = `api-says-${rand()}`;

async function files(yaml: string): Promise<string[]> {
  return [join(await scope.stack(yaml), 'compose.yaml')];
}

describe('startStack, logs, ps, stop', () => {
  it('starts a stack healthy, reads its logs, lists it, and takes it all down', async () => {
    const projectName = scope.project('api');
    const progress: ProgressEvent[] = [];
    const stack: StartedStack = await startStack({
      projectName,
      onProgress: (e) => progress.push(e),
      files: await files(`
services:
  web:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "echo ${marker}-out; echo ${marker}-err >&2; mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
    volumes: ["data:/data"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 500ms
      timeout: 2s
      retries: 20
  worker:
    image: ${IMAGE}
    init: true
    command: ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo tick-$$i; sleep 0.2; done"]
    depends_on:
      web:
        condition: service_healthy
volumes:
  data: {}
`),
    });
    expect(stack.project.name).toBe(projectName);
    expect(progress.some((e) => e.action === 'healthy' && e.state === 'done' && e.service === 'web')).toBe(true);

    const listed = await ps(stack.engine, projectName);
    expect(listed.map((c) => [c.service, c.state, c.health])).toEqual([['web', 'running', 'healthy'], ['worker', 'running', 'none']]);

    const web: ProjectLogLine[] = [];
    for await (const line of logs(stack.engine, projectName, { services: ['web'] })) web.push(line);
    expect(web).toEqual(expect.arrayContaining([
      { service: 'web', container: `${projectName}-web-1`, stream: 'stdout', text: `${marker}-out` },
      { service: 'web', container: `${projectName}-web-1`, stream: 'stderr', text: `${marker}-err` },
    ]));

    // Followed: new lines keep coming until the consumer stops reading, which ends the streams.
    const ticks: string[] = [];
    const t0 = Date.now();
    for await (const line of logs(stack.engine, projectName, { tail: 0, follow: true })) {
      if (line.service === 'worker') ticks.push(line.text);
      if (ticks.length === 3) break;
    }
    expect(ticks.every((t) => /^tick-\d+$/.test(t))).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);

    // A signal ends a follow that nothing else would end.
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 500);
    let n = 0;
    for await (const _ of logs(stack.engine, projectName, { services: ['web'], tail: 0, follow: true, signal: ctl.signal })) n++;
    expect(n).toBe(0);

    await stack.stop();
    await stack.stop();
    expect(await ps(engine, projectName, { all: true })).toEqual([]);
    expect(await listNetworks(engine, { project: projectName })).toEqual([]);
    expect(await listVolumes(engine, { project: projectName })).toEqual([]);
  });

  it('a start that fails rejects with the failure and leaves nothing behind', async () => {
    const projectName = scope.project('apifail');
    const err = await startStack({
      projectName,
      files: await files(`
services:
  sick:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 500ms
      retries: 1
`),
    }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 5 });
    expect(await listContainers(engine, { project: projectName, all: true })).toEqual([]);
    expect(await listNetworks(engine, { project: projectName })).toEqual([]);
  });
});
