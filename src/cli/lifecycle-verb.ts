/**
 * What the verbs that change existing containers share: the project's lock (another tug
 * command must not interleave with them), Ctrl-C, and a progress display that has drawn its
 * last frame before the verb's own closing lines are printed.
 */
import type { ProgressListener } from '../run/progress.js';
import type { GlobalArgs } from './options.js';
import { withCliLock } from './project-lock.js';
import { interruptible, progressFor } from './run-context.js';

export type Mutation = (signal: AbortSignal, onProgress: ProgressListener) => Promise<string[] | void>;

/** Runs `task` under the lock; the lines it returns go to stderr once the display is closed. */
export async function mutate(args: GlobalArgs, project: string, command: string, task: Mutation): Promise<void> {
  const progress = progressFor(args);
  await interruptible(async (signal) => {
    const notes = await withCliLock(args, project, command, signal, () => task(signal, progress.listener));
    await progress.close();
    for (const line of notes ?? []) process.stderr.write(`${line}\n`);
  }).finally(() => progress.close());
}
