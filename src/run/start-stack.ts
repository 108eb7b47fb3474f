/**
 * A stack for the length of a test run: load, bring up and wait until every service is
 * healthy, and hand back `stop()`, which takes it all down again volumes included. Made for
 * a test runner's global setup, where a failed start must not leave containers behind.
 */
import type { Engine } from '../engine/engine.js';
import { loadProject } from '../stack/load.js';
import type { Project } from '../stack/model.js';
import { down } from './down.js';
import { connect } from '../engine/connect.js';
import { engineIdentity, withProjectLock } from './lock.js';
import type { ProgressListener } from './progress.js';
import { up, type UpResult } from './up.js';

export interface StartStackOptions {
  /** Stack files, merged in order; default: discovered from `cwd` as the CLI does. */
  files?: string[];
  /** Where discovery starts and relative `files` resolve; default process.cwd(). */
  cwd?: string;
  projectName?: string;
  profiles?: string[];
  envFiles?: string[];
  /** The environment for interpolation and `.env`; default process.env. */
  env?: Record<string, string | undefined>;
  /** Return once every service is running and healthy (or done, for one-shot jobs). Default true. */
  wait?: boolean;
  waitTimeoutSeconds?: number;
  onProgress?: ProgressListener;
  /** The engine; default DOCKER_HOST or the default socket. */
  host?: string;
  signal?: AbortSignal;
  /** Leave what was created when the start fails, to look at it; default false (taken down). */
  keepOnFailure?: boolean;
}

export interface StartedStack {
  project: Project;
  engine: Engine;
  result: UpResult;
  /** `down -v`: containers, networks and volumes of the project. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function startStack(opts: StartStackOptions = {}): Promise<StartedStack> {
  const project = await loadProject({
    cwd: opts.cwd, files: opts.files, projectName: opts.projectName, profiles: opts.profiles, envFiles: opts.envFiles, env: opts.env,
  });
  const engine: Engine = await connect({ host: opts.host });
  const host = await engineIdentity(engine);
  const locked = <T>(command: string, fn: () => Promise<T>, signal?: AbortSignal) => withProjectLock(host, project.name, { command, signal }, fn);
  // Never cancelled: taking the stack down is what an interrupted start needs most.
  const takeDown = () => locked('down', async () => {
    await down(engine, project.name, project, { volumes: true, removeOrphans: true, onProgress: opts.onProgress });
  });
  let result: UpResult;
  try {
    result = await locked('up', () => up(engine, project, {
      wait: opts.wait ?? true, waitTimeoutSeconds: opts.waitTimeoutSeconds, onProgress: opts.onProgress, signal: opts.signal,
    }), opts.signal);
  } catch (err) {
    if (!opts.keepOnFailure) await takeDown().catch(() => {});
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return { project, engine, result, stop: () => (stopping ??= takeDown()) };
}
