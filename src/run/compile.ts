/**
 * Every container request of a command is compiled from one place, with the same options:
 * the engine's API version, tug's version for the labels, the environment secrets and configs
 * read, the seccomp files security_opt names. Compiling is pure and happens while planning,
 * so a stack tug cannot run is refused before anything on the engine changes.
 */
import { configHash, containerName, containerSpec, type ContainerPlan } from '../engine/request/index.js';
import { MAX_FILE_BYTES } from '../stack/limits.js';
import type { Project, Service } from '../stack/model.js';
import { isRemoteHost } from '../engine/target.js';
import { objectEnvironment } from '../stack/object-env.js';
import { withSourceLines } from '../stack/source-map.js';
import { readUserFile } from '../util/read-user-file.js';

/** The config hash of a service, the label `up` compares (`tug config --hash`). */
export { configHash } from '../engine/request/index.js';

export interface SpecCompiler {
  /** The config hash label `up` compares to decide what to recreate. */
  hash(service: string): string;
  /** The create request for replica `number` of a service of the project. */
  spec(service: string, number: number): ContainerPlan;
  /** The same for a service as a one-off changes it (`run`), under the one-off id. */
  oneoff(service: Service, oneoffId: string): ContainerPlan;
}

export interface CompileOptions {
  apiVersion: string;
  /** tug's version, for the `com.docker.compose.version` label. */
  version?: string;
  /** Where `environment:` secrets and configs read their values; default what the project's environment held when it was loaded. */
  env?: Record<string, string | undefined>;
  /** The engine's address (`engine.system.host`): on another machine, relative bind mounts are warned about. */
  engineHost?: string;
}

export function specCompiler(project: Project, opts: CompileOptions): SpecCompiler {
  const hashes = new Map<string, string>();
  const hash = (name: string): string => {
    let h = hashes.get(name);
    if (h === undefined) {
      h = configHash(project.services[name]!);
      hashes.set(name, h);
    }
    return h;
  };
  const base = {
    apiVersion: opts.apiVersion,
    version: opts.version ?? 'tug',
    secretEnv: opts.env ?? objectEnvironment(project) ?? process.env,
    // network_mode/ipc/pid `service:x`, volumes_from and links name replica 1 of x.
    resolveContainer: (s: string) => (project.services[s] ? containerName(project, project.services[s]!, 1) : s),
    readFile: (path: string) => readUserFile(path, MAX_FILE_BYTES).toString('utf8'),
    remoteEngine: opts.engineHost !== undefined && isRemoteHost(opts.engineHost) ? opts.engineHost : undefined,
  };
  return {
    hash,
    spec: (name, number) => withSourceLines(project, () => containerSpec(project, project.services[name]!, { ...base, number, hash: hash(name) })),
    oneoff: (svc, oneoffId) => withSourceLines(project, () => containerSpec(project, svc, { ...base, number: 1, oneoff: oneoffId, hash: configHash(svc) })),
  };
}
