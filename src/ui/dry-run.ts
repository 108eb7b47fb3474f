/**
 * `--dry-run` output: one line per planned action, worded as docker compose's dry-run mode
 * words it (`DRY-RUN MODE -  Container app-web-1  Created`), or, under `--progress json`, the
 * events themselves marked `"dryRun": true`.
 */
import type { ProgressAction, ProgressEvent } from '../run/progress.js';
import { capitalise, pastTense } from './words.js';

const DONE: Partial<Record<ProgressAction, string>> = {
  create: 'Created', recreate: 'Recreated', start: 'Started', restart: 'Restarted', stop: 'Stopped', remove: 'Removed',
  pull: 'Pulled', build: 'Built', kill: 'Killed', pause: 'Paused', unpause: 'Unpaused', healthy: 'Healthy', ready: 'Ready',
};

export function dryRunLine(e: ProgressEvent): string {
  return `DRY-RUN MODE -  ${capitalise(e.resource)} ${e.name}  ${DONE[e.action] ?? capitalise(pastTense(e.action))}`;
}

export function renderDryRun(events: readonly ProgressEvent[], mode: string, write: (s: string) => void): void {
  if (mode === 'quiet') return;
  if (mode === 'json') {
    for (const e of events) write(`${JSON.stringify({ ...e, time: new Date().toISOString(), dryRun: true })}\n`);
    return;
  }
  if (events.length === 0) return write('DRY-RUN MODE -  Nothing to do\n');
  for (const e of events) write(`${dryRunLine(e)}\n`);
}
