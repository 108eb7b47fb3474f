import { ExitCode, TugError, type EngineRefusalCode, type ExitCode as Exit } from '../errors.js';

/**
 * An engine that answered with an error status; `status` lets callers tell 404 from 409.
 * Kept apart from the dockerode code so that fake engines in tests can throw it too.
 *
 * The engine's refusals that mean "something is in the way" (a port or a name taken, a
 * network name that is ambiguous...) are told apart here, in one place, by status and
 * message: each gets its own code, exit code 5 and a hint, instead of exit 1 ("a bug in tug").
 * Callers that know more (which container holds the port) replace the hint with `withHint`.
 */
export class EngineApiError extends TugError {
  readonly status: number;
  /** What the refusal was, when it is one tug knows (see `classifyRefusal`). */
  readonly refusal?: EngineRefusalCode;
  constructor(message: string, status: number, cause?: unknown, opts: { hint?: string } = {}) {
    const refusal = classifyRefusal(status, message);
    super(refusal?.code ?? 'engine_error', message, {
      cause, exitCode: refusal ? ExitCode.serviceFailed : undefined, hint: opts.hint ?? refusal?.hint,
    });
    this.status = status;
    this.refusal = refusal?.code;
  }

  /** The same refusal with a more precise hint (and, optionally, message). */
  withHint(hint: string, message = this.message): EngineApiError {
    return new EngineApiError(message, this.status, this.cause ?? this, { hint });
  }
}

/** The refusals tug knows, by status and the engine's own words (Docker 20.10 to 28, Podman). */
export function classifyRefusal(status: number, message: string): { code: EngineRefusalCode; exitCode: Exit; hint: string } | undefined {
  const m = message;
  const of = (code: EngineRefusalCode, hint: string) => ({ code, exitCode: ExitCode.serviceFailed, hint });
  if (/port is already allocated|address already in use|bind: (?:address|port) .*in use/i.test(m)) {
    const port = publishedPort(m);
    return of('port_allocated', `another container or process holds ${port ? `host port ${port}` : 'the host port'}: stop it, or publish another port`);
  }
  if (/is ambiguous|matches found (?:based )?on name/i.test(m)) {
    return of('network_ambiguous', 'remove all but one of the networks of that name: docker network ls --filter name=NAME, then docker network rm ID');
  }
  if (/has active endpoints/i.test(m)) {
    return of('network_in_use', 'a container is still attached to it: docker network inspect NAME shows which');
  }
  if (status === 409 && /is already in use by container|name .* is already in use/i.test(m)) {
    return of('name_conflict', 'remove or rename the container that holds the name (docker ps -a shows it)');
  }
  if (/bind source path does not exist|invalid mount config for type "bind"|error while creating mount source path|are you trying to mount a directory onto a file|statfs .*: no such file or directory/i.test(m)) {
    const source = bindSource(m);
    return of('bind_source_invalid', `${source ? `the host path ${source}` : 'a bind mount\'s host path'} must exist and be of the kind the container expects (a directory onto a directory, a file onto a file): create it, fix the path, or let the engine create it (create_host_path: true)`);
  }
  if (/could not find an available, non-overlapping IPv4 address pool|no available (?:IPv4 )?address pool|all predefined address pools have been fully subnetted/i.test(m)) {
    return of('address_pools_exhausted', 'the engine has no address range left for another network: remove networks nothing uses (docker network prune removes every unused one, not only tug\'s), or give the engine more with default-address-pools in its daemon.json');
  }
  if (/no space left on device/i.test(m)) {
    return of('no_space', 'the engine\'s disk is full: docker system df shows what uses it; remove unused images, containers and volumes you no longer need');
  }
  // containerd still has the task (or the container object, or its bundle) of a previous
  // life: what an engine killed while the container ran leaves behind.
  if (/task .*already exists|already exists.*task|container with id exists|id already in use|container "?[0-9a-f]{12,64}"?: already exists|io\.containerd\.runtime.*file exists/i.test(m)) {
    return of('task_exists', 'the engine still holds a task of this container from before it restarted: docker rm -f the container and run tug up again, or restart the engine');
  }
  return undefined;
}

/** `8080` from "Bind for 0.0.0.0:8080 failed" or "listen tcp4 0.0.0.0:8080: bind". */
export function publishedPort(message: string): number | undefined {
  const m = /(?:Bind for|listen (?:tcp|udp|sctp)[46]?) \[?[0-9a-fA-F.:]*\]?:(\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** The host path an engine names in a refused bind mount, when it does. */
export function bindSource(message: string): string | undefined {
  const m = /bind source path does not exist: (\S+)|creating mount source path '([^']+)'|error mounting "([^"]+)"|statfs (\S+): no such file/i.exec(message);
  return m ? (m[1] ?? m[2] ?? m[3] ?? m[4]) : undefined;
}

/** The id of the container an engine names in a "name is already in use" refusal. */
export function conflictingContainer(message: string): string | undefined {
  return /already in use by container "?([0-9a-f]{12,64})"?/.exec(message)?.[1];
}

/**
 * The answer of a call about one container, or undefined when that container was removed or
 * stopped since it was listed (404, 409): a report leaves it out rather than failing.
 */
export async function unlessGone<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof EngineApiError && (e.status === 404 || e.status === 409)) return undefined;
    throw e;
  }
}
