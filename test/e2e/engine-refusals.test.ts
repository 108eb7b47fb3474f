/**
 * What the real engine refuses, as tug reports it: exit 5 (not 1, "a bug in tug"), the
 * refusal's own code and a hint naming what is in the way: a host port published by a
 * container made by hand, a container name taken by one, and a foreign container attached to
 * the project's network on `down` (never disconnected by tug).
 */
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { IMAGE, cleanupProject, docker, e2eScope, rand, tug } from './helpers.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
  },
  beforeCleanup: async () => {
    await docker(['rm', '-f', squatter, visitor, `${project}-db-1`], { allowFail: true });
  },
});
const { engine } = scope;
const project = scope.project('refusals');
const squatter = `squatter-${rand()}`;
const visitor = `visitor-${rand()}`;
const port = 20000 + Math.floor(Math.random() * 20000);

const STACK = `
name: ${project}
services:
  web:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    ports: ["${port}:80"]
  db:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
`;

let dir: string;

async function run(args: string[]) {
  return tug([...args, '--progress', 'quiet'], dir, { timeoutMs: 120_000 });
}

describe('engine refusals on the real engine', () => {
  it('a host port taken by a container made by hand: exit 5, port_allocated, naming that container', async () => {
    await docker(['run', '-d', '--name', squatter, '-p', `${port}:80`, IMAGE, 'sleep', '300']);
    try {
      const r = await run(['up', '-d']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/port is already allocated/);
      expect(r.stderr).toMatch(new RegExp(`hint: host port ${port} is published by ${squatter}`));
    } finally {
      await docker(['rm', '-f', squatter]);
      await cleanupProject(engine, project);
    }
  });

  it('a container name taken by a container tug did not make: exit 5, name_conflict, naming it', async () => {
    await docker(['create', '--name', `${project}-db-1`, IMAGE, 'true']);
    try {
      const r = await run(['up', '-d', 'db']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(new RegExp(`the name is taken by container ${project}-db-1 \\([0-9a-f]{12}, image ${IMAGE}\\), which tug did not make`));
      expect(r.stderr).toMatch(new RegExp(`hint: .*docker rm -f ${project}-db-1`));
    } finally {
      await docker(['rm', '-f', `${project}-db-1`]);
    }
  });

  it('down leaves a network a foreign container is attached to, never disconnecting it, and says so (exit 5)', async () => {
    expect((await run(['up', '-d', 'db'])).code).toBe(0);
    await docker(['run', '-d', '--name', visitor, '--network', `${project}_default`, IMAGE, 'sleep', '300']);
    const r = await run(['down']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`network ${project}_default: still attached: ${visitor} \\([0-9a-f]{12}\\), not of project ${project}`));
    expect(r.stderr).toMatch(/tug never disconnects or removes another's container/);
    // The visitor runs on, still attached; the project's own containers are gone.
    const v = JSON.parse((await docker(['inspect', visitor])).stdout)[0];
    expect(v.State.Running).toBe(true);
    expect(Object.keys(v.NetworkSettings.Networks)).toEqual([`${project}_default`]);
    expect((await docker(['ps', '-aq', '--filter', `label=${LABEL.project}=${project}`])).stdout.trim()).toBe('');
    // Once the visitor has left, down finishes the job.
    await docker(['rm', '-f', visitor]);
    const again = await run(['down']);
    expect(again.code, again.stderr).toBe(0);
    expect((await docker(['network', 'ls', '-q', '--filter', `name=${project}_default`])).stdout.trim()).toBe('');
  });
});
