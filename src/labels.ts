/**
 * The label vocabulary tug shares with Docker Compose (and, for swarm stacks, with `docker
 * stack`): how a container, network or volume says which project and service it belongs to.
 * Kept apart from the engine seam, which only filters by whatever labels it is given, so the
 * seam stays a plain Docker Engine client and both backends read one vocabulary.
 */
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  dependsOn: 'com.docker.compose.depends_on',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  image: 'com.docker.compose.image',
  replace: 'com.docker.compose.replace',
  /** On a lifecycle hook's own container: which hook (`pre_start`). */
  hook: 'com.docker.compose.hook',
  /** tug's own: which tool made the resource. */
  managedBy: 'dev.tug.managed-by',
} as const;

/** The label filter that selects one project's resources. */
export function projectLabel(project: string): string {
  return `${LABEL.project}=${project}`;
}

/** Compose writes the oneoff label as Python's booleans on every container it makes. */
export function oneoffLabel(oneoff: boolean): string {
  return `${LABEL.oneoff}=${oneoff ? 'True' : 'False'}`;
}

/** Labels `docker stack` reads, so `docker stack ls/ps/services/rm` see tug's stacks, and tug's own. */
export const STACK_LABEL = {
  namespace: 'com.docker.stack.namespace',
  image: 'com.docker.stack.image',
  /** Hash of the desired spec: compared instead of the manager's spec, which gains defaults. */
  specHash: 'dev.tug.spec-hash',
  /** Hash of a secret's or config's data, whose name carries a prefix of it. */
  contentHash: 'dev.tug.content-hash',
} as const;

/** Whether a network's or volume's labels say it is the project's `key`. */
export function ownedBy(labels: Record<string, string>, project: string, kind: 'network' | 'volume', key: string): boolean {
  return labels[LABEL.project] === project && labels[LABEL[kind]] === key;
}
