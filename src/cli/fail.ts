import type { ChalkInstance } from 'chalk';
import { ExitCode, TugError, UsageError, formatDiagnostic, type Diagnostic } from '../errors.js';
import { stderrStyle, type AnsiMode } from './style.js';
import { formatUpSummary, upSummaryOf } from '../run/up-summary.js';

/**
 * The one place that turns failures into stderr text and exit codes, so every verb reports
 * the same way and no stack trace reaches a user unless they asked with --debug.
 */
let style: ChalkInstance = stderrStyle('auto');
let debug = false;
let json = false;

export function configureReporting(opts: { ansi: AnsiMode; debug: boolean; progress?: string }): void {
  style = stderrStyle(opts.ansi);
  debug = opts.debug;
  json = opts.progress === 'json';
}

export function printWarning(d: Diagnostic): void {
  process.stderr.write(`${style.yellow.bold('warning:')} ${formatDiagnostic(d)}\n`);
}

export function reportError(err: unknown): void {
  if (err instanceof TugError) {
    for (const d of err.diagnostics()) process.stderr.write(`${style.red.bold('error:')} ${formatDiagnostic(d)}\n`);
    if (err instanceof UsageError) process.stderr.write(`Run 'tug --help' for usage.\n`);
    // An up that failed part-way ends with where each service stands (JSON readers got it as an event).
    const summary = upSummaryOf(err);
    if (summary && !json) process.stderr.write(formatUpSummary(summary));
    if (debug && err.stack) process.stderr.write(style.dim(`${err.stack}\n`));
    process.exitCode = err.exitCode;
    return;
  }
  const message = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
  const more = debug ? '' : ' (rerun with --debug for details)';
  process.stderr.write(`tug: internal error: ${message}${more}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = ExitCode.internal;
}
