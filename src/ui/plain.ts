/**
 * Progress for logs and CI: one line per event, timestamped, no cursor movement. Only
 * settled states and warnings are printed, so a CI log reads as a list of what happened.
 */
import type { ProgressEvent, ProgressListener } from '../run/progress.js';

export function plainRenderer(write: (s: string) => void, opts: { color?: (kind: 'ok' | 'warn' | 'err', s: string) => string } = {}): ProgressListener {
  const paint = opts.color ?? ((_k, s) => s);
  return (e: ProgressEvent) => {
    if (e.state === 'working' && e.action !== 'wait') return;
    const time = new Date(e.time).toISOString().slice(11, 23);
    const took = e.durationMs !== undefined ? ` (${(e.durationMs / 1000).toFixed(1)}s)` : '';
    const what = `${e.resource} ${e.name}`;
    switch (e.state) {
      case 'done':
        return write(`${time} ${what} ${pastTense(e.action)}${took}${e.message && e.action !== 'wait' ? `: ${e.message}` : ''}\n`);
      case 'working':
        return write(`${time} ${what} ${e.message ?? e.action}\n`);
      case 'skipped':
        return write(`${time} ${what} ${e.action} skipped${e.message ? `: ${e.message}` : ''}\n`);
      case 'warning':
        return write(paint('warn', `${time} warning: ${e.message ?? `${what} ${e.action}`}`) + '\n');
      case 'error':
        return write(paint('err', `${time} ${what} ${e.action} failed${took}: ${firstLine(e.error?.message ?? '')}`) + '\n');
      default:
        return undefined;
    }
  };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

const PAST: Record<string, string> = {
  create: 'created', start: 'started', recreate: 'recreated', restart: 'restarted', stop: 'stopped', remove: 'removed',
  pull: 'pulled', build: 'built', wait: 'dependencies ready', healthy: 'healthy', kill: 'killed',
};

function pastTense(action: string): string {
  return PAST[action] ?? `${action} done`;
}
