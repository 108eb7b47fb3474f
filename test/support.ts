/** Builders shared by the unit tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { Service } from '../src/stack/model.js';

/** A normalised Service with every required field at its default, plus `extra`. */
export function makeService(name: string, extra: Partial<Service> = {}): Service {
  return { name, scale: 1, environment: {}, labels: {}, ports: [], volumes: [], depends_on: {}, networks: { default: null }, ...extra };
}

/** Writes `files` (relative name → content) under `dir`, creating folders as needed. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [name, text] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
}

/** Temp directories for a test file, removed after its tests (even ones a test made unreadable). */
export function tempDirs(): (files?: Record<string, string | Buffer>, prefix?: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) {
      try {
        fs.chmodSync(d, 0o700);
      } catch {
        // already gone
      }
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
  return (files = {}, prefix = 'tug-') => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    writeFiles(dir, files);
    return dir;
  };
}
