/**
 * Service and profile names for completion, read from the stack the options typed so far name
 * (-f, --project-directory, --env-file, -p, and COMPOSE_* as every verb reads them), through
 * the loader and so its parse cache: no engine is asked. As in docker compose, a stack that
 * does not load offers nothing rather than an error in the middle of a command line.
 */
import type { Project } from '../../stack/model.js';
import type { StackNames, StackSelection } from './complete.js';

async function load(sel: StackSelection): Promise<Project | undefined> {
  // `-f -` is stdin: a completion must never wait on it.
  if (sel.files.includes('-')) return undefined;
  try {
    const { loadProject } = await import('../../stack/load.js');
    return await loadProject({
      files: sel.files,
      projectDirectory: sel.projectDirectory,
      projectName: sel.projectName,
      envFiles: sel.envFiles,
      // Every service, whatever its profiles: Compose completes disabled services too.
      profiles: ['*'],
      onWarning: () => {},
      // Names are all that is wanted: a missing env_file must not hide them.
      skipEnvironmentFiles: true,
    });
  } catch {
    return undefined;
  }
}

export function stackNames(): StackNames {
  // One load per completion, however many questions it asks.
  let loaded: Promise<Project | undefined> | undefined;
  const project = (sel: StackSelection) => (loaded ??= load(sel));
  return {
    async services(sel) {
      const p = await project(sel);
      return p ? [...Object.keys(p.services), ...Object.keys(p.disabled_services)] : [];
    },
    async profiles(sel) {
      const p = await project(sel);
      if (!p) return [];
      const all = [...Object.values(p.services), ...Object.values(p.disabled_services)].flatMap((s) => s.profiles ?? []);
      return [...new Set(all)].filter((x) => x !== '*').sort();
    },
  };
}
