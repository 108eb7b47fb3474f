/**
 * What secrets and configs with `environment:` read. compose-go resolves the variable while
 * loading (ResolveEnvironment), from the project environment (the process's, `.env`,
 * `--env-file`, an include's `env_file`), and never prints the value (SecretConfig's
 * MarshalYAML drops it; a config prints its `environment:`, not the content). A loaded project
 * keeps those values here, beside it, so that `tug config` cannot print them and a container
 * or swarm object compiled much later still gets what the files meant.
 */
import type { Project } from './model.js';

/** The key under which a resolved value travels from the files to normalise; no file can hold it (the schema refuses it). */
export const OBJECT_VALUE = '#value';

const values = new WeakMap<Project, Readonly<Record<string, string>>>();

export function rememberObjectEnvironment(project: Project, env: Readonly<Record<string, string>>): void {
  values.set(project, env);
}

/**
 * The variables the project's secrets and configs read, by name, as they were set when it was
 * loaded; a variable that was not set is absent. Undefined for a project loadProject did not make.
 */
export function objectEnvironment(project: Project): Readonly<Record<string, string | undefined>> | undefined {
  return values.get(project);
}
