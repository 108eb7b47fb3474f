/**
 * Three `tug up -d` of one project at once, each naming the same engine differently
 * (`unix:///var/run/docker.sock`, `unix:///run/docker.sock` or a symlink to the socket) and
 * each with its own XDG_RUNTIME_DIR and TMPDIR: one lock must still serialise them (it is
 * keyed by the engine's ID, in a directory none of those variables moves), and every round
 * must end with one container per service, one network of each name and every command
 * having succeeded.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { DEFAULT_SOCKET } from '../../src/engine/target.js';
import { dockerEngine } from '../../src/engine/docker/engine.js';
import { up } from '../../src/run/up.js';
import { IMAGE, cleanupProject, docker, e2eScope, load, tug } from './helpers.js';

const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK);
    spellings = socketSpellings();
  },
  afterCleanup: async () => {
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  },
});
const { engine } = scope;
const project = scope.project('race');
const ROUNDS = Number(process.env.TUG_RACE_ROUNDS ?? 10);

const STACK = `
name: ${project}
services:
  db:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    volumes: [data:/data]
    networks: [default, back]
  api:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    depends_on: [db]
    networks: [default, back]
  web:
    image: ${IMAGE}
    command: ["sleep", "300"]
    init: true
    depends_on: [api]
networks:
  back: {}
volumes:
  data: {}
`;

let dir: string;
const scratch: string[] = [];
let spellings: string[] = [];

/** The socket under three names: the two system paths where both exist, else a symlink made here. */
function socketSpellings(): string[] {
  const socket = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : DEFAULT_SOCKET;
  const names = [`unix://${socket}`];
  for (const p of ['/run/docker.sock', '/var/run/docker.sock']) {
    if (p !== socket && existsSync(p) && realpathSync(p) === realpathSync(socket)) names.push(`unix://${p}`);
  }
  const d = mkdtempSync(join(tmpdir(), 'tug-race-sock-'));
  scratch.push(d);
  symlinkSync(socket, join(d, 'docker.sock'));
  names.push(`unix://${join(d, 'docker.sock')}`);
  return names.slice(0, 3);
}

async function count(kind: 'ps' | 'network', filters: string[]): Promise<string[]> {
  const args = kind === 'ps' ? ['ps', '-a', '--format', '{{.Names}}'] : ['network', 'ls', '--format', '{{.Name}}'];
  const r = await docker([...args, ...filters.flatMap((f) => ['--filter', f])]);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('concurrent ups of one project, the engine spelled three ways', () => {
  it(`converges in every one of ${ROUNDS} rounds`, async () => {
    expect(spellings.length).toBe(3);
    const failures: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const runs = await Promise.all(spellings.map((host, i) => {
        const runtime = mkdtempSync(join(tmpdir(), `tug-race-xdg${i}-`));
        scratch.push(runtime);
        return tug(['up', '-d', '--progress', 'quiet'], dir, { timeoutMs: 120_000, env: { DOCKER_HOST: host, XDG_RUNTIME_DIR: runtime, TMPDIR: runtime } });
      }));
      const problems: string[] = [];
      runs.forEach((r, i) => {
        if (r.code !== 0) problems.push(`up via ${spellings[i]} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      });
      const containers = await count('ps', [`label=${LABEL.project}=${project}`]);
      for (const s of ['db', 'api', 'web']) {
        const mine = containers.filter((n) => n === `${project}-${s}-1` || n.endsWith(`_${project}-${s}-1`));
        if (mine.length !== 1 || !containers.includes(`${project}-${s}-1`)) problems.push(`service ${s}: containers ${JSON.stringify(containers)}`);
      }
      if (containers.length !== 3) problems.push(`containers: ${JSON.stringify(containers)}`);
      for (const n of ['default', 'back']) {
        const named = (await count('network', [`name=${project}_${n}`])).filter((x) => x === `${project}_${n}`);
        if (named.length !== 1) problems.push(`network ${project}_${n}: ${named.length} of that name`);
      }
      const running = (await docker(['ps', '--filter', `label=${LABEL.project}=${project}`, '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean);
      if (running.length !== 3) problems.push(`running: ${JSON.stringify(running)}`);
      console.log(`[race] round ${round}: ${problems.length ? `FAILED\n  ${problems.join('\n  ')}` : 'converged'} (${runs.map((r) => r.ms).join('/')} ms)`);
      if (problems.length) failures.push(`round ${round}:\n  ${problems.join('\n  ')}`);
      await cleanupProject(engine, project);
      // A duplicate network is not labelled-away by cleanup when it is ambiguous by name: remove by id.
      for (const id of (await docker(['network', 'ls', '-q', '--filter', `name=${project}_`])).stdout.split('\n').filter(Boolean)) {
        await docker(['network', 'rm', id], { allowFail: true });
      }
    }
    console.log(`[race] ${ROUNDS - failures.length}/${ROUNDS} rounds converged`);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 600_000);

  // Without the lock (as two machines driving one remote engine would be): the engine-side
  // create-or-adopt must make three concurrent ups converge by themselves. Docker's duplicate
  // check for networks is not atomic, so this is where two networks of one name could appear.
  it('without any lock, three concurrent ups still converge (create-or-adopt)', async () => {
    const p = await load(dir);
    const failures: string[] = [];
    const rounds = Math.max(3, Math.ceil(ROUNDS / 2));
    for (let round = 1; round <= rounds; round++) {
      const results = await Promise.allSettled(spellings.map((host) => up(dockerEngine({ host, source: 'env' }), p, { version: 'race' })));
      const problems = results.flatMap((r, i) => (r.status === 'rejected' ? [`up via ${spellings[i]}: ${String(r.reason)}`] : []));
      const containers = await count('ps', [`label=${LABEL.project}=${project}`]);
      if (JSON.stringify(containers) !== JSON.stringify(['db', 'api', 'web'].map((s) => `${project}-${s}-1`).sort())) problems.push(`containers: ${JSON.stringify(containers)}`);
      for (const n of ['default', 'back']) {
        const named = (await count('network', [`name=${project}_${n}`])).filter((x) => x === `${project}_${n}`);
        if (named.length !== 1) problems.push(`network ${project}_${n}: ${named.length} of that name`);
      }
      const running = (await docker(['ps', '--filter', `label=${LABEL.project}=${project}`, '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean);
      if (running.length !== 3) problems.push(`running: ${JSON.stringify(running)}`);
      console.log(`[race/no lock] round ${round}: ${problems.length ? `FAILED\n  ${problems.join('\n  ')}` : 'converged'}`);
      if (problems.length) failures.push(`round ${round}:\n  ${problems.join('\n  ')}`);
      await cleanupProject(engine, project);
      for (const id of (await docker(['network', 'ls', '-q', '--filter', `name=${project}_`])).stdout.split('\n').filter(Boolean)) {
        await docker(['network', 'rm', id], { allowFail: true });
      }
    }
    console.log(`[race/no lock] ${rounds - failures.length}/${rounds} rounds converged`);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 600_000);
});
