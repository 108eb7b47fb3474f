/**
 * A container's filesystem, just enough for `cp` and for files written at create: paths to
 * files and directories, read and written as tar archives the way the engine's archive
 * endpoints speak them.
 */
import path from 'node:path/posix';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { PathStat } from '../../src/engine/engine.js';

/** Go's os.ModeDir and os.ModeSymlink, as the engine encodes them in a stat's `mode`. */
const MODE_DIR = 0x80000000;

interface Entry {
  dir: boolean;
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

export class FakeFs {
  private readonly entries = new Map<string, Entry>([['/', { dir: true, content: Buffer.alloc(0), mode: 0o755, uid: 0, gid: 0 }]]);

  constructor(dirs: string[] = ['/etc', '/tmp', '/var', '/usr', '/bin']) {
    for (const d of dirs) this.mkdir(d);
  }

  mkdir(dir: string, mode = 0o755): void {
    const p = path.resolve('/', dir);
    if (p !== '/') this.mkdir(path.dirname(p));
    if (!this.entries.has(p)) this.entries.set(p, { dir: true, content: Buffer.alloc(0), mode, uid: 0, gid: 0 });
  }

  writeFile(file: string, content: string | Buffer, mode = 0o644, uid = 0, gid = 0): void {
    const p = path.resolve('/', file);
    this.mkdir(path.dirname(p));
    this.entries.set(p, { dir: false, content: Buffer.from(content), mode, uid, gid });
  }

  readFile(file: string): Buffer | undefined {
    const e = this.entries.get(path.resolve('/', file));
    return e && !e.dir ? e.content : undefined;
  }

  stat(p: string): PathStat | undefined {
    const abs = path.resolve('/', p);
    const e = this.entries.get(abs);
    if (!e) return undefined;
    const name = /\/\.$/.test(p) ? '.' : abs === '/' ? '/' : path.basename(abs);
    return { name, size: e.dir ? 4096 : e.content.length, mode: (e.dir ? MODE_DIR : 0) | e.mode, isDir: e.dir, isSymlink: false, linkTarget: '' };
  }

  /** `p` as a tar whose root entry is named as `stat(p).name` (its contents only for `dir/.`). */
  archive(p: string): Readable {
    const abs = path.resolve('/', p);
    const root = /\/\.$/.test(p) ? '.' : path.basename(abs) || '.';
    const pack = tarStream.pack();
    for (const [name, e] of [...this.entries].sort(([a], [b]) => a.localeCompare(b))) {
      if (name !== abs && !name.startsWith(abs === '/' ? '/' : `${abs}/`)) continue;
      const rel = path.join(root, path.relative(abs, name));
      if (e.dir) pack.entry({ name: `${rel}/`, type: 'directory', mode: e.mode, uid: e.uid, gid: e.gid });
      else pack.entry({ name: rel, mode: e.mode, uid: e.uid, gid: e.gid }, e.content);
    }
    pack.finalize();
    return Readable.from(pack);
  }

  /** Extracts a tar into the directory `dir`; never replaces a directory with a file or the reverse. */
  async extract(dir: string, tar: Readable, copyUidGid: boolean): Promise<void> {
    const base = path.resolve('/', dir);
    const extract = tarStream.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => void chunks.push(Buffer.from(c as Uint8Array)));
        stream.on('end', () => {
          const target = path.join(base, header.name);
          const existing = this.entries.get(target);
          const dirEntry = header.type === 'directory';
          if (existing && existing.dir !== dirEntry) {
            reject(new Error(`cannot overwrite ${existing.dir ? 'directory' : 'non-directory'} "${target}" with ${dirEntry ? 'directory' : 'non-directory'}`));
            return;
          }
          const uid = copyUidGid ? (header.uid ?? 0) : 0;
          const gid = copyUidGid ? (header.gid ?? 0) : 0;
          if (dirEntry) this.mkdir(target, header.mode ?? 0o755);
          else this.writeFile(target, Buffer.concat(chunks), header.mode ?? 0o644, uid, gid);
          next();
        });
        stream.resume();
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    tar.pipe(extract);
    await done;
  }
}
