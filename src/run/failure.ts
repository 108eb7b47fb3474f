/**
 * Turning "a container did not meet its condition" into a report a person can act on: which
 * service, what state, the health probe's last output and the container's last log lines.
 */
import type { ContainerDetails, Engine } from '../engine/engine.js';
import { EngineUnreachableError, ServiceFailedError, type ErrorCode, type SourceLocation, type TugError } from '../errors.js';
import { engineGone, engineLost } from './engine-lost.js';
import type { ConditionFailed } from './watch.js';

export const REPORT_LOG_LINES = 50;

export interface FailureReport {
  service: string;
  container: string;
  state: string;
  exitCode?: number;
  /** The kernel's OOM killer stopped it (inspect's State.OOMKilled). */
  oomKilled?: boolean;
  probeOutput?: string;
  logs: string[];
}

export class DependencyFailedError extends ServiceFailedError {
  constructor(message: string, readonly report: FailureReport, hint?: string, place: { code?: ErrorCode; location?: SourceLocation; path?: string } = {}) {
    super(place.code ?? 'service_failed', message, hint, { location: place.location, path: place.path });
  }
}

/**
 * The report of a failed condition; when the engine itself cannot be reached any more, that is
 * the report (what the container did was the engine stopping it).
 */
export async function describeFailure(
  engine: Engine,
  what: { dependent?: string; dependency: string; failure: ConditionFailed; condition?: string },
): Promise<TugError> {
  const { failure } = what;
  const waiting = what.dependent ? `service "${what.dependent}" was waiting for "${what.dependency}"` : `tug was waiting for "${what.dependency}"`;
  const lost = (cause?: unknown) => engineLost(engine, `${waiting}, whose container ${failure.message} meanwhile`, cause);
  // An engine stopping stops its containers first: their exits are its doing, not theirs.
  if ((failure.state === 'exited' || failure.state === 'removed') && (await engineGone(engine))) return lost();
  let details: ContainerDetails | undefined;
  try {
    details = await engine.containers.inspect(failure.containerId);
  } catch (err) {
    if (err instanceof EngineUnreachableError) return lost(err);
    // The container may be gone already; the report says what it can.
  }
  const logs: string[] = [];
  try {
    for await (const l of engine.containers.logs(failure.containerId, { tail: REPORT_LOG_LINES })) logs.push(l.text);
  } catch {
    // The container may be gone already; the report says what it can.
  }
  const probe = details?.healthLog.at(-1)?.output.trim();
  const oomKilled = failure.state === 'exited' && details?.oomKilled === true;
  const state = oomKilled ? `was OOM-killed (exit code ${failure.exitCode}): it ran out of memory`
    : failure.state === 'exited' ? `exited with code ${failure.exitCode}` : failure.state === 'unhealthy' ? 'is unhealthy' : failure.message;
  const subject = what.dependent
    ? `service "${what.dependent}" cannot start: its dependency "${what.dependency}" ${state}${what.condition ? ` (condition ${what.condition})` : ''}`
    : `service "${what.dependency}" ${state}`;
  const report: FailureReport = {
    service: what.dependency,
    container: details?.name ?? failure.containerId.slice(0, 12),
    state: failure.state,
    exitCode: failure.exitCode,
    oomKilled,
    probeOutput: probe,
    logs,
  };
  let message = subject;
  if (probe) message += `\n  last health probe output: ${probe.split('\n').join('\n    ')}`;
  if (logs.length) message += `\n  last ${logs.length} log lines of ${report.container}:\n${logs.map((l) => `    ${l}`).join('\n')}`;
  return new DependencyFailedError(message, report, failure.stall?.hint ?? `inspect it with: tug logs ${what.dependency}`);
}

/**
 * What a container is doing, for a wait that ran out of time: `p-db-1 is running, health:
 * starting (last probe exited 1: not ready)`.
 */
export async function describeState(engine: Engine, id: string): Promise<string> {
  let d: ContainerDetails;
  try {
    d = await engine.containers.inspect(id);
  } catch {
    return `container ${id.slice(0, 12)} cannot be inspected (removed?)`;
  }
  let s = `${d.name} is ${d.state}${d.state === 'exited' ? ` (code ${d.exitCode})` : ''}`;
  if (d.health !== 'none') {
    const probe = d.healthLog.at(-1);
    const output = probe?.output.trim().split('\n', 1)[0];
    s += `, health: ${d.health}${probe ? ` (last probe exited ${probe.exitCode}${output ? `: ${output}` : ''})` : d.health === 'starting' ? ' (no probe has run yet)' : ''}`;
  }
  return s;
}
