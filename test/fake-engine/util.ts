/** Small pieces the fake engine's parts share: ids, clocks, label filters, image references, errors. */
import { randomBytes } from 'node:crypto';
import { EngineApiError } from '../../src/engine/api-error.js';
import { unixTime } from '../../src/engine/docker/map.js';

/** A 64-hex id, as the engine gives containers, networks and images. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

let lastNs = 0n;

/** Nanoseconds since the epoch, strictly increasing across calls (wall clock, ns digits from hrtime). */
export function nowNs(): bigint {
  let t = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (t <= lastNs) t = lastNs + 1n;
  lastNs = t;
  return t;
}

/** RFC 3339 with nine fraction digits, as the engine stamps log lines (`RFC3339NanoFixed`). */
export function rfc3339Fixed(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** RFC 3339 as Go marshals a time (trailing zeros of the fraction dropped), as inspect reports it. */
export function rfc3339(ns: bigint): string {
  const fixed = rfc3339Fixed(ns);
  return fixed.replace(/\.?0+Z$/, 'Z');
}

/** An RFC 3339 time (any number of fraction digits) as nanoseconds since the epoch. */
export function parseRfc3339(s: string): bigint | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  const whole = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(whole)) return undefined;
  return BigInt(whole) * 1_000_000n + BigInt((m[2] ?? '0').padEnd(9, '0').slice(0, 9));
}

/** A `since`/`until` of the logs endpoint (Unix seconds, RFC 3339 or a duration ago) as nanoseconds. */
export function logTimeNs(v: string | number): bigint {
  const [whole = '0', frac = ''] = unixTime(v).split('.');
  return BigInt(whole) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9) || '0');
}

/** Docker's `units.HumanDuration`, for "Up 3 seconds" and "Exited (0) 2 minutes ago". */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  return h === 1 ? 'About an hour' : `${h} hours`;
}

/** Whether `labels` pass every filter: `key=value` needs that value, a bare `key` only the key. */
export function matchLabels(labels: Record<string, string>, filters: readonly string[] | undefined): boolean {
  for (const f of filters ?? []) {
    const eq = f.indexOf('=');
    if (eq < 0) {
      if (!(f in labels)) return false;
    } else if (labels[f.slice(0, eq)] !== f.slice(eq + 1)) {
      return false;
    }
  }
  return true;
}

/** An image reference in the engine's canonical short form: `busybox` → `busybox:latest`. */
export function normaliseRef(ref: string): string {
  let r = ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (r.startsWith('sha256:') || r.includes('@')) return r;
  const colon = r.lastIndexOf(':');
  if (colon < 0 || r.indexOf('/', colon) >= 0) r = `${r}:latest`;
  return r;
}

/** `repo:tag` → repo. */
export function repoOf(ref: string): string {
  const n = normaliseRef(ref);
  const at = n.indexOf('@');
  if (at >= 0) return n.slice(0, at);
  return n.slice(0, n.lastIndexOf(':'));
}

/** Shell-style `*` and `?` matching, as the engine's `reference` filter does. */
export function glob(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

/** An error the engine answered with, worded as the real client words it (`what: message`). */
export function apiError(status: number, message: string, what?: string): EngineApiError {
  return new EngineApiError(what ? `${what}: ${message}` : message, status);
}

export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
  SIGWINCH: 28,
};

/** `SIGTERM`, `TERM` or `15` → `{ name: 'SIGTERM', number: 15 }`; undefined for a signal the engine would refuse. */
export function parseSignal(s: string): { name: string; number: number } | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
    return name ? { name, number: n } : undefined;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const number = SIGNALS[name];
  return number === undefined ? undefined : { name, number };
}

/** Resolves after `ms`, without holding the process open. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A promise that can be re-armed: `wait()` resolves at the next `notify()`. */
export class Notifier {
  private waiters: (() => void)[] = [];

  wait(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
