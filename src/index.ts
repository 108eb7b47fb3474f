// The library API: what tug's CLI is built on, for programs that want the same behaviour.
export { loadProject, type LoadOptions } from './stack/load.js';
export type * from './stack/model.js';
export * from './errors.js';
export { CycleError, DependencyGraph, type Edge } from './graph/graph.js';
export { renderGraph, type GraphFormat } from './graph/render.js';
export { toCanonical, toJson, toYaml } from './stack/serialise.js';
export type { Engine, ContainerState, EngineEvent, HealthState } from './engine/engine.js';
export type { ContainerSummary } from './plan/observed.js';
export { up, type UpOptions, type UpResult } from './run/up.js';
export { down, type DownOptions, type DownResult } from './run/down.js';
export { DependencyFailedError, type FailureReport } from './run/failure.js';
export { upSummaryOf, type UpSummary } from './run/up-summary.js';
export type { ProgressEvent, ProgressListener } from './run/progress.js';
export { planUp, type UpPlan } from './plan/up.js';
export { ps, type PsOptions } from './run/ps.js';
export { logs, type ProjectLogLine, type ProjectLogOptions } from './run/logs.js';
export { startStack, type StartStackOptions, type StartedStack } from './run/start-stack.js';
/** The dev loop: develop.watch rules applied to file changes until the signal aborts (`tug watch`). */
export { checkWatch, watch, type WatchOptions } from './run/devloop/index.js';
export {
  engineHost, engineIdentity, lockDir, withProjectLock, ProjectLockedError, runtimeDir, type LockHolder, type ProjectLockOptions,
} from './run/lock.js';
/** Connects to the Docker Engine (DOCKER_HOST or the default socket); dockerode loads on first use. */
export { connect } from './engine/connect.js';
