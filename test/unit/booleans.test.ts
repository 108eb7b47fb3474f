/**
 * One boolean parser for every boolean key of a stack file: the spellings it takes, and the
 * keys that used to take a looser set (`external`, `env_file[].required`).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackInvalidError, type Diagnostic } from '../../src/errors.js';
import { loadProject } from '../../src/stack/load.js';
import type { Project } from '../../src/stack/model.js';
import { parseBoolean } from '../../src/stack/units.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();

async function outcome(files: Record<string, string>): Promise<{ project?: Project; problems: Diagnostic[]; dir: string }> {
  const dir = makeDir(files);
  try {
    return { project: await loadProject({ cwd: dir, env: {} }), problems: [], dir };
  } catch (err) {
    if (!(err instanceof StackInvalidError)) throw err;
    return { problems: err.problems, dir };
  }
}

describe('parseBoolean', () => {
  it('takes YAML booleans', () => {
    expect(parseBoolean(true)).toBe(true);
    expect(parseBoolean(false)).toBe(false);
  });

  it("takes Compose's spellings in any case", () => {
    for (const s of ['true', 'True', 'TRUE', 'yes', 'Yes', 'on', 'ON', 'y', 'Y']) expect(parseBoolean(s), s).toBe(true);
    for (const s of ['false', 'False', 'no', 'NO', 'off', 'Off', 'n', 'N']) expect(parseBoolean(s), s).toBe(false);
  });

  it("keeps tug's own 1, 0 and the empty string", () => {
    expect(parseBoolean('1')).toBe(true);
    expect(parseBoolean(1)).toBe(true);
    expect(parseBoolean('0')).toBe(false);
    expect(parseBoolean(0)).toBe(false);
    expect(parseBoolean('')).toBe(false);
  });

  it('rejects anything else', () => {
    for (const v of ['maybe', 't', 'f', '2', ' true', 'yes!', 'enabled', 2, -1, null, undefined, [], {}, ['true']]) {
      expect(parseBoolean(v), JSON.stringify(v)).toBeUndefined();
    }
  });
});

describe('external', () => {
  const stack = (external: string) => ({
    'compose.yaml': `services:\n  web:\n    image: x\n    networks: [net]\n    volumes: [data:/d]\nnetworks:\n  net:\n    external: ${external}\nvolumes:\n  data:\n    external: ${external}\nsecrets:\n  s:\n    external: ${external}\n`,
  });

  it('takes every spelling of true, as Compose does ("on" and "y" included)', async () => {
    for (const v of ['true', '"true"', '"yes"', '"on"', '"Y"', '"1"']) {
      const { project } = await outcome(stack(v));
      expect(project, v).toBeDefined();
      expect(project!.networks.net, v).toEqual({ name: 'net', external: true });
      expect(project!.volumes.data, v).toEqual({ name: 'data', external: true });
      expect(project!.secrets.s, v).toEqual({ name: 's', external: true });
    }
  });

  it('false spellings keep the resource the project\'s own', async () => {
    for (const v of ['false', '"no"', '"off"', '"0"', '""']) {
      const { project } = await outcome({
        'compose.yaml': `services:\n  web:\n    image: x\n    networks: [net]\nnetworks:\n  net:\n    external: ${v}\n`,
      });
      expect(project!.networks.net, v).toEqual({ name: `${project!.name}_net`, external: false });
    }
  });

  it('another string is an invalid boolean at its line', async () => {
    const { problems, dir } = await outcome(stack('"maybe"'));
    expect(problems.map((p) => [p.code, p.message, p.location?.line])).toEqual([
      ['invalid_boolean', 'networks.net.external: invalid value "maybe": expected true or false', 8],
      ['invalid_boolean', 'volumes.data.external: invalid value "maybe": expected true or false', 11],
      ['invalid_boolean', 'secrets.s.external: invalid value "maybe": expected true or false', 14],
      // Not external, then: a secret needs a source.
      ['missing_source', 'secret "s" needs one of file, environment, content or external', 13],
    ]);
    expect(problems[0]!.location?.file).toBe(path.join(dir, 'compose.yaml'));
  });

  it('the legacy {name} form is still external', async () => {
    const { project } = await outcome({
      'compose.yaml': 'services:\n  web:\n    image: x\n    networks: [net]\nnetworks:\n  net:\n    external:\n      name: shared\n',
    });
    expect(project!.networks.net).toEqual({ name: 'shared', external: true });
  });
});

describe('env_file required', () => {
  const stack = (required: string) => ({
    'compose.yaml': `services:\n  web:\n    image: x\n    env_file:\n      - path: missing.env\n        required: ${required}\n`,
  });

  it('true spellings make a missing file an error', async () => {
    for (const v of ['true', '"yes"', '"on"', '"y"', '"1"']) {
      const { problems } = await outcome(stack(v));
      expect(problems.map((p) => p.code), v).toEqual(['env_file_not_found']);
    }
  });

  it('false spellings let it be missing', async () => {
    for (const v of ['false', '"no"', '"off"', '"n"', '"0"', '""']) {
      const { project } = await outcome(stack(v));
      expect(project?.services.web!.environment, v).toEqual({});
    }
  });

  it('another string is an invalid boolean, whether or not the file is there', async () => {
    const missing = await outcome(stack('"maybe"'));
    expect(missing.problems.map((p) => [p.code, p.message, p.location?.line])).toEqual([
      ['invalid_boolean', 'services.web.env_file[0].required: invalid value "maybe": expected true or false', 6],
    ]);
    const present = await outcome({
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file:\n      - path: here.env\n        required: sometimes\n',
      'here.env': 'A=1\n',
    });
    expect(present.problems.map((p) => p.code)).toEqual(['invalid_boolean']);
  });
});
