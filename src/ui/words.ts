/** How actions read in progress output: "Creating" while it runs, "created" once done. */

import type { ProgressAction } from '../run/progress.js';

const PAST: Partial<Record<ProgressAction, string>> = {
  create: 'created', start: 'started', recreate: 'recreated', restart: 'restarted', stop: 'stopped', remove: 'removed',
  pull: 'pulled', build: 'built', wait: 'dependencies ready', healthy: 'healthy', ready: 'ready', kill: 'killed',
  update: 'updated', push: 'pushed', converge: 'converged',
  watch: 'watch', sync: 'synced', exec: 'ran', rebuild: 'rebuilt', pre_start: 'pre_start done',
};

const ONGOING: Partial<Record<ProgressAction, string>> = {
  create: 'creating', start: 'starting', recreate: 'recreating', restart: 'restarting', stop: 'stopping', remove: 'removing',
  pull: 'pulling', build: 'building', wait: 'waiting', healthy: 'waiting to be healthy', ready: 'waiting to be ready', kill: 'killing',
  update: 'updating', push: 'pushing', converge: 'converging',
  watch: 'watching', sync: 'syncing', exec: 'running', rebuild: 'rebuilding', pre_start: 'running pre_start',
};

export function pastTense(action: ProgressAction): string {
  return PAST[action] ?? `${action} done`;
}

export function ongoing(action: ProgressAction): string {
  return ONGOING[action] ?? action;
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? '';
}
