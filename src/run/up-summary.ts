/**
 * How an `up` that failed part-way left the project. As in Compose, what already runs is left
 * running; the user then needs one list, after the error: which services are up, which failed
 * and why, which never started (and what they waited on). It travels on the error (the CLI
 * prints it last) and as one progress event (`action: "summary"`) for `--progress json`.
 */
import { TugError, formatLocation } from '../errors.js';
import type { DependencyGraph } from '../graph/graph.js';
import type { Project } from '../stack/model.js';
import { DependencyFailedError } from './failure.js';
import { ServiceError, placeFailure } from './failure-site.js';

export interface UpSummary {
  /** Services whose containers run (or were created, with --no-start). */
  up: string[];
  failed: { service: string; code: string; message: string; /** `file:line:col` of the key that asked for what failed. */ at?: string }[];
  /** Services nothing was started for: a dependency failed, or the run stopped first. */
  notStarted: { service: string; waitingOn: string[] }[];
}

const summaries = new WeakMap<object, UpSummary>();

/** The error, carrying the summary; an error that is not an object is returned as it is. */
export function withUpSummary(err: unknown, summary: UpSummary): unknown {
  if (typeof err === 'object' && err !== null) summaries.set(err, summary);
  return err;
}

export function upSummaryOf(err: unknown): UpSummary | undefined {
  return typeof err === 'object' && err !== null ? summaries.get(err) : undefined;
}

/** The summary as text: one line of counts, then one line per outcome that has services. */
export function formatUpSummary(s: UpSummary): string {
  const count = (n: number, what: string) => `${n} ${what}`;
  const lines = [`summary: ${count(s.up.length, 'up')}, ${count(s.failed.length, 'failed')}, ${count(s.notStarted.length, 'never started')}`];
  if (s.up.length) lines.push(`  up:            ${s.up.join(', ')}`);
  for (const f of s.failed) lines.push(`  failed:        ${f.service}${f.at ? ` at ${f.at}` : ''} (${f.code}: ${reason(f.service, f.message)})`);
  for (const n of s.notStarted) lines.push(`  never started: ${n.service}${n.waitingOn.length ? ` (waits for ${n.waitingOn.join(', ')})` : ''}`);
  return `${lines.join('\n')}\n`;
}

/** The first line of a failure, without the `service "web":` the summary line already says. */
function reason(service: string, message: string): string {
  const first = message.split('\n', 1)[0] ?? '';
  const prefix = `service "${service}"`;
  return first.startsWith(prefix) ? first.slice(prefix.length).replace(/^:?\s*/, '') : first;
}

/** The code a summary shows for a failure: tug's own, or `error` for anything else. */
export function codeOf(err: unknown): string {
  return err instanceof TugError ? err.code : 'error';
}

/**
 * What each service of one `up` came to, recorded as the run goes: its own failure (placed on
 * the stack file), a wait on a dependency that failed, or started.
 */
export class UpOutcomes {
  private readonly failures = new Map<string, unknown>();
  private readonly blocked = new Set<string>();
  private readonly finished = new Set<string>();

  constructor(
    private readonly project: Project,
    private readonly graph: DependencyGraph,
    /** The services of the plan, in its order, and whether each only keeps what runs. */
    private readonly services: { service: string; kept: boolean }[],
  ) {}

  /**
   * A step of the service itself (create, start, the final wait): its failure is the
   * service's, unless it already failed or was blocked. Rejects with the placed failure.
   */
  async own<T>(service: string, step: Promise<T>, opts: { finishes?: boolean } = {}): Promise<T> {
    try {
      const v = await step;
      if (opts.finishes) this.finished.add(service);
      return v;
    } catch (err) {
      if (this.failures.has(service) || this.blocked.has(service)) throw err;
      const placed = placeFailure(this.project, service, err);
      this.failures.set(failedService(placed) ?? service, placed);
      throw placed;
    }
  }

  /** A wait on what the service needs first (its dependencies' containers, their conditions). */
  async waiting<T>(service: string, wait: Promise<T>): Promise<T> {
    try {
      return await wait;
    } catch (err) {
      this.blocked.add(service);
      // A gate that saw its dependency exit reports the dependency's failure.
      const dependency = failedService(err);
      if (dependency === undefined || dependency === service || this.failures.has(dependency)) throw err;
      const placed = placeFailure(this.project, dependency, err);
      this.failures.set(dependency, placed);
      throw placed;
    }
  }

  /** A failure of a step shared by services (their images): recorded for the service it names. */
  record(err: unknown): unknown {
    const service = failedService(err);
    if (service !== undefined && !this.failures.has(service)) this.failures.set(service, err);
    return err;
  }

  summary(): UpSummary {
    const failed = new Set(this.failures.keys());
    const s: UpSummary = { up: [], failed: [], notStarted: [] };
    for (const { service, kept } of this.services) {
      const err = this.failures.get(service);
      if (err !== undefined) {
        const at = err instanceof TugError && err.location ? formatLocation(err.location) : undefined;
        s.failed.push({ service, code: codeOf(err), message: ownMessage(service, err), ...(at ? { at } : {}) });
      } else if (!this.blocked.has(service) && (this.finished.has(service) || kept)) {
        s.up.push(service);
      } else {
        const waitingOn = this.graph.edgesFrom(service).map((e) => e.to)
          .filter((d, i, all) => all.indexOf(d) === i && (failed.has(d) || !this.finished.has(d)) && this.services.some((x) => x.service === d));
        s.notStarted.push({ service, waitingOn });
      }
    }
    return s;
  }
}

/**
 * What a failure says of the service itself: a dependent's gate words it from the dependent
 * ("service app cannot start: its dependency hog exited with code 1"), the summary from hog.
 */
function ownMessage(service: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof DependencyFailedError) || err.report.service !== service) return message;
  const m = /its dependency "[^"]+" (.*?)(?: \(condition [^)]+\))?$/m.exec(message);
  return m ? `service "${service}" ${m[1]}` : message;
}

/** The service a failure names as its own: a placed failure's, or a failed dependency's. */
function failedService(err: unknown): string | undefined {
  if (err instanceof ServiceError) return err.service;
  if (err instanceof DependencyFailedError) return err.report.service;
  return undefined;
}
