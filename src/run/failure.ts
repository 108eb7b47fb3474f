/**
 * Turning "a container did not meet its condition" into a report a person can act on: which
 * service, what state, the health probe's last output and the container's last log lines.
 */
import type { Engine } from '../engine/engine.js';
import { ServiceFailedError } from '../errors.js';
import type { ConditionFailed } from './watch.js';

export const REPORT_LOG_LINES = 50;

export interface FailureReport {
  service: string;
  container: string;
  state: string;
  exitCode?: number;
  probeOutput?: string;
  logs: string[];
}

export class DependencyFailedError extends ServiceFailedError {
  constructor(message: string, readonly report: FailureReport, hint?: string) {
    super('service_failed', message, hint);
  }
}

export async function describeFailure(
  engine: Engine,
  what: { dependent?: string; dependency: string; failure: ConditionFailed; condition?: string },
): Promise<DependencyFailedError> {
  const { failure } = what;
  const details = await engine.containers.inspect(failure.containerId).catch(() => undefined);
  const logs: string[] = [];
  try {
    for await (const l of engine.containers.logs(failure.containerId, { tail: REPORT_LOG_LINES })) logs.push(l.text);
  } catch {
    // The container may be gone already; the report says what it can.
  }
  const probe = details?.healthLog.at(-1)?.output.trim();
  const state = failure.state === 'exited' ? `exited with code ${failure.exitCode}` : failure.state === 'unhealthy' ? 'is unhealthy' : failure.message;
  const subject = what.dependent
    ? `service "${what.dependent}" cannot start: its dependency "${what.dependency}" ${state}${what.condition ? ` (condition ${what.condition})` : ''}`
    : `service "${what.dependency}" ${state}`;
  const report: FailureReport = {
    service: what.dependency,
    container: details?.name ?? failure.containerId.slice(0, 12),
    state: failure.state,
    exitCode: failure.exitCode,
    probeOutput: probe,
    logs,
  };
  let message = subject;
  if (probe) message += `\n  last health probe output: ${probe.split('\n').join('\n    ')}`;
  if (logs.length) message += `\n  last ${logs.length} log lines of ${report.container}:\n${logs.map((l) => `    ${l}`).join('\n')}`;
  return new DependencyFailedError(message, report, `inspect it with: tug logs ${what.dependency}`);
}
