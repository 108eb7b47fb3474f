/**
 * Attached `up`: follow every container's output, prefixed `service-n | `, until they have
 * all stopped. Ctrl-C stops the stack (dependents first) and ends with "interrupted".
 */
import type { Engine } from '../engine/engine.js';
import { InterruptedError } from '../errors.js';
import type { Project } from '../stack/model.js';
import { stopInOrder } from './down.js';
import { Pool } from './pool.js';
import type { ProgressListener } from './progress.js';

export async function attach(
  engine: Engine,
  project: Project,
  containers: { id: string; name: string; number: number }[],
  opts: { signal: AbortSignal; onProgress: ProgressListener; stopTimeout?: number; write?: (s: string) => void },
): Promise<void> {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  const width = Math.max(0, ...containers.map((c) => prefixOf(project, c.name).length));
  const follow = new AbortController();
  const stopFollowing = () => follow.abort();
  opts.signal.addEventListener('abort', stopFollowing, { once: true });
  const streams = containers.map(async (c) => {
    const prefix = `${prefixOf(project, c.name).padEnd(width)} | `;
    try {
      for await (const line of engine.logs(c.id, { follow: true, tail: 'all', signal: follow.signal })) write(prefix + line.text + '\n');
    } catch (err) {
      if (!follow.signal.aborted) throw err;
    }
  });
  await Promise.allSettled(streams);
  opts.signal.removeEventListener('abort', stopFollowing);
  if (opts.signal.aborted) {
    const all = await engine.listContainers({ project: project.name, all: false });
    await stopInOrder(engine, project, all.filter((c) => !c.oneoff), { timeout: opts.stopTimeout }, opts.onProgress, new Pool(16));
    throw new InterruptedError('interrupted: the stack was stopped');
  }
}

/** `app-web-1` → `web-1`: the project name is the same on every line. */
function prefixOf(project: Project, name: string): string {
  return name.startsWith(`${project.name}-`) ? name.slice(project.name.length + 1) : name;
}
