/** tug cp's pure rules: which side is the container, and where a copied tree lands (docker cp's table). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/errors.js';
import { parseEndpoint, place, renameRoot } from '../../src/run/copy.js';

describe('cp arguments', () => {
  it('reads SERVICE:PATH, and keeps absolute, dot-relative and - paths local even with a colon', () => {
    expect(parseEndpoint('web:/etc/hosts')).toEqual({ service: 'web', path: '/etc/hosts' });
    expect(parseEndpoint('web:')).toEqual({ service: 'web', path: '/' });
    expect(parseEndpoint('/tmp/a:b')).toEqual({ local: '/tmp/a:b' });
    expect(parseEndpoint('./a:b')).toEqual({ local: './a:b' });
    expect(parseEndpoint('-')).toEqual({ local: '-' });
    expect(parseEndpoint('notes.txt')).toEqual({ local: 'notes.txt' });
    expect(parseEndpoint(':x')).toEqual({ local: ':x' });
  });
});

describe('where a copy lands', () => {
  const file = { isDir: false, contentsOnly: false, name: 'a.txt' };
  const dir = { isDir: true, contentsOnly: false, name: 'd' };
  const contents = { isDir: true, contentsOnly: true, name: '.' };
  const at = (p: string, exists: boolean, isDir = false) => ({ path: p, exists, isDir });

  it('into an existing directory the source keeps its name; DIR/. brings only its contents', () => {
    expect(place(file, at('/out', true, true), path.posix)).toEqual({ dir: '/out', root: 'a.txt' });
    expect(place(dir, at('/out', true, true), path.posix)).toEqual({ dir: '/out', root: 'd' });
    expect(place(contents, at('/out', true, true), path.posix)).toEqual({ dir: '/out', root: '.' });
  });

  it('onto a new path the source takes its name; a file replaces a file', () => {
    expect(place(file, at('/out/b.txt', false), path.posix)).toEqual({ dir: '/out', root: 'b.txt' });
    expect(place(dir, at('/out/new/', false), path.posix)).toEqual({ dir: '/out', root: 'new' });
    expect(place(contents, at('/out/new', false), path.posix)).toEqual({ dir: '/out', root: 'new' });
    expect(place(file, at('/out/b.txt', true), path.posix)).toEqual({ dir: '/out', root: 'b.txt' });
  });

  it('refuses a directory onto a file, and a file into a directory that does not exist', () => {
    expect(() => place(dir, at('/out/b.txt', true), path.posix)).toThrow(/cannot copy a directory onto the file \/out\/b.txt/);
    expect(() => place(file, at('/missing/', false), path.posix)).toThrow(/destination directory \/missing\/ does not exist/);
    const err = (() => {
      try {
        return place(dir, at('/f', true), path.posix);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TugError);
    expect((err as TugError).exitCode).toBe(2);
  });

  it('renames only the root segment of each entry', () => {
    expect(['d', 'd/', 'd/a.txt', 'd/sub/d/x', 'other/x'].map((n) => renameRoot(n, 'd', 'new'))).toEqual(['new', 'new/', 'new/a.txt', 'new/sub/d/x', 'other/x']);
    expect(['./', './a.txt'].map((n) => renameRoot(n, '.', 'new'))).toEqual(['new/', 'new/a.txt']);
    expect(['d/', 'd/a.txt'].map((n) => renameRoot(n, 'd', '.'))).toEqual(['./', './a.txt']);
  });
});
