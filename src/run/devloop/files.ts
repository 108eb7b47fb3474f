/**
 * File events from the host, through @parcel/watcher: native recursive watching (inotify on
 * Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows) with one kernel watch per
 * directory rather than per file, ignored directories never entered, and events handed over
 * already coalesced in batches (~50 ms). It is loaded only when something is watched.
 */
import path from 'node:path';
import { TugError } from '../../errors.js';
import type { WatchRuleSpec } from './rules.js';

export interface Subscription {
  close(): Promise<void>;
}

/**
 * Watches `dir` recursively, `ignore` (absolute paths or globs) left out; `onPaths` gets the
 * paths that were created, changed or deleted. The seam unit tests replace.
 */
export type Subscribe = (
  dir: string,
  ignore: string[],
  onPaths: (paths: string[]) => void,
  onError: (err: Error) => void,
) => Promise<Subscription>;

export const parcelSubscribe: Subscribe = async (dir, ignore, onPaths, onError) => {
  try {
    const { default: watcher } = await import('@parcel/watcher');
    const sub = await watcher.subscribe(dir, (err, events) => {
      if (err) onError(err);
      else if (events.length > 0) onPaths(events.map((e) => e.path));
    }, { ignore });
    return { close: () => sub.unsubscribe() };
  } catch (e) {
    // The host's to fix (a kernel limit, a platform without a prebuilt watcher), not a tug bug.
    throw new TugError('watch_failed', `cannot watch ${dir}: ${(e as Error).message}`, {
      cause: e,
      hint: 'on Linux, raise the inotify limits (sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512), or ignore large directories in the rule',
    });
  }
};

/**
 * One subscription per directory the rules watch (a file rule watches its directory). What
 * every rule on a directory ignores by a plain name (`node_modules`, `dist/`) is not even
 * entered, nor are `.git` directories.
 */
export function watchedDirs(rules: readonly WatchRuleSpec[]): { dir: string; ignore: string[] }[] {
  const byDir = new Map<string, WatchRuleSpec[]>();
  for (const r of rules) {
    const dir = r.isFile ? path.dirname(r.path) : r.path;
    byDir.set(dir, [...(byDir.get(dir) ?? []), r]);
  }
  return [...byDir].map(([dir, rs]) => {
    // Pruned only when no rule on this directory needs what is below it.
    const sets = rs.map((r) => new Set(r.isFile ? [] : r.prune));
    const common = [...sets[0]!].filter((p) => sets.every((s) => s.has(p)));
    return { dir, ignore: ['**/.git', ...common] };
  });
}
