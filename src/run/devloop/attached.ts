/**
 * `up --watch`: the stack's output followed, `service-n | ` prefixed as attached `up` prints
 * it, while the watch rules apply. Containers a rebuild recreates or a restart starts again
 * join the output (the logs' follow mode, which attached `up` does not need). Ctrl-C stops the
 * stack, dependents first, as attached `up` does, and ends with "interrupted".
 */
import type { ChalkInstance } from 'chalk';
import type { Engine } from '../../engine/engine.js';
import { InterruptedError } from '../../errors.js';
import type { Project } from '../../stack/model.js';
import { stopInOrder } from '../down.js';
import { listContainers } from '../observe.js';
import { Pool } from '../pool.js';
import { printLogs } from '../print-logs.js';
import type { ProgressListener } from '../progress.js';
import { watch, type WatchOptions } from './session.js';

export interface FollowAndWatchOptions extends WatchOptions {
  /** Colours for the log prefixes. */
  color?: ChalkInstance;
  /** Where stopping the stack reports (attached `up`'s second display). */
  onStopProgress?: ProgressListener;
}

export async function followAndWatch(engine: Engine, project: Project, opts: FollowAndWatchOptions): Promise<void> {
  const inner = new AbortController();
  const stop = () => inner.abort(opts.signal.reason);
  if (opts.signal.aborted) stop();
  opts.signal.addEventListener('abort', stop, { once: true });
  let failure: unknown;
  const fail = (err: unknown) => {
    if (inner.signal.aborted) return;
    failure ??= err;
    inner.abort(err);
  };
  try {
    await Promise.all([
      printLogs(engine, project, { follow: true, tail: 'all', color: opts.color, signal: inner.signal }).catch(fail),
      watch(engine, project, { ...opts, signal: inner.signal }).catch(fail),
    ]);
  } finally {
    opts.signal.removeEventListener('abort', stop);
  }
  if (failure !== undefined) throw failure;
  const running = await listContainers(engine, { project: project.name, all: false });
  await stopInOrder(engine, project, running.filter((c) => !c.oneoff), { timeout: opts.stopTimeout }, opts.onStopProgress ?? (() => {}), new Pool(16));
  throw new InterruptedError('interrupted: the stack was stopped');
}
