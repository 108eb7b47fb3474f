/**
 * Files in and out of containers (`tug cp`) through the engine's archive endpoints, which
 * speak tar: GET returns the path as an archive rooted at its base name, PUT extracts one
 * into a directory, and both report the path's stat in a header.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { DockerClient } from './client.js';
import type { PathStat } from '../types.js';

const STAT_HEADER = 'x-docker-container-path-stat';
/** Go's os.ModeDir and os.ModeSymlink, as the engine encodes them in `mode`. */
const MODE_DIR = 0x80000000;
const MODE_SYMLINK = 0x08000000;

function parseStat(res: IncomingMessage): PathStat {
  const raw = res.headers[STAT_HEADER];
  const s = JSON.parse(Buffer.from(String(raw ?? ''), 'base64').toString('utf8') || '{}') as Record<string, unknown>;
  const mode = Number(s.mode ?? 0);
  return {
    name: String(s.name ?? ''),
    size: Number(s.size ?? 0),
    mode,
    isDir: (mode & MODE_DIR) !== 0,
    isSymlink: (mode & MODE_SYMLINK) !== 0,
    linkTarget: String(s.linkTarget ?? ''),
  };
}

const archivePath = (id: string) => `/containers/${encodeURIComponent(id)}/archive?`;

export async function statPath(client: DockerClient, id: string, path: string): Promise<PathStat | undefined> {
  const res = await client.orMissing(client.dial<IncomingMessage>(`looking up ${path} in container ${id}`, {
    path: archivePath(id), method: 'HEAD', isStream: true, options: { path }, statusCodes: { 200: true },
  }));
  if (!res) return undefined;
  res.resume();
  return parseStat(res);
}

export async function readArchive(client: DockerClient, id: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
  const res = await client.dial<IncomingMessage>(`copying ${path} out of container ${id}`, {
    path: archivePath(id), method: 'GET', isStream: true, options: { path }, statusCodes: { 200: true },
  });
  return { stat: parseStat(res), tar: res };
}

export async function writeArchive(client: DockerClient, id: string, dir: string, tar: Readable, opts: { copyUidGid?: boolean }): Promise<void> {
  const query: Record<string, string> = { path: dir, noOverwriteDirNonDir: 'true' };
  if (opts.copyUidGid) query.copyUIDGID = 'true';
  await client.dial(`copying into ${dir} in container ${id}`, {
    path: archivePath(id), method: 'PUT', file: tar, options: query, statusCodes: { 200: true },
  });
}
