/**
 * `--format` of the listing verbs as docker's CLI reads it: `table` (the verb's own table),
 * `json`, or a Go template, `table <template>` printing a header row and aligned columns.
 * A template is checked when the flag is read, against a sample row, so that a typo is a
 * usage error even when there is nothing to list.
 */
import { UsageError } from '../errors.js';
import { compileTemplate, FUNCS, TemplateError, type FuncMap, type Template } from './go-template.js';

export type ListFormat =
  | { kind: 'table' }
  | { kind: 'json' }
  | { kind: 'template'; table: boolean; render: (rows: readonly object[]) => string };

export interface FormatSpec {
  /** The verb, for messages. */
  verb: string;
  /** A row as the verb will give it to the template, with every field present (and non-empty lists). */
  sample: object;
  /** Column titles of the fields docker names (`ID` → `CONTAINER ID`); others are upper-cased words. */
  headers?: Record<string, string>;
}

/** `ExitCode` → `EXIT CODE`, as a header for a field docker gives none. */
export function headerOf(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();
}

/** As docker's HeaderFunctions: in the header row the formatting functions pass the title through. */
const HEADER_FUNCS: FuncMap = {
  ...FUNCS,
  ...Object.fromEntries(['json', 'split', 'join', 'title', 'lower', 'upper', 'truncate'].map((f) => [f, (v: unknown) => (typeof v === 'string' ? v : '')])),
};

/**
 * docker's cli/command/formatter: `table` alone is the default table; a `table` prefix is
 * cut and asks for a header; surrounding spaces go; the two characters `\t` and `\n` typed
 * in a shell's single quotes are a tab and a newline.
 */
function templateSource(format: string): { table: boolean; source: string } {
  const table = format.startsWith('table');
  const body = table ? format.slice('table'.length) : format;
  return { table, source: body.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n') };
}

function usage(spec: FormatSpec, format: string, e: unknown): never {
  if (!(e instanceof TemplateError)) throw e;
  throw new UsageError(`--format "${format}" of tug ${spec.verb}: ${e.message}`,
    `use table, json, or a Go template over the fields ${Object.keys(spec.sample).filter((k) => typeof (spec.sample as Record<string, unknown>)[k] !== 'function').join(', ')}`);
}

/** Reads `--format`; throws a UsageError (exit 2) naming what is unsupported. */
export function listFormat(format: string | undefined, spec: FormatSpec): ListFormat {
  const f = format ?? 'table';
  if (f === 'table' || f === '') return { kind: 'table' };
  if (f === 'json') return { kind: 'json' };
  const { table, source } = templateSource(f);
  let template: Template;
  try {
    template = compileTemplate(source);
    template.render(spec.sample);
  } catch (e) {
    usage(spec, f, e);
  }
  const headerRow = Object.fromEntries(Object.entries(spec.sample).map(([k, v]) => [k, typeof v === 'function' ? () => '' : spec.headers?.[k] ?? headerOf(k)]));
  const header = (): string => {
    try {
      return compileTemplate(source, HEADER_FUNCS).render(headerRow);
    } catch {
      return ''; // as docker, which ignores an error rendering the header
    }
  };
  return {
    kind: 'template',
    table,
    render: (rows) => {
      let lines: string[];
      try {
        lines = rows.map((r) => template.render(r));
      } catch (e) {
        usage(spec, f, e);
      }
      return table ? tabwrite([header(), ...lines]) : lines.map((l) => `${l}\n`).join('');
    },
  };
}

/**
 * docker's tabwriter (min width 10, padding 3, spaces): each tab-ended cell is padded to its
 * column's widest cell plus 3, at least 10; the text after a line's last tab is not padded.
 */
export function tabwrite(lines: readonly string[]): string {
  const rows = lines.flatMap((l) => l.split('\n')).map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(Math.max(widths[i]! + 3, 10)))).join('')).join('\n') + '\n';
}

/** One compact JSON object a line, as `docker compose ps --format json` prints (Compose v2.21+). */
export function ndjson(rows: readonly object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
