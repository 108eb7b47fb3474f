/**
 * Container logs as lines, for `logs`, attached `up` and failure reports.
 */
import { StringDecoder } from 'node:string_decoder';
import type { DockerClient } from './client.js';
import { unixTime } from './map.js';
import { cutTimestamp, demux, LineAssembler, LineSplitter, RecentTimes, type LogRecord } from './streams.js';
import type { LogLine, LogOptions } from '../types.js';

/**
 * Following a multiplexed stream always asks for timestamps: the engine can close a follow
 * stream before the container's last output (typically a final line without a newline)
 * reaches it, so after a natural end we read the last moments again and skip the records
 * already delivered. Not with a TTY: there the engine stamps each 16 KiB piece of a long
 * line inside the raw byte stream, so records cannot be told apart and the race remains.
 */
/** The query of `GET /containers/{id}/logs`. */
interface LogQuery {
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  tail?: string;
  since?: string;
  until?: string;
  follow?: boolean;
}

export async function* readLogs(client: DockerClient, id: string, opts: LogOptions, tty: boolean): AsyncGenerator<LogLine> {
  const { signal } = opts;
  const follow = opts.follow ?? false;
  const catchUp = follow && !tty;
  const query: LogQuery = { stdout: true, stderr: true, timestamps: catchUp || (opts.timestamps ?? false) };
  query.tail = String(opts.tail ?? 'all');
  if (opts.since !== undefined) query.since = unixTime(opts.since);
  if (opts.until !== undefined) query.until = unixTime(opts.until);
  const lines = { stdout: new LineAssembler(), stderr: new LineAssembler() };
  const toLine = (stream: 'stdout' | 'stderr', l: { text: string; time?: string }): LogLine => {
    const text = tty ? l.text.replace(/\r$/, '') : l.text;
    return opts.timestamps && l.time !== undefined ? { stream, text, time: l.time } : { stream, text };
  };
  const seen = new RecentTimes();
  const pass = async function* (q: LogQuery, again: boolean): AsyncGenerator<LogLine, boolean> {
    for await (const r of logRecords(client, id, q, tty, signal)) {
      if (r.time !== undefined && (again ? seen.take(r.time) : (seen.add(r.time), false))) continue;
      for (const l of lines[r.stream].push(r.text, r.time)) yield toLine(r.stream, l);
    }
    return !signal?.aborted;
  };
  if (!(yield* pass({ ...query, follow }, false))) return;
  if (catchUp) {
    const since = seen.windowStart();
    const again = since === undefined ? { ...query, follow: false } : { ...query, follow: false, tail: 'all', since };
    if (!(yield* pass(again, true))) return;
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = lines[stream].end();
    if (rest) yield toLine(stream, rest);
  }
}

/**
 * One log request as records: a frame (one log message, or a piece of a long one) when the
 * stream is multiplexed; one line when the container has a TTY and the stream is raw bytes.
 * Ends quietly when `signal` aborts.
 */
async function* logRecords(client: DockerClient, id: string, query: LogQuery, tty: boolean, signal?: AbortSignal): AsyncGenerator<LogRecord> {
  const chunks = client.chunks(`reading logs of container ${id}`, {
    path: `/containers/${encodeURIComponent(id)}/logs?`, method: 'GET', options: query, statusCodes: { 200: true },
  }, signal);
  const stamped = Boolean(query.timestamps);
  if (tty) {
    const split = new LineSplitter();
    const record = (line: string): LogRecord => ({ stream: 'stdout', ...cutTimestamp(line, stamped) });
    for await (const chunk of chunks) {
      for (const line of split.push(chunk)) {
        if (signal?.aborted) return;
        const r = record(line);
        yield { ...r, text: `${r.text}\n` };
      }
    }
    const rest = split.end();
    if (rest !== undefined && !signal?.aborted) yield record(rest);
    return;
  }
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  for await (const [stream, payload] of demux(chunks)) {
    if (signal?.aborted) return;
    // Each frame carries its own timestamp in front, even the pieces of one long line.
    const space = stamped ? payload.indexOf(0x20) : -1;
    const time = stamped ? payload.subarray(0, space < 0 ? payload.length : space).toString('latin1') : undefined;
    const text = decoders[stream].write(stamped ? payload.subarray(space < 0 ? payload.length : space + 1) : payload);
    yield time === undefined ? { stream, text } : { stream, text, time };
  }
}
