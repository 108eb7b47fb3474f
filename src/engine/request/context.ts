/** What every part of the translation shares: options, the plan it returns, small helpers. */
import { ExitCode, TugError } from '../../errors.js';
import { type Project, type Service } from '../../stack/model.js';
import { formatPath } from '../../stack/doc-path.js';
import { prune } from '../../util/dict.js';

export { prune };
import { parseDuration } from '../../stack/units.js';
import type { ContainerCreateBody, EndpointSettings } from '../api/container.js';
import type { FileToCopy } from '../types.js';

export interface ContainerSpecOptions {
  number: number;
  apiVersion: string;
  /** Id of a one-off (`run`) container; its name and labels differ and it gets no service aliases. */
  oneoff?: string;
  hash: string;
  /** Name of a service's replica 1, for volumes_from, network_mode/ipc/pid `service:x` and links. */
  resolveContainer: (service: string) => string;
  /** tug's version, for the `com.docker.compose.version` label. */
  version: string;
  /** Values of the variables named by `environment:` secrets and configs. */
  secretEnv?: Record<string, string | undefined>;
  /** Image id for the `com.docker.compose.image` label, so an image change is seen; else the reference. */
  imageId?: string;
  /** Register the service name and aliases on each network; default: not for one-off containers, as Compose. */
  useAliases?: boolean;
  /**
   * The engine's address when it runs on another machine (tcp:// or ssh:// to a non-loopback
   * host): bind mounts of paths in the project directory name files there, which is warned about.
   */
  remoteEngine?: string;
  /** Reads a seccomp profile named in security_opt, which the engine expects inline. */
  readFile?: (absolutePath: string) => string;
}

export interface ContainerPlan {
  name: string;
  body: ContainerCreateBody;
  /** Networks to connect after create and before start (only below API 1.44). */
  networks: { name: string; endpoint: EndpointSettings }[];
  /** Secret and config contents to upload after create. */
  copies: FileToCopy[];
  /** The create call's `platform` query parameter. */
  platform?: string;
  /** Settings dropped because the engine is too old to understand them and they are only tuning. */
  warnings: string[];
}

export interface Ctx {
  project: Project;
  service: Service;
  opts: ContainerSpecOptions;
  warnings: string[];
}

/** `key` may go deeper than the service's own keys: `networks.front.mac_address`. */
export function unsupported(service: string, key: string, why: string, hint?: string): TugError {
  return new TugError('unsupported', `service "${service}": ${key} is not supported by tug: ${why}`,
    { exitCode: ExitCode.invalidStack, path: formatPath(['services', service, ...key.split('.')]), hint });
}

export function nanos(service: string, key: string, d: string): number {
  const ns = parseDuration(d);
  if (ns === undefined) {
    throw new TugError('invalid_duration', `service "${service}": ${key}: invalid duration "${d}"`, { exitCode: ExitCode.invalidStack, path: formatPath(['services', service, ...key.split('.')]) });
  }
  return ns;
}

/** Compose reads a bare number as microseconds and a string as a duration. */
export function micros(service: string, key: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (/^\d+$/.test(v)) return Number(v);
  return Math.round(nanos(service, key, v) / 1000);
}


