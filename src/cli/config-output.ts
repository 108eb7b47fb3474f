/**
 * What `config`'s listing flags print, in the shapes `docker compose config` gives them
 * (cmd/compose/config.go), so that scripts reading them keep working. Pure: the verb loads
 * the stack and writes the result.
 */
import type { Variable } from '../stack/variables.js';
import type { Project } from '../stack/model.js';
import { emitYaml } from '../stack/emit-yaml.js';

/**
 * Go's text/tabwriter as Compose's formatter sets it up (minimum width 20, padding 3): each
 * column but the last is padded to its widest cell plus 3, and to at least 20.
 */
export function composeTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(20, ...rows.map((r) => (r[i] ?? '').length + 3)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('') + '\n').join('');
}

/** `--variables`: a table (NAME, REQUIRED, DEFAULT VALUE, ALTERNATE VALUE), or json/yaml with compose-go's field names. */
export function variablesOutput(vars: Map<string, Variable>, format: 'table' | 'json' | 'yaml'): string {
  const sorted = [...vars.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (format === 'json') {
    // Go's encoding/json of map[string]template.Variable: keys sorted, exported field names, 4 spaces.
    const obj = Object.fromEntries(sorted.map((v) => [v.name, { Name: v.name, DefaultValue: v.defaultValue, PresenceValue: v.presenceValue, Required: v.required }]));
    return `${JSON.stringify(obj, null, 4)}\n`;
  }
  if (format === 'yaml') {
    // go-yaml lower-cases the field names of a struct without yaml tags.
    if (sorted.length === 0) return '{}\n';
    return emitYaml(Object.fromEntries(sorted.map((v) => [v.name, { name: v.name, defaultvalue: v.defaultValue, presencevalue: v.presenceValue, required: v.required }])));
  }
  return composeTable([
    ['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE'],
    ...sorted.map((v) => [v.name, String(v.required), v.defaultValue, v.presenceValue]),
  ]);
}

/** `--environment`: the project environment interpolation read, `KEY=VALUE` sorted as compose-go's Mapping.Values sorts it. */
export function environmentOutput(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => `${k}=${v}`).sort();
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * `--images`: each service's image, `<project>-<service>` for one that is only built (what
 * `up` tags it), then the images of its pre_start steps that differ from it, as Compose lists them.
 */
export function imagesOutput(project: Project, services: readonly string[]): string {
  const out: string[] = [];
  for (const name of services) {
    const svc = project.services[name]!;
    const image = svc.image ?? `${project.name}-${name}`;
    out.push(image);
    for (const hook of svc.pre_start ?? []) if (hook.image && hook.image !== image) out.push(hook.image);
  }
  return out.map((l) => `${l}\n`).join('');
}
