/**
 * Lines for problems found after loading. A container request is compiled long after the
 * files were read, yet its refusals must still point at the line the user wrote: each loaded
 * project remembers its locator here, and a refusal's YAML path (as `formatPath` writes it)
 * is looked up again.
 */
import { TugError, type Diagnostic, type SourceLocation } from '../errors.js';
import type { Locator } from './locate.js';
import type { Project } from './model.js';

const locators = new WeakMap<Project, Locator>();

export function rememberSources(project: Project, locate: Locator): void {
  locators.set(project, locate);
}

/** Where the value at `path` (`services.web.ports[0]`, `labels["a.b"]`) was written, when known. */
export function sourceOf(project: Project, path: string): SourceLocation | undefined {
  const locate = locators.get(project);
  const segments = parsePath(path);
  if (!locate || !segments) return undefined;
  const loc = locate(segments);
  return loc && loc.line > 0 ? loc : undefined;
}

/** The inverse of formatPath; undefined for text it cannot have written. */
export function parsePath(path: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '.') {
      if (out.length === 0) return undefined;
      i++;
    }
    if (path[i] === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) return undefined;
      const inner = path.slice(i + 1, end);
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else {
        // A quoted key may itself contain "]": read the JSON string to its closing quote.
        const m = /^"(?:[^"\\]|\\.)*"/.exec(path.slice(i + 1));
        if (!m) return undefined;
        out.push(JSON.parse(m[0]) as string);
        i += 1 + m[0].length + 1;
        continue;
      }
      i = end + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_-]+/.exec(path.slice(i));
    if (!m) return undefined;
    out.push(m[0]);
    i += m[0].length;
  }
  return out;
}

/**
 * Runs a translation of the project (a container request, a swarm service spec): a refusal
 * that names its YAML path gets the line the user wrote it on.
 */
export function withSourceLines<T>(project: Project, translate: () => T): T {
  try {
    return translate();
  } catch (err) {
    if (!(err instanceof TugError) || err.location || !err.path) throw err;
    const location = sourceOf(project, err.path);
    if (!location) throw err;
    throw new TugError(err.code, err.message, { exitCode: err.exitCode, location, path: err.path, hint: err.hint, cause: err.cause });
  }
}

/** The same for a warning. */
export function locatedDiagnostic(project: Project, d: Diagnostic): Diagnostic {
  if (d.location || !d.path) return d;
  const location = sourceOf(project, d.path);
  return location ? { ...d, location } : d;
}

/**
 * Where `path` itself was written, not an ancestor standing in for it (the locator falls back
 * to the nearest written ancestor): for picking one entry of a list by trying candidates.
 */
export function ownSourceOf(project: Project, path: string): SourceLocation | undefined {
  const loc = sourceOf(project, path);
  const segments = parsePath(path);
  if (!loc || !segments || segments.length < 2) return loc;
  const parent = locators.get(project)?.(segments.slice(0, -1));
  return parent && parent.file === loc.file && parent.line === loc.line && parent.col === loc.col ? undefined : loc;
}
