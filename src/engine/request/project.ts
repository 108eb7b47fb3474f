/** Create bodies for the project's own networks and volumes. */
import { ExitCode, TugError } from '../../errors.js';
import { formatPath } from '../../stack/doc-path.js';
import { type Project } from '../../stack/model.js';
import { LABEL } from '../../labels.js';
import type { NetworkCreateBody, VolumeCreateBody } from '../api/resources.js';
import { apiAtLeast } from '../api-version.js';
import { prune } from './context.js';

export interface ResourceSpecOptions {
  /** tug's version, for the `com.docker.compose.version` label. */
  version?: string;
  /** Engine API version, to refuse settings an older engine would silently ignore. */
  apiVersion?: string;
}

export function networkSpec(project: Project, key: string, opts: ResourceSpecOptions = {}): NetworkCreateBody {
  const n = project.networks[key];
  if (!n) throw new TugError('undefined_network', `network "${key}" is not declared under the top-level networks:`, { exitCode: ExitCode.invalidStack });
  if (n.external) throw new TugError('external_network', `network "${key}" is external: tug does not create it`, { exitCode: ExitCode.invalidStack, hint: `create it first: docker network create ${n.name}` });
  let enableIPv4 = n.enable_ipv4;
  if (enableIPv4 !== undefined && opts.apiVersion !== undefined && !apiAtLeast(opts.apiVersion, '1.48')) {
    if (!enableIPv4) {
      throw new TugError('unsupported', `network "${key}": enable_ipv4: false needs Engine API 1.48 (Docker 28); the engine speaks ${opts.apiVersion}`,
        { exitCode: ExitCode.invalidStack, path: formatPath(['networks', key, 'enable_ipv4']) });
    }
    enableIPv4 = undefined; // IPv4 is on anyway before 1.48
  }
  const ipam = n.ipam && {
    Driver: n.ipam.driver,
    Config: n.ipam.config?.map((c) => ({ Subnet: c.subnet, IPRange: c.ip_range, Gateway: c.gateway, AuxiliaryAddresses: c.aux_addresses })),
    Options: n.ipam.options,
  };
  return prune<NetworkCreateBody>({
    Name: n.name,
    CheckDuplicate: true,
    Driver: n.driver,
    Options: n.driver_opts,
    IPAM: ipam,
    Internal: n.internal,
    Attachable: n.attachable,
    EnableIPv4: enableIPv4,
    EnableIPv6: n.enable_ipv6,
    Labels: resourceLabels(project, 'network', key, n.labels, opts),
  });
}

export function volumeSpec(project: Project, key: string, opts: ResourceSpecOptions = {}): VolumeCreateBody {
  const v = project.volumes[key];
  if (!v) throw new TugError('undefined_volume', `volume "${key}" is not declared under the top-level volumes:`, { exitCode: ExitCode.invalidStack });
  if (v.external) throw new TugError('external_volume', `volume "${key}" is external: tug does not create it`, { exitCode: ExitCode.invalidStack, hint: `create it first: docker volume create ${v.name}` });
  return prune<VolumeCreateBody>({
    Name: v.name,
    Driver: v.driver,
    DriverOpts: v.driver_opts,
    Labels: resourceLabels(project, 'volume', key, v.labels, opts),
  });
}

/** The user's labels, then the ones that say whose the network or volume is. */
function resourceLabels(project: Project, kind: 'network' | 'volume', key: string, own: Record<string, string> | undefined, opts: ResourceSpecOptions): Record<string, string> {
  return {
    ...own,
    [LABEL.project]: project.name,
    [LABEL[kind]]: key,
    ...(opts.version !== undefined ? { [LABEL.version]: opts.version } : {}),
    [LABEL.managedBy]: 'tug',
  };
}
