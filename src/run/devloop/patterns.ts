/**
 * Which host paths a watch rule leaves out, with Docker's pattern rules (those of
 * `.dockerignore`): a pattern matches a path or any of its parent directories, `**` crosses
 * directories, `!pattern` takes a match back. Patterns are relative to a root (the rule's path,
 * the build context); a path outside the root never matches.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import type { BuildConfig } from '../../stack/model.js';

// The package's typings describe an ES default export; at run time it is module.exports, which carries .default too.
const dockerignore = dockerignoreModule.default;

export interface PathMatcher {
  /** Whether the absolute host path (or one of its parents below the root) matches. */
  matches(absPath: string): boolean;
}

export const NO_MATCH: PathMatcher = { matches: () => false };

export function patternMatcher(root: string, patterns: readonly string[]): PathMatcher {
  let list = patterns.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'));
  // As Compose does: with `*` (an allow-list .dockerignore), only the exceptions are kept, so
  // that the files a rule watches are not all left out.
  if (list.includes('*')) list = list.filter((p) => p.startsWith('!'));
  if (list.length === 0) return NO_MATCH;
  const ig = dockerignore({ ignorecase: false }).add(list);
  return {
    matches: (abs) => {
      const rel = path.relative(root, abs);
      if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return false;
      return ig.ignores(rel.split(path.sep).join('/'));
    },
  };
}

/** Any of them. */
export function anyOf(...matchers: PathMatcher[]): PathMatcher {
  const live = matchers.filter((m) => m !== NO_MATCH);
  if (live.length === 0) return NO_MATCH;
  return { matches: (abs) => live.some((m) => m.matches(abs)) };
}

/**
 * What editors and tools write beside the files they save (swap, backup, lock and temp files)
 * and version control's own directory: never synced, never a reason to rebuild. The same list
 * as Compose's, with `.git` at any depth.
 */
export const EPHEMERAL_PATTERNS = [
  '**/.git',
  '**/*___jb_old___', '**/*___jb_tmp___', '**/.idea/**',
  '**/.#*', '**/#*#',
  '**/4913', '**/*~', '**/.*.swp', '**/.*.swx', '**/.*.swo', '**/.*.swn',
  '**/.*.kate-swp',
  '**/*-go-tmp-umask',
];

export const ephemeral: PathMatcher = patternMatcher('/', EPHEMERAL_PATTERNS);

/**
 * The `.dockerignore` of a build context as a matcher over host paths: `<Dockerfile>.dockerignore`
 * beside the context's root first, else `.dockerignore`, as BuildKit and Compose read them.
 */
export function dockerignoreOf(build: BuildConfig | undefined): PathMatcher {
  if (!build) return NO_MATCH;
  const root = path.resolve(build.context);
  for (const name of [`${build.dockerfile ?? 'Dockerfile'}.dockerignore`, '.dockerignore']) {
    let text: string;
    try {
      text = readFileSync(path.join(root, name), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') continue;
      throw e;
    }
    return patternMatcher(root, text.split(/\r?\n/));
  }
  return NO_MATCH;
}
