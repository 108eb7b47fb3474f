/**
 * Every failure tug reports on purpose is a TugError: a message for people, a stable `code`
 * for machines, an optional source location and hint, and the exit code the CLI uses.
 * Anything else that escapes is a bug and is reported as such (exit 1).
 */

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  invalidStack: 3,
  engineUnreachable: 4,
  serviceFailed: 5,
  /** Another tug command holds the project's lock and `--no-wait-lock` was given: retry later. */
  projectLocked: 6,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface SourceLocation {
  file: string;
  /** 1-based; 0 when the problem has no single line (a cycle, an alias bomb). */
  line: number;
  /** 1-based column. */
  col: number;
}

export interface Diagnostic {
  code: string;
  message: string;
  location?: SourceLocation;
  /** The YAML path in the user's terms, e.g. `services.web.healthcheck.interval`. */
  path?: string;
  hint?: string;
}

export class TugError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly location?: SourceLocation;
  readonly path?: string;
  readonly hint?: string;

  constructor(
    code: string,
    message: string,
    opts: { exitCode?: ExitCode; location?: SourceLocation; path?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = opts.exitCode ?? ExitCode.internal;
    this.location = opts.location;
    this.path = opts.path;
    this.hint = opts.hint;
  }

  diagnostics(): Diagnostic[] {
    return [{ code: this.code, message: this.message, location: this.location, path: this.path, hint: this.hint }];
  }
}

export class UsageError extends TugError {
  constructor(message: string, hint?: string) {
    super('usage', message, { exitCode: ExitCode.usage, hint });
  }
}

/** A problem with one stack file that prevents loading it at all (missing, unreadable, not YAML). */
export class StackFileError extends TugError {
  constructor(code: string, message: string, location: SourceLocation, hint?: string) {
    super(code, message, { exitCode: ExitCode.invalidStack, location, hint });
  }
}

/** One or more problems found while validating a stack; all are reported together. */
export class StackInvalidError extends TugError {
  readonly problems: Diagnostic[];
  constructor(problems: Diagnostic[]) {
    const first = problems[0];
    super(first?.code ?? 'invalid', first ? first.message : 'invalid stack', {
      exitCode: ExitCode.invalidStack,
      location: first?.location,
      path: first?.path,
      hint: first?.hint,
    });
    this.problems = problems;
  }
  override diagnostics(): Diagnostic[] {
    return this.problems;
  }
}

export class EngineUnreachableError extends TugError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('engine_unreachable', message, { exitCode: ExitCode.engineUnreachable, hint, cause });
  }
}

export class ServiceFailedError extends TugError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, { exitCode: ExitCode.serviceFailed, hint });
  }
}

export class InterruptedError extends TugError {
  constructor(message = 'interrupted') {
    super('interrupted', message, { exitCode: ExitCode.interrupted });
  }
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  return loc.line > 0 ? `${loc.file}:${loc.line}:${loc.col}` : loc.file;
}

/** `file:line:col: message` plus the path and hint, one problem per block. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d.location);
  let out = where ? `${where}: ${d.message}` : d.message;
  if (d.path && !d.message.includes(d.path)) out += ` (at ${d.path})`;
  if (d.hint) out += `\n  hint: ${d.hint}`;
  return out;
}
