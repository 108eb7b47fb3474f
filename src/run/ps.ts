/** A project's containers as `tug ps` lists them, for programs. */
import type { Engine } from '../engine/engine.js';
import type { ContainerSummary } from '../plan/observed.js';
import { projectContainers } from './reports.js';

export interface PsOptions {
  /** Include stopped containers (`ps -a`). */
  all?: boolean;
  /** Only these services. */
  services?: string[];
}

/** Containers of the project, by service then replica number; one-off containers are left out. */
export function ps(engine: Engine, projectName: string, opts: PsOptions = {}): Promise<ContainerSummary[]> {
  return projectContainers(engine, projectName, opts);
}
