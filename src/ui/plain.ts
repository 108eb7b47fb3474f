/**
 * Progress for logs and CI: one line per event, timestamped, no cursor movement. Only
 * settled states and warnings are printed, so a CI log reads as a list of what happened.
 * An error shows its first line only: the CLI prints the whole failure report once, last.
 */
import type { ChalkInstance } from 'chalk';
import type { ProgressEvent, ProgressListener } from '../run/progress.js';
import { firstLine, pastTense } from './words.js';

export type Paint = (kind: 'ok' | 'warn' | 'err', s: string) => string;

export function paintWith(c: ChalkInstance): Paint {
  return (kind, s) => (kind === 'err' ? c.red(s) : kind === 'warn' ? c.yellow(s) : s);
}

export function plainRenderer(write: (s: string) => void, opts: { color?: Paint } = {}): ProgressListener {
  const paint = opts.color ?? ((_k, s) => s);
  return (e: ProgressEvent) => {
    // The summary of a failed up is printed by the CLI after the error, once, in every mode but JSON.
    if (e.action === 'summary') return;
    // A hook's output is part of what happened: each line is printed as it comes.
    if (e.state === 'working' && e.hook !== undefined) return write(`${clock(e.time)} ${e.resource} ${e.name} ${e.hook}: ${e.message ?? ''}\n`);
    if (e.state === 'working' && e.action !== 'wait') return;
    const time = clock(e.time);
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

/** `HH:MM:SS.mmm` in UTC, the zone of the JSON stream's times, so the two can be matched up. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}
