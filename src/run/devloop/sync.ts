/**
 * A batch of changed paths into a service's containers, as Compose does it: what still exists
 * goes as ONE tar stream per container, extracted at `/` (entries named by their container
 * paths, owners as on the host: `copyUIDGID`), and what was deleted is removed first with one
 * `rm -rf` exec per container. A directory that appeared goes whole (what its rule takes of it).
 */
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { pack } from 'tar-stream';
import type { Engine } from '../../engine/engine.js';
import { containerPath, takes, type WatchRuleSpec } from './rules.js';

/** A changed host path and the rule that took it. */
export interface SyncMapping {
  hostPath: string;
  rule: WatchRuleSpec;
}

export interface TarEntry {
  /** The container path without its leading `/`: the archive is extracted at `/`. */
  name: string;
  hostPath: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkname?: string;
}

export interface SyncPlan {
  entries: TarEntry[];
  /** Container paths to remove; none inside another. */
  deletes: string[];
}

/** What exists now goes in, what is gone is removed; directories with what their rule takes of them. */
export async function planSync(mappings: readonly SyncMapping[]): Promise<SyncPlan> {
  // By container path, the last one wins (two rules may map one file).
  const entries = new Map<string, TarEntry>();
  const deletes = new Set<string>();
  const add = (rule: WatchRuleSpec, hostPath: string, st: Stats, linkname?: string): void => {
    const target = containerPath(rule, hostPath);
    const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'file';
    deletes.delete(target);
    entries.set(target, {
      name: target.replace(/^\/+/, '') || '.', hostPath, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime,
      ...(linkname !== undefined ? { linkname } : {}),
    });
  };
  const walk = async (rule: WatchRuleSpec, dir: string): Promise<void> => {
    let children: Dirent[];
    try {
      children = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    for (const d of children) {
      const p = path.join(dir, d.name);
      // An ignored directory is not entered (node_modules...), as the build context's walk does.
      if (!takes(rule, p)) continue;
      await visit(rule, p);
    }
  };
  const visit = async (rule: WatchRuleSpec, hostPath: string): Promise<void> => {
    let st: Stats;
    try {
      st = await lstat(hostPath);
    } catch (e) {
      if (!gone(e)) throw e;
      const target = containerPath(rule, hostPath);
      entries.delete(target);
      deletes.add(target);
      return;
    }
    if (st.isSymbolicLink()) return add(rule, hostPath, st, await readlink(hostPath));
    if (st.isFile()) return add(rule, hostPath, st);
    if (!st.isDirectory()) return; // sockets, fifos, devices: not in a tar (Docker skips them too)
    add(rule, hostPath, st);
    await walk(rule, hostPath);
  };
  for (const m of mappings) await visit(m.rule, m.hostPath);
  return { entries: [...entries.values()], deletes: outermost([...deletes]).filter((p) => p !== '/') };
}

/** Drops the paths inside another one of the list: `rm -rf a` covers `a/b`. */
export function outermost(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  const out: string[] = [];
  for (const p of sorted) {
    const last = out.at(-1);
    if (last !== undefined && (p === last || p.startsWith(last.endsWith('/') ? last : `${last}/`))) continue;
    out.push(p);
  }
  return out;
}

function gone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The entries as a tar stream. Each file is read whole when its turn comes, so the size in its
 * header is what is sent even if it is being written meanwhile; a file deleted since it was
 * planned is left out. `onBytes` counts the content sent.
 */
const READ_AHEAD = 16;

export function tarOf(entries: readonly TarEntry[], onBytes: (n: number) => void = () => {}): Readable {
  const tar = pack();
  const put = (header: Parameters<typeof tar.entry>[0], data?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data) tar.entry(header, data, cb);
      else tar.entry(header, cb);
    });
  // Files are read a few ahead of the one being written: many small files are the usual batch.
  const reads = new Map<number, Promise<Buffer | undefined>>();
  const readAhead = (from: number) => {
    for (let j = from; j < Math.min(entries.length, from + READ_AHEAD); j++) {
      if (entries[j]!.type !== 'file' || reads.has(j)) continue;
      reads.set(j, readFile(entries[j]!.hostPath).catch((err: unknown) => {
        if (gone(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw err;
      }));
    }
  };
  void (async () => {
    try {
      for (const [i, e] of entries.entries()) {
        const base = { name: e.name, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
        if (e.type === 'directory') await put({ ...base, type: 'directory' });
        else if (e.type === 'symlink') await put({ ...base, type: 'symlink', linkname: e.linkname });
        else {
          readAhead(i);
          const data = await reads.get(i)!;
          reads.delete(i);
          if (data === undefined) continue;
          await put({ ...base, type: 'file', size: data.length }, data);
          onBytes(data.length);
        }
      }
      tar.finalize();
    } catch (err) {
      for (const r of reads.values()) r.catch(() => {});
      tar.destroy(err as Error);
    }
  })();
  // tar-stream's Pack is a streamx stream, which pipes into node:stream writables as it is (as
  // the build context does); wrapping it in Readable.from costs ~5x on a batch of small files.
  return tar as unknown as Readable;
}

export interface SyncTarget {
  id: string;
  name: string;
}

export interface ContainerSyncResult {
  container: string;
  /** Tar streams sent to it: one, or none when the batch only deletes. */
  archives: number;
  bytes: number;
  error?: Error;
}

/** The plan into each container, in parallel: the deletions first, then the one archive. */
export async function syncInto(engine: Engine, containers: readonly SyncTarget[], plan: SyncPlan): Promise<ContainerSyncResult[]> {
  return Promise.all(containers.map(async (c) => {
    const result: ContainerSyncResult = { container: c.name, archives: 0, bytes: 0 };
    try {
      if (plan.deletes.length > 0) {
        const r = await runIn(engine, c.id, { cmd: ['rm', '-rf', '--', ...plan.deletes] });
        if (r.exitCode !== 0) throw new Error(`removing ${plan.deletes.length} deleted path(s) failed (rm exited with code ${r.exitCode}${r.output ? `: ${lastLine(r.output)}` : ''})`);
      }
      if (plan.entries.length > 0) {
        result.archives++;
        await engine.containers.writeArchive(c.id, '/', tarOf(plan.entries, (n) => (result.bytes += n)), { copyUidGid: true });
      }
    } catch (e) {
      result.error = e instanceof Error ? e : new Error(String(e));
    }
    return result;
  }));
}

export interface CommandRun {
  cmd: string[];
  env?: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
}

/** Runs a command in a container to its end: its exit code and the tail of its output. */
export async function runIn(engine: Engine, id: string, run: CommandRun): Promise<{ exitCode: number; output: string }> {
  const session = await engine.exec.start(id, { ...run, tty: false, stdin: false });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  };
  session.stdout.on('data', keep);
  session.stderr.on('data', keep);
  // The output read to its end, so that its last line is there to report.
  const [exitCode] = await Promise.all([session.wait(), finished(session.stdout).catch(() => {}), finished(session.stderr).catch(() => {})]);
  return { exitCode, output: output.trimEnd() };
}

export function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}
