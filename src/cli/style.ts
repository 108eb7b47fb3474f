import { Chalk, supportsColor, supportsColorStderr, type ChalkInstance } from 'chalk';

export const ANSI_MODES = ['auto', 'never', 'always'] as const;
export type AnsiMode = (typeof ANSI_MODES)[number];

/**
 * Read --ansi from the raw arguments: errors can happen before (or because) yargs fails to
 * parse, and they must still honour the user's choice.
 */
export function ansiFromArgv(argv: readonly string[]): AnsiMode {
  let mode: AnsiMode = 'auto';
  argv.forEach((arg, i) => {
    const value = arg === '--ansi' ? argv[i + 1] : arg.startsWith('--ansi=') ? arg.slice('--ansi='.length) : undefined;
    if (value !== undefined && (ANSI_MODES as readonly string[]).includes(value)) mode = value as AnsiMode;
  });
  return mode;
}

/** Colours for stderr. NO_COLOR (https://no-color.org) wins over auto-detection only. */
export function stderrStyle(mode: AnsiMode, env: Record<string, string | undefined> = process.env): ChalkInstance {
  return styleFor(mode, supportsColorStderr ? supportsColorStderr.level : 0, env);
}

/** Colours for stdout (attached log prefixes), judged on stdout: it may be piped while stderr is not. */
export function stdoutStyle(mode: AnsiMode, env: Record<string, string | undefined> = process.env): ChalkInstance {
  return styleFor(mode, supportsColor ? supportsColor.level : 0, env);
}

function styleFor(mode: AnsiMode, detected: number, env: Record<string, string | undefined>): ChalkInstance {
  if (mode === 'never') return new Chalk({ level: 0 });
  if (mode === 'always') return new Chalk({ level: Math.max(detected, 1) as 1 | 2 | 3 });
  return new Chalk({ level: env.NO_COLOR ? 0 : (detected as 0 | 1 | 2 | 3) });
}
