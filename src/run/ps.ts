/** A project's containers as `tug ps` lists them, for programs. */
import type { Engine } from '../engine/engine.js';
import type { ContainerSummary } from '../plan/observed.js';
import { listContainers } from './observe.js';

export interface PsOptions {
  /** Include stopped containers (`ps -a`). */
  all?: boolean;
  /** Only these services. */
  services?: string[];
}

/** Containers of the project, by service then replica number; one-off containers are left out. */
export async function ps(engine: Engine, projectName: string, opts: PsOptions = {}): Promise<ContainerSummary[]> {
  const list = await listContainers(engine, { project: projectName, all: opts.all ?? false });
  return list
    .filter((c) => !c.oneoff && (!opts.services?.length || opts.services.includes(c.service)))
    .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
}
