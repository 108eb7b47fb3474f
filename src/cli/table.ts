/** Text output shared by the data verbs: aligned columns, and sizes as `docker images` writes them. */

/** Columns separated by three spaces, the last one unpadded; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

/** Scales `bytes` down by `base` until it fits a unit, keeping `digits` significant digits. */
function scaled(bytes: number, units: readonly string[], base: number, digits: number): string {
  let v = bytes;
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  return `${Number(v.toPrecision(digits))}${units[i]}`;
}

/** Decimal units with three significant digits (`1.98MB`), so sizes read the same as in docker's own output. */
export function humanSize(bytes: number): string {
  return scaled(bytes, ['B', 'kB', 'MB', 'GB', 'TB', 'PB'], 1000, 3);
}

/** Binary units with four significant digits (`2.531MiB`), as docker stats writes memory. */
export function binarySize(bytes: number): string {
  return scaled(bytes, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], 1024, 4);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
