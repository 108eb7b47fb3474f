import { readFileSync } from 'node:fs';

// Replaced with a string literal by esbuild's `define`; undeclared when run from source.
declare const __TUG_VERSION__: string | undefined;

export function tugVersion(): string {
  if (typeof __TUG_VERSION__ === 'string') return __TUG_VERSION__;
  // Unbundled (vitest, tsx): read it from the package instead of hard-coding a second copy.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0-dev';
  } catch {
    return '0.0.0-dev';
  }
}
