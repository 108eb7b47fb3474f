/** Which networks a container joins and with what endpoint settings. */
import { ExitCode, TugError } from '../../errors.js';
import { formatPath } from '../../stack/doc-path.js';
import { type ServiceNetwork } from '../../stack/model.js';
import type { EndpointSettings } from '../api/container.js';
import { apiAtLeast } from '../api-version.js';
import { type Ctx, prune, unsupported } from './context.js';

export interface Networking {
  mode?: string;
  hostLinks?: string[];
  endpoints: { name: string; endpoint: EndpointSettings }[];
  later: { name: string; endpoint: EndpointSettings }[];
  macOnEndpoint: boolean;
}

export function networking(ctx: Ctx): Networking {
  const { project, service, opts } = ctx;
  const api = opts.apiVersion;
  const links = (service.links ?? []).map((l) => {
    const colon = l.indexOf(':');
    const svc = colon < 0 ? l : l.slice(0, colon);
    return `${opts.resolveContainer(svc)}:${colon < 0 ? svc : l.slice(colon + 1)}`;
  });
  if (service.network_mode !== undefined) {
    // Without user networks links are the legacy bridge kind; the engine rejects them where they make no sense.
    return { mode: namespaceMode(service.network_mode, opts.resolveContainer), hostLinks: links.length ? links : undefined, endpoints: [], later: [], macOnEndpoint: false };
  }
  const entries = Object.entries(service.networks)
    .map(([key, cfg]) => ({ key, cfg: cfg ?? ({} as ServiceNetwork) }))
    .sort((a, b) => (b.cfg.priority ?? 0) - (a.cfg.priority ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const useAliases = opts.useAliases ?? opts.oneoff === undefined;
  // From 1.44 the MAC address belongs to an endpoint; below it only Config.MacAddress exists.
  const macOnEndpoint = apiAtLeast(api, '1.44');
  const all = entries.map(({ key, cfg }, i) => {
    const network = project.networks[key];
    if (!network) {
      throw new TugError('undefined_network', `service "${service.name}" uses network "${key}", which is not declared under the top-level networks:`,
        { exitCode: ExitCode.invalidStack, path: formatPath(['services', service.name, 'networks']) });
    }
    return { name: network.name, endpoint: endpoint(ctx, key, cfg, i === 0 && macOnEndpoint ? service.mac_address : undefined, useAliases, links) };
  });
  const first = all[0];
  const together = apiAtLeast(api, '1.44');
  return {
    mode: first?.name,
    endpoints: together ? all : all.slice(0, 1),
    later: together ? [] : all.slice(1),
    macOnEndpoint,
  };
}

export function endpoint(ctx: Ctx, key: string, cfg: ServiceNetwork, serviceMac: string | undefined, useAliases: boolean, links: string[]): EndpointSettings {
  const { service, opts } = ctx;
  const api = opts.apiVersion;
  const where = `networks.${key}`;
  if (cfg.mac_address !== undefined && !apiAtLeast(api, '1.44')) {
    throw unsupported(service.name, `${where}.mac_address`, `a per-network MAC address needs Engine API 1.44 (Docker 25); the engine speaks ${api}`, 'use the service-level mac_address');
  }
  if (cfg.gw_priority !== undefined && cfg.gw_priority !== 0 && !apiAtLeast(api, '1.48')) {
    throw unsupported(service.name, `${where}.gw_priority`, `gw_priority needs Engine API 1.48 (Docker 28); the engine speaks ${api}`);
  }
  const ifname = (cfg as { interface_name?: string }).interface_name;
  if (ifname !== undefined && !apiAtLeast(api, '1.49')) {
    throw unsupported(service.name, `${where}.interface_name`, `interface_name needs Engine API 1.49 (Docker 28.1); the engine speaks ${api}`);
  }
  const driverOpts = { ...cfg.driver_opts, ...(ifname !== undefined ? { 'com.docker.network.endpoint.ifname': ifname } : {}) };
  const hasIpam = cfg.ipv4_address !== undefined || cfg.ipv6_address !== undefined || cfg.link_local_ips !== undefined;
  return prune<EndpointSettings>({
    Aliases: useAliases ? [...new Set([service.name, ...(cfg.aliases ?? [])])] : undefined,
    Links: links.length ? links : undefined,
    IPAMConfig: hasIpam ? { IPv4Address: cfg.ipv4_address, IPv6Address: cfg.ipv6_address, LinkLocalIPs: cfg.link_local_ips } : undefined,
    MacAddress: cfg.mac_address ?? serviceMac,
    DriverOpts: Object.keys(driverOpts).length ? driverOpts : undefined,
    GwPriority: cfg.gw_priority,
  });
}

/** `service:x` (network_mode, ipc, pid) names replica 1 of x as `container:<name>`. */
export function namespaceMode(mode: string, resolve: (s: string) => string): string {
  return mode.startsWith('service:') ? `container:${resolve(mode.slice('service:'.length))}` : mode;
}
