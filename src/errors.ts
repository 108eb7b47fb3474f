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

/**
 * Every code tug reports, by the exit code it usually comes with. Codes are stable: scripts
 * and `--progress json` readers match on them, so one is never renamed, only added.
 */
export type ErrorCode =
  // 1: a bug in tug, or an answer Compose also gives with 1
  | 'internal' | 'no_container' | 'no_such_port' | 'detached' | 'watch_failed'
  // 2: usage
  | 'usage' | 'unknown_service' | 'confirmation_required' | 'copy_path' | 'invalid_scale'
  // 3: the stack files, and what they ask of a swarm
  | StackErrorCode | SwarmErrorCode
  // 4: the engine
  | 'engine_unreachable' | 'engine_error'
  // 5: a service or its image
  | 'service_failed' | 'dependency_failed' | 'dependency_missing' | 'dependency_no_healthcheck' | 'wait_timeout' | 'not_running'
  | 'no_containers' | 'image_missing' | 'image_not_found' | 'pull_failed' | 'build_failed' | 'push_failed' | 'deploy_failed' | 'hook_failed'
  | 'oom_killed'
  | EngineRefusalCode
  // the dev loop: a sync or a sync+exec hook that failed in a container (watching goes on)
  | 'sync_failed' | 'exec_failed'
  // 6: the project lock
  | 'project_locked' | 'lock_compromised' | 'lock_dir_unsafe'
  // 130
  | 'interrupted';

/**
 * The engine refused because something is in the way (exit code 5, with a hint): not a bug in
 * tug, and nothing a retry fixes by itself. `engine/api-error.ts` tells them apart, in one place.
 */
export type EngineRefusalCode =
  /** A host port another container (or another process) holds. */
  | 'port_allocated'
  /** A container name taken by a container that is not this replica. */
  | 'name_conflict'
  /** Two or more networks answer to one name. */
  | 'network_ambiguous'
  /** A network or volume of the project's name exists but is not the project's. */
  | 'network_conflict' | 'volume_conflict'
  /** A network still has containers attached (`down`). */
  | 'network_in_use'
  /** containerd still holds a task for the container (an engine killed mid-run). */
  | 'task_exists'
  /** A bind mount's host path is missing (with `create_host_path: false`) or of the wrong kind. */
  | 'bind_source_invalid'
  /** The engine's disk (or its image store) is full. */
  | 'no_space'
  /** The engine has no address range left for another network. */
  | 'address_pools_exhausted';

/** What is wrong with the stack files, or with what they ask of the engine (exit code 3). */
export type StackErrorCode =
  | 'no_stack_file' | 'file_not_found' | 'file_unreadable' | 'file_is_directory' | 'file_too_large' | 'file_binary' | 'file_empty'
  | 'file_not_regular'
  | 'env_file_not_found' | 'invalid_env_file'
  | 'yaml_syntax' | 'yaml_warning' | 'yaml_too_deep' | 'yaml_alias_bomb' | 'yaml_too_many_nodes' | 'top_level_not_mapping' | 'duplicate_item'
  | 'invalid_key' | 'unknown_key' | 'missing_key' | 'unsupported_key' | 'invalid_type' | 'invalid_value' | 'invalid_port' | 'invalid_duration'
  | 'invalid_blkio' | 'invalid_seccomp_profile' | 'unset_variable' | 'missing_variable'
  | 'extends_cycle' | 'extends_unknown' | 'include_cycle' | 'include_conflict' | 'dependency_cycle'
  | 'undefined_network' | 'undefined_volume' | 'undefined_secret' | 'undefined_config' | 'external_network' | 'external_volume' | 'external_missing'
  | 'no_image' | 'unsupported' | 'container_name_scale' | 'container_name_with_scale' | 'host_port_with_scale'
  | 'required_variable' | 'invalid_interpolation' | 'interpolation_too_deep' | 'invalid_boolean' | 'invalid_integer' | 'invalid_byte_size' | 'invalid_cpus'
  | 'invalid_command' | 'invalid_restart' | 'invalid_ulimit' | 'invalid_volume' | 'missing_source' | 'network_mode_conflict'
  | 'conflicting_limits' | 'conflicting_scale' | 'dependency_disabled' | 'optional_dependency_missing' | 'cpus_above_host'
  | 'host_port_conflict' | 'watch_unsupported' | 'watch_path_missing' | 'no_watch_rules' | 'several_stack_files';

/** What a swarm cannot be asked (exit code 3), and the keys it ignores (warnings). */
export type SwarmErrorCode =
  | 'swarm_unsupported' | 'invalid_swarm_value' | 'swarm_ignored' | 'swarm_network_driver' | 'swarm_api_too_old'
  | 'invalid_service_name' | 'empty_object' | 'object_too_large' | 'invalid_object_name' | 'unreadable_file'
  | 'missing_secret' | 'missing_config' | 'swarm_bind_mount';

export interface SourceLocation {
  file: string;
  /** 1-based; 0 when the problem has no single line (a cycle, an alias bomb). */
  line: number;
  /** 1-based column. */
  col: number;
}

export interface Diagnostic {
  code: ErrorCode;
  message: string;
  location?: SourceLocation;
  /** The YAML path in the user's terms, e.g. `services.web.healthcheck.interval`. */
  path?: string;
  hint?: string;
}

export class TugError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly location?: SourceLocation;
  readonly path?: string;
  readonly hint?: string;

  constructor(
    code: ErrorCode,
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
  constructor(code: StackErrorCode, message: string, location: SourceLocation, hint?: string) {
    super(code, message, { exitCode: ExitCode.invalidStack, location, hint });
  }
}

/** One or more problems found while validating a stack; all are reported together. */
export class StackInvalidError extends TugError {
  readonly problems: Diagnostic[];
  constructor(problems: Diagnostic[]) {
    const first = problems[0];
    super(first?.code ?? 'invalid_value', first ? first.message : 'invalid stack', {
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
  constructor(code: ErrorCode, message: string, hint?: string, opts: { location?: SourceLocation; path?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, exitCode: ExitCode.serviceFailed, hint });
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
