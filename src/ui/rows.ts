/**
 * What the terminal display shows, kept apart from listr2 so it can be tested without a
 * terminal: one row per resource, folded from its events, and the text of that row.
 */
import type { ChalkInstance } from 'chalk';
import type { ProgressAction, ProgressEvent, ProgressState, ResourceKind } from '../run/progress.js';
import { capitalise, firstLine, ongoing, pastTense } from './words.js';

interface Pending {
  action: ProgressAction;
  state: 'working' | 'waiting';
  since: number;
  message?: string;
}

export class Row {
  /** Unsettled actions by key; a service waits on each dependency in its own step. */
  private readonly pending = new Map<string, Pending>();
  private settled?: ProgressEvent;
  private failure?: ProgressEvent;
  private readonly warnings: string[] = [];

  constructor(readonly resource: ResourceKind, readonly name: string) {}

  get head(): string {
    return `${capitalise(this.resource)} ${this.name}`;
  }

  apply(e: ProgressEvent): void {
    // Waits differ only by message (one per dependency); other actions repeat `working` to
    // report progress (a pull's megabytes) and must keep their start time.
    const key = e.action === 'wait' ? `wait\0${e.message ?? ''}` : e.action;
    switch (e.state) {
      case 'working':
      case 'waiting': {
        // The action that failed is tried again (the dev loop's next sync): it starts anew.
        if (this.failure?.action === e.action && e.state === 'working' && !this.pending.has(key)) this.failure = undefined;
        const p = this.pending.get(key);
        const message = e.hook !== undefined ? `${e.hook}: ${e.message ?? ''}` : e.message;
        this.pending.set(key, { action: e.action, state: e.state, since: p?.since ?? e.time, message });
        return;
      }
      case 'warning':
        if (e.message && !this.warnings.includes(e.message)) this.warnings.push(e.message);
        return;
      case 'error':
        this.failure ??= e;
        break;
      default:
        break;
    }
    this.pending.delete(key);
    this.settled = e;
  }

  /** What the row amounts to now; a failure stays a failure whatever settles after it (until that action starts again). */
  get state(): ProgressState {
    if (this.failure) return 'error';
    const pending = [...this.pending.values()];
    if (pending.some((p) => p.state === 'working')) return 'working';
    if (pending.length) return 'waiting';
    if (this.settled) return this.settled.state;
    return this.warnings.length ? 'warning' : 'waiting';
  }

  get unfinished(): boolean {
    return this.pending.size > 0;
  }

  /**
   * `Container app-db-1  Started  0.3s`, warnings on the lines below. `final` is the last
   * frame: whatever is still pending then will not finish in this run.
   */
  text(now: number, c: ChalkInstance, headWidth = 0, final = false): string {
    const head = this.head.padEnd(headWidth);
    const lines = [...this.warnings];
    let main: string;
    const pending = [...this.pending.values()].sort((a, b) => a.since - b.since);
    if (this.failure) {
      const f = this.failure;
      main = `${head}  ${c.red(`${capitalise(f.action)} failed`)}  ${firstLine(f.error?.message ?? '')}${took(c, f.durationMs)}`;
    } else if (pending.length) {
      const first = pending[0]!;
      const messages = [...new Set(pending.map((p) => p.message).filter((m): m is string => Boolean(m)))];
      const word = capitalise(ongoing(first.action));
      main = `${head}  ${first.state === 'working' ? c.cyan(word) : c.dim(word)}${messages.length ? `  ${messages.join('; ')}` : ''}`
        + took(c, now - first.since) + (final ? c.dim(' (not finished)') : '');
    } else if (this.settled) {
      const s = this.settled;
      const word = s.state === 'skipped' ? c.dim(`${capitalise(s.action)} skipped`) : c.green(capitalise(pastTense(s.action)));
      const message = s.message && s.action !== 'wait' ? `  ${s.message}` : '';
      main = `${head}  ${word}${message}${took(c, s.durationMs)}`;
    } else {
      main = c.yellow(lines.shift() ?? head);
    }
    return [main, ...lines.map((w) => c.yellow(`warning: ${w}`))].join('\n');
  }
}

function took(c: ChalkInstance, ms: number | undefined): string {
  return ms === undefined ? '' : `  ${c.dim(`${(Math.max(0, ms) / 1000).toFixed(1)}s`)}`;
}

/** The rows in order of first appearance. */
export class Rows {
  private readonly byKey = new Map<string, Row>();
  readonly all: Row[] = [];

  apply(e: ProgressEvent): Row {
    const key = `${e.resource}\0${e.name}`;
    let row = this.byKey.get(key);
    if (!row) {
      row = new Row(e.resource, e.name);
      this.byKey.set(key, row);
      this.all.push(row);
    }
    row.apply(e);
    return row;
  }

  /** Heads are padded to one width so that states line up in a column. */
  get headWidth(): number {
    return Math.max(0, ...this.all.map((r) => r.head.length));
  }
}
