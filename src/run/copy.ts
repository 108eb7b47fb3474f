/**
 * `tug cp`: files between a service's container and the local filesystem, with `docker cp`'s
 * rules for where they land:
 * - into an existing directory, the source keeps its name (`dir/.` copies only its contents);
 * - onto a path that does not exist, the source takes that name (its parent must exist);
 * - a file replaces a file; a directory never replaces a file, and a path ending in `/` must
 *   be an existing directory.
 * Both ways are one tar stream: the engine's archive is rooted at the source's base name, so
 * placing it means renaming that first path segment and choosing the directory to extract in.
 */
import type { Stats } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import { extract, pack, type ExtractOptions, type Headers } from 'tar-fs';
import type { Engine, PathStat } from '../engine/engine.js';
import { ExitCode, TugError, UsageError } from '../errors.js';
import { checkServiceNames } from '../plan/lifecycle.js';
import type { Project } from '../stack/model.js';
import { ps } from './ps.js';

/** A path that cannot be copied as asked: the user's argument to fix (exit 2), not a flag misuse. */
const pathError = (message: string, hint?: string) => new TugError('copy_path', message, { exitCode: ExitCode.usage, hint });

export interface CopyOptions {
  /** Keep owners (uid/gid) as they are; otherwise what lands is owned by the receiving side. */
  archive?: boolean;
  /** Copy what a symlink given as the source points to, not the link. */
  followLink?: boolean;
}

/** A `SERVICE:PATH` argument, or a local path (`-` for stdin/stdout). */
export type CopyEndpoint = { service: string; path: string } | { local: string };

/**
 * As `docker cp`: an absolute or dot-relative path is local even with a colon in it; otherwise
 * the part before the first colon names a service.
 */
export function parseEndpoint(arg: string): CopyEndpoint {
  if (arg === '-' || path.isAbsolute(arg) || arg.startsWith('.')) return { local: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { local: arg };
  return { service: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

/** Where an archive rooted at `from` goes: extracted in `dir`, its root renamed to `root`. */
export interface Placement {
  dir: string;
  root: string;
}

interface Source {
  isDir: boolean;
  /** The source path ends in `/.`: its contents, not itself. */
  contentsOnly: boolean;
  name: string;
}

interface Destination {
  path: string;
  exists: boolean;
  isDir: boolean;
}

const endsWithSep = (p: string) => p.endsWith('/');
const contentsOf = (p: string) => p === '.' || p.endsWith('/.');

/** The docker cp rules, independent of which side is the container. */
export function place(src: Source, dest: Destination, paths: Pick<typeof path.posix, 'dirname' | 'basename'>): Placement {
  if (dest.exists && dest.isDir) return { dir: dest.path, root: src.contentsOnly ? '.' : src.name };
  if (dest.exists) {
    if (src.isDir) throw pathError(`cannot copy a directory onto the file ${dest.path}`, 'name a directory, or a path that does not exist yet');
    return { dir: paths.dirname(dest.path), root: paths.basename(dest.path) };
  }
  if (endsWithSep(dest.path) && !src.isDir) {
    throw pathError(`destination directory ${dest.path} does not exist`, 'create it first, or drop the trailing / to copy to a file of that name');
  }
  const trimmed = dest.path.replace(/\/+$/, '') || '/';
  return { dir: paths.dirname(trimmed), root: paths.basename(trimmed) };
}

/**
 * Renames the first segment of an entry's name from `from` to `to`. Names look like `d`, `d/`,
 * `d/a.txt`, or for the contents of a directory `./`, `./a.txt`.
 */
export function renameRoot(name: string, from: string, to: string): string {
  const [head, ...rest] = name.split('/');
  if (head !== from) return name;
  const tail = rest.join('/');
  return tail ? `${to}/${tail}` : name.endsWith('/') ? `${to}/` : to;
}

/** A service's container → the local filesystem (or a tar stream on `out` for `-`). */
export async function copyFromContainer(engine: Engine, id: string, srcPath: string, dest: string, opts: CopyOptions, out: Writable): Promise<void> {
  let stat0 = await engine.containers.statPath(id, srcPath);
  if (!stat0) throw pathError(`no such file or directory in the container: ${srcPath}`);
  let fetchPath = srcPath;
  const wantedName = stat0.name;
  if (opts.followLink && stat0.isSymlink) {
    fetchPath = path.posix.resolve(path.posix.dirname(srcPath), stat0.linkTarget);
    stat0 = (await engine.containers.statPath(id, fetchPath)) ?? stat0;
  }
  if (dest === '-') {
    const { tar } = await engine.containers.readArchive(id, fetchPath);
    await pipeline(tar, out, { end: false });
    return;
  }
  const local = await localStat(dest);
  const placement = place(
    { isDir: stat0.isDir, contentsOnly: contentsOf(srcPath), name: wantedName },
    { path: dest, exists: local !== undefined, isDir: local?.isDirectory() ?? false },
    path,
  );
  await requireLocalDir(placement.dir);
  const { stat: remote, tar } = await engine.containers.readArchive(id, fetchPath);
  // tar-fs chowns to the archive's owners when run as root; docker cp only does with --archive.
  // Links are kept as written (`/etc/x` means the container's), as docker cp does; tar-fs still
  // refuses to write through a link, so nothing lands outside the destination.
  const extractOpts: ExtractOptions & { chown: boolean; validateSymlinks: boolean } = {
    chown: opts.archive === true,
    validateSymlinks: false,
    map: (h: Headers) => ({ ...h, name: renameRoot(h.name, remote.name, placement.root) }),
  };
  await pipeline(tar, extract(placement.dir, extractOpts));
}

/** The local filesystem (or a tar stream on `input` for `-`) → a service's container. */
export async function copyToContainer(engine: Engine, id: string, src: string, destPath: string, opts: CopyOptions, input: Readable): Promise<void> {
  if (src === '-') {
    const dest = await engine.containers.statPath(id, destPath);
    if (!dest?.isDir) throw pathError(`${destPath} is not a directory in the container`, 'a tar stream on stdin is extracted into a directory');
    await engine.containers.writeArchive(id, destPath, input, { copyUidGid: opts.archive });
    return;
  }
  const linkStat = await localStat(src, true);
  if (!linkStat) throw pathError(`no such file or directory: ${src}`);
  const source = opts.followLink && linkStat.isSymbolicLink() ? await realpath(src) : src.replace(/\/\.$/, '') || '.';
  const srcStat = opts.followLink ? await stat(source) : linkStat;
  const name = path.basename(path.resolve(src.replace(/\/\.$/, '')));
  const dest: PathStat | undefined = await engine.containers.statPath(id, destPath);
  const placement = place(
    { isDir: srcStat.isDirectory(), contentsOnly: contentsOf(src), name },
    { path: destPath, exists: dest !== undefined, isDir: dest?.isDir ?? false },
    path.posix,
  );
  const parent = placement.dir === destPath ? dest : await engine.containers.statPath(id, placement.dir);
  if (!parent?.isDir) throw pathError(`${placement.dir} is not a directory in the container`, 'create it first (tug exec SERVICE mkdir -p DIR)');
  const from = path.basename(path.resolve(source));
  const tar = pack(path.dirname(path.resolve(source)), {
    entries: [from],
    map: (h: Headers) => ({
      ...h,
      name: renameRoot(h.name, from, placement.root),
      // As docker cp: owned by the container's root unless --archive.
      ...(opts.archive ? {} : { uid: 0, gid: 0, uname: '', gname: '' }),
    }),
  });
  // tar-stream's Pack is a streamx stream; wrap it for node:stream consumers.
  await engine.containers.writeArchive(id, placement.dir, Readable.from(tar), { copyUidGid: opts.archive });
}

async function localStat(p: string, noFollow = false): Promise<Stats | undefined> {
  try {
    return await (noFollow ? lstat(p) : stat(p));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function requireLocalDir(dir: string): Promise<void> {
  const s = await localStat(dir);
  if (!s?.isDirectory()) throw pathError(`${dir} is not a directory`, 'create it first');
}

export interface CopyRequest extends CopyOptions {
  source: string;
  destination: string;
  /** Replica number; without it, copying into a service reaches all of its containers. */
  index?: number;
}

/** Resolves the service side to containers (stopped ones too) and copies; returns their names. */
export async function copy(engine: Engine, project: Project, req: CopyRequest, io: { stdin: Readable; stdout: Writable }): Promise<string[]> {
  const from = parseEndpoint(req.source);
  const to = parseEndpoint(req.destination);
  const remote = 'service' in from ? from : 'service' in to ? to : undefined;
  if (!remote) throw new UsageError('one side of tug cp must be SERVICE:PATH', 'e.g. tug cp web:/etc/hosts ./hosts, or tug cp ./conf web:/etc/app');
  if ('service' in from && 'service' in to) throw new UsageError('copying between two containers is not supported', 'copy to the local filesystem first');
  checkServiceNames(project, [remote.service]);
  const all = await ps(engine, project.name, { all: true, services: [remote.service] });
  const chosen = req.index !== undefined ? all.filter((c) => c.number === req.index) : 'service' in from ? all.slice(0, 1) : all;
  if (chosen.length === 0) {
    throw new TugError('no_container', req.index !== undefined
      ? `service "${remote.service}" has no container number ${req.index}`
      : `service "${remote.service}" has no container`, { exitCode: ExitCode.serviceFailed, hint: 'create it first: tug up -d (or tug create)' });
  }
  try {
    await copyBetween(engine, from, to, chosen, req, io);
  } catch (e) {
    throw localProblem(e) ?? e;
  }
  return chosen.map((c) => c.name);
}

async function copyBetween(engine: Engine, from: CopyEndpoint, to: CopyEndpoint, chosen: readonly { id: string }[], req: CopyRequest, io: { stdin: Readable; stdout: Writable }): Promise<void> {
  if ('service' in from) {
    await copyFromContainer(engine, chosen[0]!.id, from.path, (to as { local: string }).local, req, io.stdout);
  } else {
    // A stream can be read once: stdin goes to the first container only.
    if (from.local === '-' && chosen.length > 1) throw new UsageError('a tar stream on stdin can only go to one container', 'add --index N');
    for (const c of chosen) await copyToContainer(engine, c.id, from.local, (to as { path: string }).path, req, io.stdin);
  }
}

/** A local path that cannot be read or written is the user's to fix, not a tug bug. */
function localProblem(e: unknown): TugError | undefined {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'permission denied', ENOTDIR: 'not a directory', EISDIR: 'is a directory',
    EEXIST: 'already exists', ENOSPC: 'no space left on the device', EROFS: 'read-only file system',
  };
  if (!(e instanceof Error) || e instanceof TugError || !err.code || !why[err.code]) return undefined;
  return pathError(`cannot copy: ${err.path ?? ''}${err.path ? ': ' : ''}${why[err.code]}`);
}
