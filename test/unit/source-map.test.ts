/** Refusals found after loading (while compiling container requests) still point at a line. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/errors.js';
import { specCompiler } from '../../src/run/compile.js';
import { loadProject } from '../../src/stack/load.js';
import { formatPath } from '../../src/stack/doc-path.js';
import { parsePath, sourceOf } from '../../src/stack/source-map.js';
import { tempDirs } from '../support.js';

const dirs = tempDirs();

describe('parsePath', () => {
  it('reads back every path formatPath writes', () => {
    const segment = fc.oneof(fc.string({ minLength: 1 }), fc.nat(1000));
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }).filter((p) => typeof p[0] === 'string'), (path) => {
      expect(parsePath(formatPath(path))).toEqual(path);
    }), { numRuns: 500 });
  });

  it('refuses text formatPath cannot have written', () => {
    expect(parsePath('services..web')).toBeUndefined();
    expect(parsePath('services[')).toBeUndefined();
    expect(parsePath('a b')).toBeUndefined();
  });
});

describe('sourceOf', () => {
  it('finds the line of a refusal that compiling a container request raises', async () => {
    const dir = dirs({
      'compose.yaml': [
        'services:',
        '  web.v2:',
        '    image: busybox',
        '    healthcheck:',
        '      test: ["CMD", "true"]',
        '      interval: 5s',
        '    external_links:',
        '      - other:db',
      ].join('\n'),
    });
    const project = await loadProject({ cwd: dir, env: {} });
    const compile = specCompiler(project, { apiVersion: '1.41' });
    const err = (() => {
      try {
        compile.spec('web.v2', 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TugError);
    expect((err as TugError).location).toMatchObject({ file: `${dir}/compose.yaml`, line: 7, col: 5 });
    expect(sourceOf(project, 'services["web.v2"].healthcheck.interval')).toMatchObject({ line: 6 });
  });

  it('knows nothing of a project it did not load', () => {
    const project = { name: 'x', services: {} } as unknown as Parameters<typeof sourceOf>[0];
    expect(sourceOf(project, 'services.web')).toBeUndefined();
  });
});
