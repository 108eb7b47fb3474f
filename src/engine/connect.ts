/**
 * Which engine tug talks to, decided in one place for the Docker client and for the project
 * lock's key, the way the docker CLI decides (docker/cli's cli/command/cli.go):
 *
 *   1. `--context NAME`
 *   2. `--host` (`-H`)                       then the default context, below
 *   3. DOCKER_HOST                           then the default context, below
 *   4. DOCKER_CONTEXT
 *   5. `currentContext` in $DOCKER_CONFIG/config.json (~/.docker; set by `docker context use`)
 *   6. the default context: `--host`, else DOCKER_HOST, else the system socket, else Docker
 *      Desktop's per-user socket; TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH.
 *
 * A context named `default` is the default context. Any other is read from the docker CLI's
 * store: $DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json (`Endpoints.docker.Host`,
 * `SkipTLSVerify`) and contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem.
 *
 * Resolving never throws: what makes an engine unusable (an unknown context, TLS asked for
 * without its files, plain tcp:// to another machine without --insecure) is carried in the
 * target and reported by its first call, exit code 4. The client itself (dockerode, ~100 ms to
 * import) is loaded on first use only, so verbs such as `config` never pay for it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from './engine.js';
import { DEFAULT_SOCKET, isLoopback, type EngineTarget, type TlsFiles } from './target.js';
import { dockerConfigDir } from './docker-config.js';

export { DEFAULT_SOCKET, isRemoteHost, type EngineTarget } from './target.js';

/** What the command line (or a caller of the library) asks for; each key is optional. */
export interface EngineSelection {
  /** `--host`: an engine address, as DOCKER_HOST takes it. */
  host?: string;
  /** `--context`: a Docker context name. */
  context?: string;
  /** `--insecure`: allow plain tcp:// to an engine on another machine. */
  insecure?: boolean;
}

type Env = Record<string, string | undefined>;

let selected: EngineSelection = {};

/** The global options' choice, for every later resolveHost() and connect() of this process. */
export function selectEngine(selection: EngineSelection): void {
  selected = { ...selection };
}


/** The directory name the docker CLI's context store gives a context: the sha256 of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** `tcp://h:2375/` and `tcp://h:2375` are one engine (and one project lock). */
const tidy = (host: string | undefined): string | undefined => host?.trim().replace(/\/+$/, '') || undefined;

export function resolveHost(opts: EngineSelection = {}, env: Env = process.env): EngineTarget {
  const sel: EngineSelection = { ...selected };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (sel as Record<string, unknown>)[k] = v;
  const config = dockerConfigDir(env);
  if (sel.context && tidy(sel.host)) {
    return { host: tidy(sel.host)!, source: 'option', problem: {
      message: 'conflicting options: both --host and --context name an engine',
      hint: 'give only one of them',
    } };
  }
  const chosen = contextName(sel, env, config);
  const target = chosen && chosen.name !== 'default'
    ? fromContext(chosen, config)
    : fromDefault(sel, env, config);
  return refusePlainRemote(target, sel.insecure === true);
}

/** Which context is in force, as the docker CLI reads it; undefined is the default context. */
function contextName(sel: EngineSelection, env: Env, config: string): EngineTarget['context'] {
  if (sel.context) return { name: sel.context, from: '--context' };
  if (tidy(sel.host) || tidy(env.DOCKER_HOST)) return undefined;
  if (env.DOCKER_CONTEXT) return { name: env.DOCKER_CONTEXT, from: 'DOCKER_CONTEXT' };
  const current = currentContext(config);
  return current ? { name: current, from: 'currentContext' } : undefined;
}

/** config.json's `currentContext`; an unreadable file counts as none (the docker CLI only warns). */
function currentContext(config: string): string | undefined {
  try {
    const cfg = JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')) as { currentContext?: unknown };
    return typeof cfg.currentContext === 'string' && cfg.currentContext !== '' ? cfg.currentContext : undefined;
  } catch {
    return undefined;
  }
}

function fromDefault(sel: EngineSelection, env: Env, config: string): EngineTarget {
  const option = tidy(sel.host);
  const fromEnv = tidy(env.DOCKER_HOST);
  let target: EngineTarget;
  if (option) target = { host: option, source: 'option' };
  else if (fromEnv) target = { host: fromEnv, source: 'env' };
  else {
    const user = join(env.HOME || homedir(), '.docker', 'run', 'docker.sock');
    return { host: `unix://${existsSync(DEFAULT_SOCKET) || !existsSync(user) ? DEFAULT_SOCKET : user}`, source: 'default' };
  }
  const url = tcpUrl(target.host);
  if (!url) return target;
  const verify = (env.DOCKER_TLS_VERIFY ?? '') !== '';
  // The docker CLI's TLS switches, and docker-modem's: https:// or the TLS port 2376 (verified).
  const skipVerify = !verify && (env.DOCKER_TLS ?? '') !== '';
  if (!verify && !skipVerify && url.protocol !== 'https:' && url.port !== '2376') return target;
  const dir = env.DOCKER_CERT_PATH || config;
  const tls: TlsFiles = { verify: !skipVerify };
  for (const k of ['ca', 'cert', 'key'] as const) {
    const file = join(dir, `${k}.pem`);
    if (existsSync(file)) tls[k] = file;
  }
  target.tls = tls;
  if (verify && !tls.ca) {
    target.problem = {
      message: `DOCKER_TLS_VERIFY is set, but there is no CA certificate ${join(dir, 'ca.pem')} to check the engine at ${target.host} against`,
      hint: `set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem (now ${env.DOCKER_CERT_PATH ? 'DOCKER_CERT_PATH' : 'the default'}: ${dir})`,
    };
  }
  return target;
}

function fromContext(context: NonNullable<EngineTarget['context']>, config: string): EngineTarget {
  const { name, from } = context;
  const id = contextId(name);
  const metaFile = join(config, 'contexts', 'meta', id, 'meta.json');
  const named = from === '--context' ? `--context ${name}` : from === 'DOCKER_CONTEXT' ? `DOCKER_CONTEXT=${name}` : `the current context "${name}" (${join(config, 'config.json')})`;
  const unusable = (message: string, hint: string): EngineTarget =>
    ({ host: `context://${name}`, source: 'context', context, problem: { message, hint } });
  let meta: { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return unusable(`Docker context "${name}" does not exist (named by ${named})`,
        `docker context ls lists the contexts (tug reads them from ${join(config, 'contexts')}); docker context use default goes back to the default engine`);
    }
    return unusable(`cannot read Docker context "${name}" (${metaFile}): ${(e as Error).message}`, 'docker context inspect shows it; recreate it with docker context create');
  }
  const ep = meta.Endpoints?.docker;
  if (!ep || typeof ep !== 'object') {
    return unusable(`Docker context "${name}" has no docker endpoint (${metaFile})`, `recreate it: docker context create ${name} --docker host=...`);
  }
  const host = typeof ep.Host === 'string' && ep.Host !== '' ? tidy(ep.Host)! : `unix://${DEFAULT_SOCKET}`;
  const target: EngineTarget = { host, source: 'context', context };
  if (!tcpUrl(host)) return target;
  const dir = join(config, 'contexts', 'tls', id, 'docker');
  const tls: TlsFiles = { verify: ep.SkipTLSVerify !== true };
  for (const k of ['ca', 'cert', 'key'] as const) {
    const file = join(dir, `${k}.pem`);
    if (existsSync(file)) tls[k] = file;
  }
  // As the docker CLI: TLS when the context holds TLS material or skips verification, else plain HTTP.
  if (tls.ca || tls.cert || tls.key || !tls.verify) target.tls = tls;
  return target;
}

/** The URL of a tcp:// (http://, https://) host; undefined for sockets, pipes, ssh:// and the unparsable. */
function tcpUrl(host: string): URL | undefined {
  // A bare host:port is tcp://, as the docker CLI reads it.
  const full = host.includes('://') || host.startsWith('/') ? host : `tcp://${host}`;
  if (!/^(tcp|http|https):\/\//i.test(full)) return undefined;
  try {
    return new URL(full);
  } catch {
    return undefined;
  }
}

/** Plain HTTP to another machine hands the engine (root on it) to anyone on the path. */
function refusePlainRemote(target: EngineTarget, insecure: boolean): EngineTarget {
  if (target.problem || target.tls || insecure) return target;
  const url = tcpUrl(target.host);
  if (!url || isLoopback(url.hostname)) return target;
  const where = target.source === 'context' ? `Docker context "${target.context!.name}" names` : target.source === 'option' ? '--host names' : 'DOCKER_HOST names';
  return {
    ...target,
    problem: {
      message: `refusing to talk to the Docker engine at ${target.host} without TLS (${where} it): anyone on the network between could run containers as root there`,
      hint: target.source === 'context'
        ? `give the context TLS material (docker context update ${target.context!.name} --docker host=tcp://${url.hostname}:2376,ca=ca.pem,cert=cert.pem,key=key.pem), use ssh://user@${url.hostname}, or pass --insecure on a network you trust`
        : `use TLS (DOCKER_HOST=tcp://${url.hostname}:2376 with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH holding ca.pem, cert.pem, key.pem), or DOCKER_HOST=ssh://user@${url.hostname}, or pass --insecure on a network you trust`,
    },
  };
}

/** Never fails: an unreachable engine shows up on the first call, as EngineUnreachableError. */
export async function connect(opts: EngineSelection = {}): Promise<Engine> {
  const { dockerEngine } = await import('./docker/engine.js');
  return dockerEngine(resolveHost(opts));
}
