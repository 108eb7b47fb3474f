/**
 * `tug logs`: the output of a project's containers, each line prefixed `service-n | ` in the
 * service's colour (as attached `up` prints it). Without `follow`, container after container
 * in service and replica order, so that a service's lines read in the order it printed them.
 * With `follow`, lines as they come, and containers that start while following (a scaled-up
 * replica, a restart) join in: the engine's `start` event says when.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import { EngineApiError } from '../engine/api-error.js';
import { type Engine, type EngineEvent, type LogLine, type LogOptions } from '../engine/engine.js';
import { ExitCode, TugError } from '../errors.js';
import { LABEL } from '../labels.js';
import type { Project } from '../stack/model.js';
import { painter, prefixOf } from './attach.js';
import { containerEvents } from './observe.js';
import { ps } from './ps.js';

export interface PrintLogsOptions {
  /** Only these services; default all. */
  services?: string[];
  /** Only the replica with this number (`logs --index`). */
  index?: number;
  /** Keep printing, new containers included, until `signal` aborts. */
  follow?: boolean;
  /** Lines from the end of each container's log that was there when the command started. */
  tail?: number | 'all';
  since?: string;
  until?: string;
  timestamps?: boolean;
  /** `service-n | ` in front of each line; default true. */
  prefix?: boolean;
  /** Colours for the prefixes; without it (or at level 0) lines carry no escape codes. */
  color?: ChalkInstance;
  out?: Writable;
  signal?: AbortSignal;
}

interface Source {
  id: string;
  name: string;
  service: string;
}

export async function printLogs(engine: Engine, project: Project, opts: PrintLogsOptions = {}): Promise<void> {
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  try {
    // Subscribed before listing: a container that starts in between is in one or the other.
    const events = opts.follow ? await containerEvents(engine, project.name, signal) : undefined;
    const listed = (await ps(engine, project.name, { all: true, services: opts.services }))
      .filter((c) => opts.index === undefined || c.number === opts.index);
    if (opts.index !== undefined && !listed.length) {
      // As Compose, which fails rather than print nothing for a replica that is not there.
      throw new TugError('no_container', `service "${opts.services?.[0]}" has no container number ${opts.index}`,
        { exitCode: ExitCode.internal, hint: 'tug ps -a lists the replicas and their numbers' });
    }
    const printer = new LinePrinter(project, opts, Math.max(0, ...listed.map((c) => prefixOf(project, c.name).length)));
    const read = (id: string, extra: LogOptions): AsyncIterable<LogLine> =>
      engine.containers.logs(id, { tail: opts.tail ?? 'all', since: opts.since, until: opts.until, timestamps: opts.timestamps, signal, ...extra });
    if (!events) {
      for (const c of listed) await printer.print(c, read(c.id, {})).catch(ignoreGone);
      return;
    }
    await follow(engine, listed, events, printer, read, opts, signal);
  } finally {
    stop.abort();
  }
}

async function follow(
  engine: Engine, listed: Source[], events: AsyncIterable<EngineEvent>, printer: LinePrinter,
  read: (id: string, extra: LogOptions) => AsyncIterable<LogLine>, opts: PrintLogsOptions, signal: AbortSignal,
): Promise<void> {
  const wanted = opts.services?.length ? new Set(opts.services) : undefined;
  const following = new Set<string>();
  const followed = new Set<string>();
  // Started again before the stream of their previous life had ended: followed anew after it.
  const restarted = new Set<string>();
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const start = (c: Source, extra: LogOptions): void => {
    following.add(c.id);
    followed.add(c.id);
    void printer.print(c, read(c.id, { follow: true, ...extra }))
      .catch((e: unknown) => (signal.aborted ? undefined : ignoreGone(e)))
      .then(async () => {
        following.delete(c.id);
        if (restarted.delete(c.id) && !signal.aborted) start(c, await sinceLastLife(engine, c.id));
      })
      .catch(fail);
  };
  for (const c of listed) start(c, {});
  const watching = (async () => {
    for await (const e of events) {
      const service = e.attributes[LABEL.service];
      if (e.action !== 'start' || !service || e.attributes[LABEL.oneoff] === 'True' || (wanted && !wanted.has(service))) continue;
      if (opts.index !== undefined && e.attributes[LABEL.number] !== String(opts.index)) continue;
      if (following.has(e.id)) restarted.add(e.id);
      // All of a new container's output is new; a restarted one's from its previous stop on.
      else start({ id: e.id, name: e.attributes.name ?? e.id.slice(0, 12), service }, followed.has(e.id) ? await sinceLastLife(engine, e.id) : { tail: 'all' });
    }
  })();
  await Promise.race([watching, failed]);
}

/** The engine keeps a restarted container's last stop time: its log from then on is new. */
async function sinceLastLife(engine: Engine, id: string): Promise<LogOptions> {
  const d = await engine.containers.inspect(id).catch(ignoreGoneAs(undefined));
  const since = d?.finishedAt && !d.finishedAt.startsWith('0001-') ? exactSeconds(d.finishedAt) : undefined;
  return since === undefined ? { tail: 0 } : { tail: 'all', since };
}

/** RFC 3339 with nanoseconds as Unix seconds, every digit kept (Date would round to ms). */
export function exactSeconds(rfc3339: string): string | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  const whole = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(whole)) return undefined;
  return `${whole / 1000}.${(m[2] ?? '0').padEnd(9, '0').slice(0, 9)}`;
}

class LinePrinter {
  private readonly out: Writable;

  constructor(private readonly project: Project, private readonly opts: PrintLogsOptions, private width: number) {
    this.out = opts.out ?? process.stdout;
  }

  async print(c: Source, lines: AsyncIterable<LogLine>): Promise<void> {
    const prefix = this.prefixOf(c);
    for await (const l of lines) {
      if (!this.out.write(`${prefix}${l.time !== undefined ? `${l.time} ` : ''}${l.text}\n`)) await once(this.out, 'drain');
    }
  }

  private prefixOf(c: Source): string {
    if (this.opts.prefix === false) return '';
    const name = prefixOf(this.project, c.name);
    // A container that joins later with a longer name widens the column from then on.
    this.width = Math.max(this.width, name.length);
    return `${painter(this.opts.color, c.service)(`${name.padEnd(this.width)} |`)} `;
  }
}

/** A container removed while its log was being read has nothing more to say. */
function ignoreGone(e: unknown): void {
  ignoreGoneAs(undefined)(e);
}

function ignoreGoneAs<T>(value: T): (e: unknown) => T {
  return (e) => {
    if (e instanceof EngineApiError && e.status === 404) return value;
    throw e;
  };
}
