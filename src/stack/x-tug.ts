/**
 * `x-tug`: tug's own settings at the top of a stack file, ignored by Compose (any `x-` key is).
 *
 *   x-tug:
 *     mode: swarm                 # run the stack as swarm services (as --swarm does)
 *     registry: 10.0.0.5:5000     # where swarm nodes pull the images tug builds or only has locally
 */
import type { Diagnostic } from '../errors.js';
import { isPlainObject } from '../util/dict.js';
import type { Locator } from './locate.js';
import type { Project } from './model.js';

export interface TugSettings {
  mode?: 'local' | 'swarm';
  registry?: string;
}

const KEYS = ['mode', 'registry'];

/** The settings as the file gives them; `check` has refused anything else at load. */
export function tugSettings(project: Project): TugSettings {
  const x = project.extensions?.['x-tug'];
  if (!isPlainObject(x)) return {};
  return {
    ...(x.mode === 'swarm' || x.mode === 'local' ? { mode: x.mode } : {}),
    ...(typeof x.registry === 'string' && x.registry ? { registry: x.registry } : {}),
  };
}

/** What is wrong in `x-tug`, at its line: a typo there would silently change where the stack runs. */
export function checkTugSettings(project: Project, locate: Locator): Diagnostic[] {
  const x = project.extensions?.['x-tug'];
  if (x === undefined || x === null) return [];
  const at = (...path: string[]) => ({ path: ['x-tug', ...path].join('.'), location: locate(['x-tug', ...path]) });
  if (!isPlainObject(x)) return [{ code: 'invalid_type', message: 'x-tug must be a mapping', ...at() }];
  const problems: Diagnostic[] = [];
  for (const k of Object.keys(x)) {
    if (!KEYS.includes(k)) problems.push({ code: 'unknown_key', message: `x-tug has no key "${k}"`, hint: `x-tug takes ${KEYS.join(', ')}`, ...at(k) });
  }
  if (x.mode !== undefined && x.mode !== 'swarm' && x.mode !== 'local') {
    problems.push({ code: 'invalid_value', message: `x-tug.mode: invalid value ${JSON.stringify(x.mode)}`, hint: 'expected swarm or local', ...at('mode') });
  }
  if (x.registry !== undefined && (typeof x.registry !== 'string' || !/^[A-Za-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/.test(x.registry))) {
    problems.push({ code: 'invalid_value', message: `x-tug.registry: invalid registry ${JSON.stringify(x.registry)}`, hint: 'expected HOST[:PORT], e.g. registry.example.com:5000', ...at('registry') });
  }
  return problems;
}
