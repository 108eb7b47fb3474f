/**
 * The one way tug reads a file whose path the user chose: a stack file, an env file, an
 * included or extended file, a secret or config `file:`, a seccomp profile.
 *
 * Such a path may name something that is not a file at all. `/dev/zero` never ends and a file
 * being appended to may not either, and `stat` says 0 bytes for a device, so a size check by
 * `stat` alone protects nothing: the read itself stops once it has more than `maxBytes`. A FIFO
 * blocks an ordinary open until a writer appears, so the type is checked before opening, and the
 * open is non-blocking and checked again on the descriptor in case the path changed meanwhile.
 *
 * `/dev/null` is the one special file accepted (as empty): `--env-file /dev/null` is a common
 * way of saying "no env file". Failures of the system calls (ENOENT, EACCES, ...) are thrown as
 * they come, so callers keep telling them apart by `code`; what this adds is a UserFileError.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

export type UserFileProblem = 'directory' | 'not_regular' | 'too_large';

export class UserFileError extends Error {
  constructor(
    readonly problem: UserFileProblem,
    readonly file: string,
    /** Reads after the path, e.g. "is not a regular file (a FIFO)". */
    readonly what: string,
    /** The size stat gave, when that alone was over the limit. */
    readonly size?: number,
  ) {
    // As a cause after "cannot read PATH: ": "not a regular file (a FIFO)".
    super(what.replace(/^is /, ''));
    this.name = 'UserFileError';
  }
}

/** What a non-regular file is, for messages: "a character device", "a FIFO"... */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

let devNull: Stats | null | undefined;
function isDevNull(st: Stats): boolean {
  if (!st.isCharacterDevice()) return false;
  if (devNull === undefined) {
    try {
      devNull = statSync('/dev/null');
    } catch {
      devNull = null;
    }
  }
  return devNull !== null && st.rdev === devNull.rdev && st.dev === devNull.dev && st.ino === devNull.ino;
}

/** Refuses what is not a regular file; true for /dev/null, which reads as empty. */
function checkType(file: string, st: Stats): 'file' | 'empty' {
  if (st.isFile()) return 'file';
  if (isDevNull(st)) return 'empty';
  if (st.isDirectory()) throw new UserFileError('directory', file, 'is a directory');
  throw new UserFileError('not_regular', file, `is not a regular file (${fileKind(st)})`);
}

function tooLarge(file: string, maxBytes: number, size?: number): UserFileError {
  return new UserFileError('too_large', file, size === undefined ? `is larger than ${maxBytes} bytes` : `is ${size} bytes, more than ${maxBytes}`, size);
}

const CHUNK = 64 * 1024;

/**
 * The bytes of `file`, at most `maxBytes` of them: a longer file, or one that grows past the
 * limit while it is read, is refused with a UserFileError, as is anything but a regular file.
 */
export function readUserFile(file: string, maxBytes: number): Buffer {
  // Before opening: opening a FIFO (even non-blocking, on some systems) or a device can have
  // effects of its own. stat follows symlinks, as the open will.
  if (checkType(file, statSync(file)) === 'empty') return Buffer.alloc(0);
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  try {
    const st = fstatSync(fd);
    if (checkType(file, st) === 'empty') return Buffer.alloc(0);
    if (st.size > maxBytes) throw tooLarge(file, maxBytes, st.size);
    // One more byte than allowed tells a file at the limit from one past it, whatever stat said.
    const budget = maxBytes + 1;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size + 1, CHUNK), budget - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooLarge(file, maxBytes);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
