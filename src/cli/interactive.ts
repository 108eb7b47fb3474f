/** What the verbs that reach into one container share on the command line: a command after the service, `-e`, `--index`. */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';

/** The command's part of the line, taken as typed: numbers stay strings, `--` goes through. */
export function commandAfterService<T>(y: Argv<T>): Argv<T> {
  return y.parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false, 'camel-case-expansion': false, 'boolean-negation': false });
}

export function commandOf(args: { cmd?: (string | number)[]; '--'?: (string | number)[] }): string[] {
  return [...(args.cmd ?? []), ...(args['--'] ?? [])].map(String);
}

/** `-e KEY=value`, or `-e KEY` for tug's own value of KEY (left out when it has none), as Compose. */
export function envFlags(values: readonly string[] | undefined, env: Record<string, string | undefined> = process.env): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!/^[^\s=]+$/.test(key)) throw new UsageError(`invalid environment variable "${v}"`, 'use -e KEY=value or -e KEY');
    if (eq >= 0) out.push(v);
    else if (env[key] !== undefined) out.push(`${key}=${env[key]}`);
  }
  return out;
}

export const repeatable = (v: string | string[]): string[] => [v].flat().map(String);

/** `--index N` names a replica by its number, so it is a whole number from 1. */
export function checkIndex(index: number | undefined): void {
  if (index !== undefined && !(Number.isInteger(index) && index >= 1)) {
    throw new UsageError(`--index must be a replica number (1 or more), not ${index}`);
  }
}
