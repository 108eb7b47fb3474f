/** The build context sent to the engine: a tar of the context directory, as .dockerignore allows. */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignoreModule from '@balena/dockerignore';
import { pack as tarPack, type Headers as TarHeaders, type PackOptions } from 'tar-fs';
import { ExitCode, TugError } from '../../errors.js';

// The package's typings describe an ES default export; at runtime it is module.exports, which carries .default too.
const dockerignore = dockerignoreModule.default;

/**
 * The context as a tar stream, minus what `.dockerignore` excludes. The Dockerfile and
 * .dockerignore always go (the engine needs the one; the CLI sends both, and the engine drops
 * those of them that .dockerignore lists). A Dockerfile outside the context, or given inline,
 * travels under a generated name that is added to the sent .dockerignore, so it never lands in
 * the image. `text` is the Dockerfile's, for pointing at the line of a failing step.
 */
export async function buildContext(context: string, dockerfileOpt: string, inline?: string): Promise<{ tar: Readable; dockerfile: string; text: string }> {
  const root = resolve(context);
  const dockerfilePath = resolve(root, dockerfileOpt);
  const rel = relative(root, dockerfilePath);
  const outside = inline !== undefined || rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel);
  const dockerfile = outside ? `.dockerfile.${randomBytes(10).toString('hex')}` : rel.split(sep).join('/');
  let ignoreText: string | undefined;
  try {
    ignoreText = await readFile(join(root, '.dockerignore'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const patterns = (ignoreText ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  const exceptions = patterns.some((p) => p.startsWith('!'));
  const always = new Set(['.dockerignore', dockerfile]);
  const entries: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(join(root, dir), { withFileTypes: true })) {
      const p = dir ? posix.join(dir, d.name) : d.name;
      if (outside && p === '.dockerignore') continue; // replaced below
      const excluded = !always.has(p) && ig.ignores(p);
      if (d.isDirectory()) {
        if (!excluded) entries.push(p);
        // A later `!pattern` may re-include something below an excluded directory.
        if (!excluded || exceptions || [...always].some((a) => a.startsWith(`${p}/`))) await walk(p);
      } else if (!excluded) {
        entries.push(p);
      }
    }
  };
  try {
    await walk('');
  } catch (e) {
    throw new TugError('build_failed', `reading build context ${root}: ${(e as Error).message}`, { cause: e, exitCode: ExitCode.serviceFailed });
  }
  let text: Buffer;
  try {
    text = inline !== undefined ? Buffer.from(inline) : await readFile(dockerfilePath);
  } catch (e) {
    throw new TugError('build_failed', `reading the Dockerfile ${dockerfilePath}: ${(e as Error).message}`, { cause: e, exitCode: ExitCode.serviceFailed });
  }
  const extra = outside
    ? [
        { name: dockerfile, data: text },
        { name: '.dockerignore', data: Buffer.from(`${ignoreText ?? ''}\n.dockerignore\n${dockerfile}\n`) },
      ]
    : [];
  const opts: PackOptions & { umask: number } = {
    entries,
    ignore: () => true, // entries already lists every path; directories must not add their children
    umask: 0, // modes as on disk, not filtered by this process's umask
    strict: false,
    map: (h: TarHeaders) => ({ ...h, uid: 0, gid: 0 }),
    finalize: extra.length === 0,
    finish: (pack) => {
      if (extra.length === 0) return;
      for (const { name, data } of extra) pack.entry({ name, mode: 0o644, size: data.length }, data);
      pack.finalize();
    },
  };
  return { tar: tarPack(root, opts) as unknown as Readable, dockerfile, text: text.toString('utf8') };
}
