/**
 * Relative paths in a stack file mean "relative to the project directory" — except in a file
 * reached through `include` or `extends: {file}`, where they mean "relative to that file".
 * Those documents are made absolute against their own directory before they are merged, so
 * that after merging a single pass against the project directory is right for everything.
 */
import os from 'node:os';
import path from 'node:path';
import { type Dict, isPlainObject } from '../util/dict.js';

export function resolveHostPath(p: string, baseDir: string, home: string = os.homedir()): string {
  if (p === '~' || p.startsWith('~/')) return path.join(home, p.slice(1));
  return path.resolve(baseDir, p);
}

/** A build context may be a URL or `service:`/`docker-image:` reference: only local paths resolve. */
function isLocalContext(ctx: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(ctx) && !/^(git@|github\.com\/)/.test(ctx) && !/^[a-z-]+:[^/\\]/i.test(ctx);
}

export function resolveServicePaths(svc: Dict, baseDir: string, home?: string): Dict {
  const s: Dict = { ...svc };
  if (isPlainObject(s.build) && typeof s.build.context === 'string' && isLocalContext(s.build.context)) {
    s.build = { ...s.build, context: resolveHostPath(s.build.context, baseDir, home) };
  } else if (isPlainObject(s.build) && s.build.context === undefined) {
    s.build = { ...s.build, context: baseDir };
  }
  if (Array.isArray(s.env_file)) {
    s.env_file = s.env_file.map((e) => (isPlainObject(e) && typeof e.path === 'string' ? { ...e, path: resolveHostPath(e.path, baseDir, home) } : e));
  }
  if (Array.isArray(s.label_file)) s.label_file = s.label_file.map((f) => resolveHostPath(String(f), baseDir, home));
  if (Array.isArray(s.volumes)) {
    s.volumes = s.volumes.map((v) =>
      isPlainObject(v) && v.type === 'bind' && typeof v.source === 'string' ? { ...v, source: resolveHostPath(v.source, baseDir, home) } : v,
    );
  }
  // A watch rule's path is the host's, relative to the file that declares it (as in Compose).
  if (isPlainObject(s.develop) && Array.isArray(s.develop.watch)) {
    s.develop = {
      ...s.develop,
      watch: s.develop.watch.map((w) => (isPlainObject(w) && typeof w.path === 'string' ? { ...w, path: resolveHostPath(w.path, baseDir, home) } : w)),
    };
  }
  if (isPlainObject(s.extends) && typeof s.extends.file === 'string') {
    s.extends = { ...s.extends, file: resolveHostPath(s.extends.file, baseDir, home) };
  }
  return s;
}

export function resolveDocPaths(doc: Dict, baseDir: string, home?: string): Dict {
  const out: Dict = { ...doc };
  if (isPlainObject(doc.services)) {
    out.services = Object.fromEntries(
      Object.entries(doc.services).map(([n, s]) => [n, isPlainObject(s) ? resolveServicePaths(s, baseDir, home) : s]),
    );
  }
  for (const kind of ['secrets', 'configs']) {
    if (!isPlainObject(doc[kind])) continue;
    out[kind] = Object.fromEntries(
      Object.entries(doc[kind] as Dict).map(([n, r]) => [
        n,
        isPlainObject(r) && typeof r.file === 'string' ? { ...r, file: resolveHostPath(r.file, baseDir, home) } : r,
      ]),
    );
  }
  return out;
}
