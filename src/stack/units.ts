/**
 * Parsers for the scalar units a stack file may spell in several ways. They follow the Go
 * libraries Docker Compose uses (time.ParseDuration, go-units RAMInBytes) so a file means the
 * same thing here as it does there. All return undefined rather than throw: the caller knows
 * the YAML path and location and builds the diagnostic.
 */

// BigInt keeps nanosecond arithmetic exact; a double loses integer precision past ~104 days.
const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  '\u00b5s': 1_000n, // micro sign, what Go itself prints
  '\u03bcs': 1_000n, // Greek mu, which Go also accepts
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const INT64_MAX = (1n << 63n) - 1n;

// One `<number><unit>` group of Go's syntax; the number needs a digit on at least one side of the dot.
const DURATION_GROUP = /(\d*)(?:\.(\d*))?([a-z\u00b5\u03bc]+)/y;

/**
 * A duration in nanoseconds. Strings use Go's `time.ParseDuration` syntax (`1m30s`, `1.5h`,
 * `300ms`); a unitless string is rejected as Go does, except `0`. A JS number means seconds,
 * because that is how Compose reads a bare YAML integer for keys such as `stop_grace_period`.
 * Negative durations are rejected: no Compose key gives them a meaning.
 */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) return undefined;
    // Held to Go's int64 nanoseconds, as strings are: 1e300 seconds is no duration.
    const ns = Math.round(v * 1e9);
    return ns < 2 ** 63 ? ns : undefined;
  }
  let s = v;
  if (s.startsWith('+')) s = s.slice(1);
  if (s === '0') return 0;
  if (s === '') return undefined;

  let total = 0n;
  let pos = 0;
  while (pos < s.length) {
    DURATION_GROUP.lastIndex = pos;
    const m = DURATION_GROUP.exec(s);
    if (!m) return undefined;
    const intDigits = m[1] ?? '';
    const fracDigits = m[2] ?? '';
    // Own keys only: a unit spelled `constructor` must not find Object.prototype's member.
    const unit = Object.hasOwn(NS_PER_UNIT, m[3] ?? '') ? NS_PER_UNIT[m[3]!] : undefined;
    if (unit === undefined || (intDigits === '' && fracDigits === '')) return undefined;
    total += BigInt(intDigits || '0') * unit;
    if (fracDigits !== '') {
      // Truncating, like Go, so `1.9999999999ns` is 1ns rather than 2ns.
      total += (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length);
    }
    if (total > INT64_MAX) return undefined;
    pos = DURATION_GROUP.lastIndex;
  }
  return Number(total);
}

/** Go's `time.Duration.String()`: `1m30s`, `1.5s`, `300ms`, `2h0m0s`, `0s`. */
export function formatDuration(ns: number): string {
  let u = BigInt(Math.round(ns));
  const neg = u < 0n;
  if (neg) u = -u;
  let out: string;
  if (u < 1_000_000_000n) {
    // Below a second Go switches to the largest sub-second unit that keeps an integer part.
    if (u === 0n) return '0s';
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${fraction(u, 3)}\u00b5s`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    const totalSeconds = u / 1_000_000_000n;
    const frac = fraction(u % 1_000_000_000n, 9).slice(1); // drop the leading "0"
    out = `${totalSeconds % 60n}${frac}s`;
    const totalMinutes = totalSeconds / 60n;
    if (totalMinutes > 0n) {
      out = `${totalMinutes % 60n}m${out}`;
      // Go stops at hours because days vary in length.
      const hours = totalMinutes / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `v / 10**prec` in decimal, trailing zeros (and a bare dot) dropped. */
function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const whole = v / scale;
  const rest = v % scale;
  if (rest === 0n) return `${whole}`;
  const digits = rest.toString().padStart(prec, '0').replace(/0+$/, '');
  return `${whole}.${digits}`;
}

const BINARY_MULTIPLIER: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

// go-units allows a single space between number and suffix; the suffix is at most 3 letters.
const BYTES = /^(\+?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?) ?([a-z]{0,3})$/i;

/**
 * A size in bytes with Docker's `RAMInBytes` rules: binary multipliers (k=1024 ... p=1024^5),
 * an optional `b` or `ib` after the multiplier, case-insensitive, fractions truncated to whole
 * bytes. A JS number is already bytes.
 */
export function parseBytes(v: string | number): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) return undefined;
    return Math.trunc(v);
  }
  const m = BYTES.exec(v);
  if (!m) return undefined;
  const suffix = (m[2] ?? '').toLowerCase();
  let mul = 1;
  if (suffix !== '' && suffix !== 'b') {
    const unit = BINARY_MULTIPLIER[suffix[0] ?? ''];
    const tail = suffix.slice(1);
    if (unit === undefined || (tail !== '' && tail !== 'b' && tail !== 'ib')) return undefined;
    mul = unit;
  }
  const bytes = Math.trunc(Number(m[1]) * mul);
  return Number.isFinite(bytes) ? bytes : undefined;
}

const DECIMAL = /^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * A CPU count such as `0.5` or `"1.25"`. Strings are held to plain decimal notation because
 * `Number()` would also accept hex, `Infinity` and whitespace, none of which Compose does.
 */
export function parseCpus(v: string | number): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (DECIMAL.test(v)) n = Number(v);
  else return undefined;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

const TRUE = new Set(['true', 'yes', 'on', 'y', '1']);
const FALSE = new Set(['false', 'no', 'off', 'n', '0', '']);

/**
 * A boolean, as any boolean key of a stack file may spell it: a YAML boolean, or a string
 * (what interpolation yields). Compose (compose-go's toBoolean) takes true/false and, with a
 * deprecation warning, y/yes/on and n/no/off, in any case. tug also takes 1/0 and the empty
 * string, as it always has (a YAML number 1 or 0 too). Anything else is undefined.
 */
export function parseBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}
