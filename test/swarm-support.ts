/** Builders shared by the swarm unit tests. */
import fs from 'node:fs';
import { expect } from 'vitest';
import { type Diagnostic, TugError } from '../src/errors.js';
import { loadProject } from '../src/stack/load.js';
import type { Project, Service } from '../src/stack/model.js';
import { makeService, tempDirs } from './support.js';

const makeDir = tempDirs();

/** A project loaded from `compose.yaml` (and any other files) in a fresh directory, as the CLI loads it. */
export async function loadYaml(yaml: string, files: Record<string, string> = {}, env: Record<string, string> = {}): Promise<{ project: Project; dir: string; warnings: Diagnostic[] }> {
  const dir = makeDir({ 'compose.yaml': yaml, ...files }, 'tug-swarm-');
  const warnings: Diagnostic[] = [];
  const project = await loadProject({ cwd: dir, env, onWarning: (d) => warnings.push(d) });
  return { project, dir, warnings };
}

export const readFile = (p: string): Buffer => fs.readFileSync(p);

/** A hand-built project named "shop", for settings the loader would refuse or normalise away. */
export function proj(services: Service[], extra: Partial<Project> = {}): Project {
  return {
    name: 'shop',
    working_dir: '/src/shop',
    config_files: ['/src/shop/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabled_services: {},
    networks: { default: { name: 'shop_default' } },
    volumes: {},
    configs: {},
    secrets: {},
    profiles: [],
    ...extra,
  };
}

export const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'nginx:1.27', ...extra });

/** The TugError `fn` throws; fails the test when it does not throw one. */
export function refusal(fn: () => unknown): TugError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TugError);
    return err as TugError;
  }
  throw new Error('expected a TugError');
}
