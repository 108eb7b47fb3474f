/**
 * `config`/`validate` report every problem of a file in one run: schema problems, values with
 * a did-you-mean, and the semantic checks (references between services and resources), each
 * at file:line:col. Before, the loader stopped after the schema problems and again after the
 * value problems, so a user fixed a file in rounds.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackInvalidError, type Diagnostic } from '../../src/errors.js';
import { loadProject } from '../../src/stack/load.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();

async function problemsOf(files: Record<string, string>): Promise<{ list: Diagnostic[]; file: string }> {
  const dir = makeDir(files);
  const err = await loadProject({ cwd: dir, env: {} }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StackInvalidError);
  return { list: (err as StackInvalidError).problems, file: path.join(dir, 'compose.yaml') };
}

/** code, line, col and the path of each problem, in a stable order. */
function summary(list: Diagnostic[]): [string, number | undefined, number | undefined, string | undefined][] {
  return list.map((d): [string, number | undefined, number | undefined, string | undefined] => [d.code, d.location?.line, d.location?.col, d.path])
    .sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0) || a[0].localeCompare(b[0]));
}

const FILE = `services:
  web:
    image: busybox
    restart: alwayz
    depends_on: [dbb]
    networks: [front]
    volumes: [data:/data]
    secrets: [token]
    mem_limit: lots
    imgae: busybox
  db:
    image: busybox
    pull_policy: allways
`;

describe('all the problems of a file in one run', () => {
  it('a schema error, enum typos with did-you-mean, and the semantic errors, together, each at its line', async () => {
    const { list, file } = await problemsOf({ 'compose.yaml': FILE });
    expect(summary(list)).toEqual([
      ['invalid_restart', 4, 5, 'services.web.restart'],
      ['unknown_service', 5, 18, 'services.web.depends_on.dbb'],
      ['undefined_network', 6, 16, 'services.web.networks.front'],
      ['undefined_volume', 7, 15, 'services.web.volumes[0]'],
      ['undefined_secret', 8, 15, 'services.web.secrets[0]'],
      ['invalid_byte_size', 9, 5, 'services.web.mem_limit'],
      ['unknown_key', 10, 5, 'services.web.imgae'],
      ['invalid_value', 13, 5, 'services.db.pull_policy'],
    ]);
    for (const d of list) expect(d.location?.file).toBe(file);
    const byCode = (code: string) => list.find((d) => d.code === code)!.message;
    expect(byCode('invalid_restart')).toContain('did you mean "always"?');
    expect(byCode('invalid_value')).toContain('did you mean "always"?');
    expect(byCode('unknown_service')).toContain('did you mean "db"?');
    expect(byCode('unknown_key')).toContain('did you mean "image"?');
  });

  it('a value pruned for its schema error is not reported again by a later stage', async () => {
    // web's misspelt `imgae` is the only problem: no second "has neither an image nor a build".
    const { list } = await problemsOf({ 'compose.yaml': 'services:\n  web:\n    imgae: busybox\n' });
    expect(summary(list)).toEqual([['unknown_key', 3, 5, 'services.web.imgae']]);
    // A network invalid as a whole is still declared: the service using it is not told otherwise.
    const net = await problemsOf({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    networks: [back]\n    depends_on: [nope]\nnetworks:\n  back: 5\n' });
    expect(summary(net.list)).toEqual([
      ['unknown_service', 5, 18, 'services.web.depends_on.nope'],
      ['invalid_type', 7, 3, 'networks.back'],
    ]);
  });

  it('a list with an invalid item is left out whole, and the rest of the file is still checked', async () => {
    const { list } = await problemsOf({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    ports: ["80:80", {target: abc}]\n    depends_on: [nope]\n' });
    expect(list.map((d) => d.code).sort()).toEqual(['invalid_port', 'unknown_service']);
  });

  it('problems in an override file and in the base are reported together too', async () => {
    const { list } = await problemsOf({
      'compose.yaml': 'services:\n  web:\n    image: busybox\n    restart: nope\n',
      'compose.override.yaml': 'services:\n  web:\n    cpus: many\n    depends_on: [ghost]\n',
    });
    expect(list.map((d) => d.code).sort()).toEqual(['invalid_cpus', 'invalid_restart', 'unknown_service']);
  });

  it('stops after the schema problems only where the rest cannot be read: an invalid services section', async () => {
    const { list } = await problemsOf({ 'compose.yaml': 'services: [web]\nnetworks:\n  n: 5\n' });
    expect(list.map((d) => d.code).sort()).toEqual(['invalid_type', 'invalid_type']);
  });
});
