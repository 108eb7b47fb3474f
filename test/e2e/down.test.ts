/**
 * `down` stops dependents before their dependencies and independent services concurrently,
 * then removes the project's containers and networks, and its volumes only with -v. Order and
 * concurrency are read from the engine's event timestamps. Anything without the project's
 * label (a container started by hand, another project's resources) must survive.
 */
import { describe, expect, it } from 'vitest';
import { type EngineEvent } from '../../src/engine/engine.js';
import { LABEL } from '../../src/labels.js';
import { down } from '../../src/run/down.js';
import { up } from '../../src/run/up.js';
import { EventLog, IMAGE, docker, e2eScope, inspect, load, ms, rand, tug } from './helpers.js';
import { listContainers, listNetworks } from '../../src/run/observe.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
  },
  beforeCleanup: async () => {
    await docker(['rm', '-f', foreign], { allowFail: true });
  },
});
const { engine } = scope;
const project = scope.project('down');
const other = scope.project('down-other');
const foreign = `foreign-${rand()}`;

// front → mid → back stop fast (init forwards SIGTERM). The two stubborn services ignore
// SIGTERM (sh as PID 1, no init), so each takes its whole 2 s grace period to stop: run one
// after the other they would take 4 s, side by side 2 s.
const STACK = `
name: ${project}
services:
  back:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    volumes:
      - data:/data
      - /cache
  mid:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      back: { condition: service_started }
  front:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    depends_on:
      mid: { condition: service_started }
  stubborn1:
    image: ${IMAGE}
    init: false
    command: ["sh", "-c", "trap '' TERM; sleep 100"]
    stop_grace_period: 2s
  stubborn2:
    image: ${IMAGE}
    init: false
    command: ["sh", "-c", "trap '' TERM; sleep 100"]
    stop_grace_period: 2s
volumes:
  data: {}
`;

let dir: string;

async function projectVolumes(name: string): Promise<string[]> {
  const r = await docker(['volume', 'ls', '-q', '--filter', `label=${LABEL.project}=${name}`]);
  return r.stdout.split('\n').filter(Boolean);
}

describe('down on the real engine', () => {
  it('stops in reverse dependency order, independent services concurrently, and keeps named volumes', async () => {
    const p = await load(dir);
    const first = await up(engine, p, {});
    const cache = (await inspect(first.containers.back![0]!.id)).Mounts
      .find((m: { Destination: string }) => m.Destination === '/cache').Name as string;
    const log = await EventLog.record(engine, project);
    let result;
    try {
      result = await down(engine, project, p, {});
      await log.flush();
    } finally {
      await log.stop();
    }

    // A dependent is fully stopped (its `stop` event, sent before the engine answered tug's
    // stop call) before its dependency is even signalled (`kill`): the order is causal.
    for (const [dependent, dependency] of [['front', 'mid'], ['mid', 'back']] as const) {
      expect(log.first(dependent, 'die'), log.describe()).toBeLessThan(log.first(dependency, 'die'));
      expect(log.first(dependent, 'stop'), log.describe()).toBeLessThan(log.first(dependency, 'kill'));
    }

    // The stubborn pair: each was signalled before the other died, so their stops overlapped.
    const term = (s: string) => log.first(s, 'kill', (e: EngineEvent) => e.attributes.signal === '15');
    const died = (s: string) => log.first(s, 'die');
    const [t1, t2, d1, d2] = [term('stubborn1'), term('stubborn2'), died('stubborn1'), died('stubborn2')];
    expect(t1, log.describe()).toBeLessThan(d2);
    expect(t2, log.describe()).toBeLessThan(d1);
    // Each really waited out its grace period (SIGTERM was ignored, SIGKILL ended it)...
    for (const [s, t, d] of [['stubborn1', t1, d1], ['stubborn2', t2, d2]] as const) {
      expect(ms(d - t), s).toBeGreaterThanOrEqual(1900);
      expect(log.of(s, 'kill').map((e) => e.attributes.signal), s).toEqual(['15', '9']);
    }
    // ...so the pair together took about one grace period, not two.
    const span = ms(Math.max(d1, d2) - Math.min(t1, t2));
    console.log(`[down] stubborn pair stopped within ${span.toFixed(0)} ms (grace 2 s each; sequential would be ≥4000 ms)`);
    expect(span).toBeLessThan(4000);

    expect(await listContainers(engine, { project, all: true })).toEqual([]);
    expect(await listNetworks(engine, { project })).toEqual([]);
    expect(result.removedNetworks).toEqual([`${project}_default`]);
    expect(result.removedVolumes).toEqual([]);
    // Without -v every volume stays, the anonymous one too: labelled as the project's, so that
    // a later down -v finds it (it used to be left unlabelled, found by nothing).
    expect((await projectVolumes(project)).sort()).toEqual([cache, `${project}_data`].sort());
  });

  it('`tug down -v` removes the project\'s volumes and nothing that is not the project\'s', async () => {
    // Things down must leave alone: a container made by hand, and another project's
    // container and volume (named like this project's would be).
    await docker(['run', '-d', '--name', foreign, IMAGE, 'sleep', '300']);
    await docker(['run', '-d', '--name', `${other}-back-1`, '--label', `${LABEL.project}=${other}`, '--label', `${LABEL.service}=back`,
      '--label', `${LABEL.number}=1`, '--label', `${LABEL.oneoff}=False`, IMAGE, 'sleep', '300']);
    await docker(['volume', 'create', '--label', `${LABEL.project}=${other}`, `${other}_data`]);

    const started = await up(engine, await load(dir), {});
    const anon = (await inspect(started.containers.back![0]!.id)).Mounts
      .find((m: { Destination: string }) => m.Destination === '/cache').Name as string;

    const r = await tug(['down', '-v', '--progress', 'plain'], dir);
    expect(r.code, r.stderr).toBe(0);

    expect(await listContainers(engine, { project, all: true })).toEqual([]);
    expect(await listNetworks(engine, { project })).toEqual([]);
    expect(await projectVolumes(project)).toEqual([]);
    const volumes = (await docker(['volume', 'ls', '-q'])).stdout.split('\n');
    expect(volumes).not.toContain(`${project}_data`);
    expect(volumes).not.toContain(anon);

    expect((await inspect(foreign)).State.Status).toBe('running');
    expect((await inspect(`${other}-back-1`)).State.Status).toBe('running');
    expect(await projectVolumes(other)).toEqual([`${other}_data`]);
  });
});
