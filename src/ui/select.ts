/**
 * Picks the renderer, as Compose does: the live display only for a person at a terminal;
 * plain lines when stderr is not a terminal, in CI, or when no escape codes may be printed.
 */
import type { ChalkInstance } from 'chalk';
import { jsonRenderer } from './json.js';
import { paintWith, plainRenderer } from './plain.js';
import { closeless, type ProgressRenderer } from './renderer.js';
import { ttyRenderer } from './tty.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export interface SelectOptions {
  /** Where progress goes: stderr. */
  stream?: NodeJS.WriteStream;
  /** stdout, held back while a live display is drawn. */
  other?: NodeJS.WriteStream;
  color?: ChalkInstance;
  /** False for `--ansi never`. */
  ansi?: boolean;
  env?: Record<string, string | undefined>;
}

/** `CI=false` and `CI=0` are how some set-ups say "not CI", so only those and empty count as unset. */
export function isCI(env: Record<string, string | undefined>): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

export function resolveMode(mode: ProgressMode, ctx: { isTTY: boolean; ci: boolean; ansi: boolean }): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return ctx.isTTY && !ctx.ci && ctx.ansi ? 'tty' : 'plain';
}

export function progressRenderer(mode: ProgressMode, opts: SelectOptions = {}): ProgressRenderer {
  const stream = opts.stream ?? process.stderr;
  const write = (s: string) => void stream.write(s);
  const ansi = opts.ansi !== false;
  const resolved = resolveMode(mode, { isTTY: stream.isTTY === true, ci: isCI(opts.env ?? process.env), ansi });
  switch (resolved) {
    case 'quiet':
      return closeless(() => {});
    case 'json':
      return closeless(jsonRenderer(write));
    case 'plain':
      return closeless(plainRenderer(write, opts.color ? { color: paintWith(opts.color) } : {}));
    case 'tty':
      return ttyRenderer({ stream, other: opts.other ?? process.stdout, color: opts.color, ansi });
  }
}
