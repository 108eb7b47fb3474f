/**
 * Byte streams from the engine into records: newline-delimited JSON (events, pull and build
 * progress), the 8-byte-header multiplexing of logs and attach, and log lines.
 */
import { StringDecoder } from 'node:string_decoder';

export async function* empty(): AsyncGenerator<never> {}

/** Newline-delimited JSON, whatever the chunking; a line that is not JSON is skipped. */
export async function* jsonLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<object> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const parse = (line: string): object | undefined => {
    if (!line.trim()) return undefined;
    try {
      const v: unknown = JSON.parse(line);
      return v && typeof v === 'object' ? v : undefined;
    } catch {
      return undefined;
    }
  };
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const v = parse(line);
      if (v) yield v;
    }
  }
  const v = parse(pending + decoder.end());
  if (v) yield v;
}

export type Frame = readonly ['stdout' | 'stderr', Buffer];

/** The attach/logs multiplexing: an 8-byte header (stream, 0, 0, 0, uint32 BE size) per frame. */
export async function* demux(stream: AsyncIterable<Buffer>): AsyncGenerator<Frame> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      yield [buf[0] === 2 ? 'stderr' : 'stdout', buf.subarray(8, 8 + size)];
      buf = buf.subarray(8 + size);
    }
  }
}

export interface LogRecord {
  stream: 'stdout' | 'stderr';
  text: string;
  time?: string;
}

export function cutTimestamp(line: string, stamped: boolean): { text: string; time?: string } {
  if (!stamped) return { text: line };
  const space = line.indexOf(' ');
  return space < 0 ? { text: '', time: line } : { text: line.slice(space + 1), time: line.slice(0, space) };
}

/** Nanoseconds since the epoch of an RFC 3339 time as the engine writes it. */
function nanos(time: string): bigint | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * Record timestamps seen in the last few seconds of a log, as a multiset. stdout and stderr
 * are stamped by separate copiers, so the file is only nearly in time order: a window, not a
 * single "last seen" mark, tells a repeat from a record not yet delivered.
 */
export class RecentTimes {
  private static readonly WINDOW_NS = 2_000_000_000n;
  private readonly counts = new Map<string, number>();
  private max: bigint | undefined;
  private limit = 4096;

  add(time: string): void {
    const ns = nanos(time);
    if (ns === undefined) return;
    this.counts.set(time, (this.counts.get(time) ?? 0) + 1);
    if (this.max === undefined || ns > this.max) this.max = ns;
    if (this.counts.size > this.limit) {
      for (const t of this.counts.keys()) if ((nanos(t) ?? 0n) < this.max - RecentTimes.WINDOW_NS) this.counts.delete(t);
      this.limit = Math.max(4096, this.counts.size * 2); // a burst inside the window must not prune on every record
    }
  }

  /** True (and forgets one) when a record with this time was already delivered. */
  take(time: string): boolean {
    const n = this.counts.get(time) ?? 0;
    if (n > 0) this.counts.set(time, n - 1);
    return n > 0;
  }

  /** Where a second read must start: the window before the newest record, as `seconds.nanos`. */
  windowStart(): string | undefined {
    if (this.max === undefined) return undefined;
    const from = this.max > RecentTimes.WINDOW_NS ? this.max - RecentTimes.WINDOW_NS : 0n;
    return `${from / 1_000_000_000n}.${String(from % 1_000_000_000n).padStart(9, '0')}`;
  }
}

/** Bytes to whole lines; a trailing partial line waits for the next chunk or the end. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer): string[] {
    this.pending += this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines;
  }

  end(): string | undefined {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest === '' ? undefined : rest;
  }
}

/** Log records to lines; a line's time is that of the record it started in. */
export class LineAssembler {
  private pending = '';
  private time?: string;

  push(text: string, time?: string): { text: string; time?: string }[] {
    const out: { text: string; time?: string }[] = [];
    if (this.pending === '') this.time = time;
    this.pending += text;
    for (let i = this.pending.indexOf('\n'); i >= 0; i = this.pending.indexOf('\n')) {
      out.push({ text: this.pending.slice(0, i), time: this.time });
      this.pending = this.pending.slice(i + 1);
      this.time = time;
    }
    return out;
  }

  end(): { text: string; time?: string } | undefined {
    if (this.pending === '') return undefined;
    const rest = { text: this.pending, time: this.time };
    this.pending = '';
    return rest;
  }
}
