// The library API: what tug's CLI is built on, for programs that want the same behaviour.
export { loadProject, type LoadOptions } from './stack/load.js';
export type * from './stack/model.js';
export * from './errors.js';
export { CycleError, DependencyGraph, type Edge } from './graph/graph.js';
export { renderGraph, type GraphFormat } from './graph/render.js';
export { toCanonical, toJson, toYaml } from './stack/serialise.js';
