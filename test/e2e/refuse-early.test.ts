/**
 * A stack tug cannot run is refused before anything on the engine changes: every container
 * request is compiled while planning, so a key tug cannot honour on the third of five
 * services leaves no network, volume or container behind (not even for the first two).
 */
import { describe, expect, it } from 'vitest';
import { listContainers, listNetworks, listVolumes } from '../../src/run/observe.js';
import { IMAGE, e2eScope, tug } from './helpers.js';

const scope = e2eScope();
const { engine } = scope;

/** Five services, the third of which asks for something tug refuses (legacy external links). */
function fiveServices(project: string): string {
  const svc = (name: string, extra = '') => `
  ${name}:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    volumes: ["data-${name}:/data"]${extra}`;
  return `name: ${project}
services:${svc('one')}${svc('two', `
    depends_on: [one]`)}${svc('three', `
    depends_on: [two]
    external_links: ["some-other-container:db"]`)}${svc('four', `
    depends_on: [three]`)}${svc('five')}
volumes:
  data-one: {}
  data-two: {}
  data-three: {}
  data-four: {}
  data-five: {}
`;
}

async function nothingOf(project: string): Promise<void> {
  expect(await listContainers(engine, { project, all: true }), 'containers').toEqual([]);
  expect(await listNetworks(engine, { project }), 'networks').toEqual([]);
  expect(await listVolumes(engine, { project }), 'volumes').toEqual([]);
  // By name too, in case something was made without the project's labels.
  expect(await listNetworks(engine, { name: `${project}_default` }), 'the default network by name').toEqual([]);
  expect(await listVolumes(engine, { name: `${project}_data-one` }), 'a volume by name').toEqual([]);
}

describe('refusals come before any change', () => {
  it('up: a key tug cannot honour on the third of five services exits 3 naming it, and the engine shows nothing of the project', async () => {
    const project = scope.project('refuse-up');
    const yaml = fiveServices(project);
    const dir = await scope.stack(yaml);
    const line = yaml.split('\n').findIndex((l) => l.includes('external_links')) + 1;
    // The file itself is valid: config accepts it, only running it is refused.
    expect((await tug(['config', '-q'], dir)).code).toBe(0);
    const r = await tug(['up', '-d'], dir);
    expect(r.code, r.stderr).toBe(3);
    // At the line it was written on, though the refusal comes from compiling, long after loading.
    expect(r.stderr).toContain(`compose.yaml:${line}:5: service "three": external_links is not supported`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    await nothingOf(project);
  });

  it('run: a one-off of a service tug cannot run is refused before its dependencies are brought up', async () => {
    const project = scope.project('refuse-run');
    const dir = await scope.stack(fiveServices(project));
    const r = await tug(['run', '--rm', 'three', 'true'], dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/external_links/);
    await nothingOf(project);
  });
});
