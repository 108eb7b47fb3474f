/**
 * Which files make the stack, where the project lives, and what it is called: the same
 * answers `docker compose` gives, so a user's existing layout works unchanged.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { StackFileError, UsageError } from '../errors.js';

/** compose-go's cli.DefaultFileNames and DefaultOverrideFileNames, in their order of preference. */
export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
export const DEFAULT_OVERRIDE_FILES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

export interface Discovered {
  /** Absolute paths, or `-` for stdin, in merge order. */
  files: string[];
  projectDir: string;
  /** Found by discovery: several default names in one directory (Compose warns and takes the first). */
  warnings: string[];
}

/** `-f` files, else COMPOSE_FILE, else the nearest default file (and its override) upwards from cwd. */
export function discoverFiles(opts: {
  cwd: string;
  files?: string[];
  projectDirectory?: string;
  env: Record<string, string | undefined>;
}): Discovered {
  const { cwd, env } = opts;
  let files = opts.files?.filter((f) => f !== '') ?? [];
  if (files.length === 0 && env.COMPOSE_FILE) {
    const sep = env.COMPOSE_PATH_SEPARATOR || path.delimiter;
    files = env.COMPOSE_FILE.split(sep).filter((f) => f !== '');
  }
  if (files.length > 0) {
    const abs = files.map((f) => (f === '-' ? '-' : path.resolve(cwd, f)));
    return { files: abs, projectDir: workingDirectory(cwd, abs, opts.projectDirectory), warnings: [] };
  }
  const start = opts.projectDirectory ? path.resolve(cwd, opts.projectDirectory) : cwd;
  for (let dir = start; ; dir = path.dirname(dir)) {
    const found = DEFAULT_FILES.map((f) => path.join(dir, f)).filter(isFile);
    if (found.length > 0) {
      // Like compose-go's WithDefaultConfigPath: the first name found, and the first override
      // name found whichever main file that was (docker-compose.yml + compose.override.yaml).
      const warnings: string[] = [];
      const overrides = DEFAULT_OVERRIDE_FILES.map((f) => path.join(dir, f)).filter(isFile);
      if (found.length > 1) warnings.push(`found several stack files in ${dir}: ${found.map((f) => path.basename(f)).join(', ')}; using ${path.basename(found[0]!)}`);
      if (overrides.length > 1) warnings.push(`found several override files in ${dir}: ${overrides.map((f) => path.basename(f)).join(', ')}; using ${path.basename(overrides[0]!)}`);
      return {
        files: overrides[0] ? [found[0]!, overrides[0]] : [found[0]!],
        projectDir: opts.projectDirectory ? path.resolve(cwd, opts.projectDirectory) : dir,
        warnings,
      };
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new StackFileError('no_stack_file',
    `no stack file found in ${start} or its parents (looked for ${DEFAULT_FILES.join(', ')})`,
    { file: start, line: 0, col: 0 }, 'create compose.yaml, or name the file with -f');
}

/**
 * compose-go's ProjectOptions.GetWorkingDir: --project-directory, else the directory of the
 * first file that is not stdin, else the current directory. Before discovery (no -f) that is
 * where the first `.env` is looked for.
 */
export function workingDirectory(cwd: string, files: readonly string[], projectDirectory: string | undefined): string {
  if (projectDirectory) return path.resolve(cwd, projectDirectory);
  const first = files.find((f) => f !== '-');
  return first ? path.dirname(path.resolve(cwd, first)) : cwd;
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The default `.env` of a project directory, when it exists. */
export function defaultEnvFiles(projectDir: string): string[] {
  const f = path.join(projectDir, '.env');
  return existsSync(f) && isFile(f) ? [f] : [];
}

const VALID_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Compose's rule for names derived from a directory: lowercase, keep [a-z0-9_-], start alnum. */
export function normaliseProjectName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

/**
 * -p, then COMPOSE_PROJECT_NAME, then `name:` in the file, then the directory name. Names the
 * user typed must already be valid (silently changing them would hide a typo); the
 * directory name is normalised.
 */
export function resolveProjectName(opts: {
  flag?: string;
  env: Record<string, string | undefined>;
  fromFile?: string;
  projectDir: string;
}): string {
  const given: [string, string | undefined][] = [
    ['-p/--project-name', opts.flag],
    ['COMPOSE_PROJECT_NAME', opts.env.COMPOSE_PROJECT_NAME],
    ['the top-level name:', opts.fromFile],
  ];
  for (const [source, value] of given) {
    if (value === undefined || value === '') continue;
    if (!VALID_NAME.test(value)) {
      throw new UsageError(
        `invalid project name "${value}" (from ${source})`,
        `a project name must be lowercase letters, digits, '-' and '_', starting with a letter or digit, e.g. "${normaliseProjectName(value) || 'myapp'}"`,
      );
    }
    return value;
  }
  const derived = normaliseProjectName(path.basename(opts.projectDir));
  if (derived === '') {
    throw new UsageError(`cannot derive a project name from the directory ${opts.projectDir}`, 'set one with -p NAME or a top-level name: key');
  }
  return derived;
}

/**
 * Active profiles: each --profile; without any, COMPOSE_PROFILES (comma-separated), as
 * compose-go's WithDefaultProfiles does (the flag replaces the variable, it does not add to it).
 */
export function activeProfiles(flags: string[] | undefined, env: Record<string, string | undefined>): string[] {
  const given = (flags ?? []).flatMap((p) => p.split(',')).map((s) => s.trim()).filter(Boolean);
  const chosen = given.length > 0 ? given : (env.COMPOSE_PROFILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return [...new Set(chosen)];
}
