/** The networks a service attaches to, and the overlay networks the stack creates. */
import { type NetworkAttachmentConfig, type NetworkCreateRequest } from '../engine/api/swarm.js';
import { type Diagnostic, ExitCode, TugError } from '../errors.js';
import { type Project, type Service, type ServiceNetwork } from '../stack/model.js';
import { type Ctx, STACK_LABEL, apiAtLeast, nonEmpty, prune, refuse, warn } from './context.js';

/** The engine's own networks carry no aliases (docker stack's rule: only user-defined networks get them). */
function isUserDefined(name: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(name) && !name.startsWith('container:');
}

export function attachments(ctx: Ctx): NetworkAttachmentConfig[] {
  const { project, service } = ctx;
  refuseAliasLinks(service);
  if (service.network_mode !== undefined) {
    // Swarm reaches the host's network through the node-local `host` network (Docker 17.06+).
    if (service.network_mode === 'host') return [{ Target: 'host' }];
    throw refuse(service.name, 'network_mode', `swarm tasks can share only the host's network, not "${service.network_mode}"`,
      'attach the service to networks instead, or use network_mode: host');
  }
  const out = Object.entries(service.networks).map(([key, cfg]) => {
    const network = project.networks[key];
    if (!network) {
      throw new TugError('undefined_network', `service "${service.name}" uses network "${key}", which is not declared under the top-level networks:`,
        { exitCode: ExitCode.invalidStack, path: `services.${service.name}.networks` });
    }
    return attachment(ctx, key, network.name, cfg ?? {});
  });
  // As docker stack: sorted by target, so the same file gives the same spec.
  return out.sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0));
}

function attachment(ctx: Ctx, key: string, target: string, cfg: ServiceNetwork): NetworkAttachmentConfig {
  const { service } = ctx;
  const where = `networks.${key}`;
  for (const k of ['ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address'] as const) {
    if (cfg[k] !== undefined) throw refuse(service.name, `${where}.${k}`, 'a service\'s replicas cannot share one address, and swarm assigns them itself', `remove ${k}`);
  }
  if ((cfg as { interface_name?: string }).interface_name !== undefined) {
    throw refuse(service.name, `${where}.interface_name`, 'swarm names task interfaces itself', 'remove interface_name');
  }
  for (const k of ['priority', 'gw_priority'] as const) {
    if (cfg[k] !== undefined) warn(ctx, `${where}.${k}`, `${where}.${k} is ignored in swarm mode: a task joins its networks in the order the manager chooses`);
  }
  const aliases = isUserDefined(target) ? [...new Set([...(cfg.aliases ?? []), service.name])] : cfg.aliases;
  return prune({ Target: target, Aliases: nonEmpty(aliases), DriverOpts: nonEmpty(cfg.driver_opts) });
}

/** A link's alias is a second name for a service; with no way to express it, refusing beats a name that does not resolve. */
function refuseAliasLinks(service: Service): void {
  for (const link of service.links ?? []) {
    const [target = '', alias] = link.split(':');
    if (alias !== undefined && alias !== target) {
      throw refuse(service.name, 'links', `link alias "${alias}" for "${target}" has no swarm equivalent`,
        `give service "${target}" the alias under networks.<network>.aliases, or use the name "${target}"`);
    }
  }
}

/** Keys of the project's networks that some service attaches to (docker stack creates only those). */
export function usedNetworks(project: Project): string[] {
  const used = new Set<string>();
  for (const s of Object.values(project.services)) {
    if (s.network_mode !== undefined) continue;
    for (const key of Object.keys(s.networks)) used.add(key);
  }
  return Object.keys(project.networks).filter((k) => used.has(k));
}

export interface StackNetworks {
  /** Create bodies by engine name. */
  create: Record<string, NetworkCreateRequest>;
  /** Engine names of external networks, which must already exist with swarm scope. */
  external: string[];
  warnings: Diagnostic[];
}

/** `apiVersion`: the manager's (absent: a current one), for the settings that need a newer API. */
export function networkSpecs(project: Project, opts: { apiVersion?: string } = {}): StackNetworks {
  const out: StackNetworks = { create: {}, external: [], warnings: [] };
  for (const key of usedNetworks(project)) {
    const n = project.networks[key]!;
    if (n.external) {
      out.external.push(n.name);
      continue;
    }
    let driver = n.driver ?? 'overlay';
    if (driver === 'bridge') {
      // A bridge is local to one engine: a file written for `up` means "the default network", which on a swarm is an overlay.
      out.warnings.push({ code: 'swarm_network_driver', message: `network "${key}": driver bridge is replaced by overlay in swarm mode`, path: `networks.${key}.driver` });
      driver = 'overlay';
    }
    if (driver === 'host' || driver === 'none') {
      throw new TugError('swarm_unsupported', `network "${key}": driver ${driver} cannot be created; it is the engine's own network`,
        { exitCode: ExitCode.invalidStack, path: `networks.${key}.driver`, hint: `declare it as external: true with name: ${driver}` });
    }
    const ipam = n.ipam && prune({
      Driver: n.ipam.driver,
      Config: nonEmpty(n.ipam.config?.map((c) => prune({
        Subnet: str(c.subnet), IPRange: str(c.ip_range), Gateway: str(c.gateway), AuxiliaryAddresses: strMap(c.aux_addresses),
      }))),
      Options: nonEmpty(n.ipam.options),
    });
    // EnableIPv4 arrived in API 1.48; an older manager ignores it, and IPv4 is always on there.
    let enableIPv4 = n.enable_ipv4;
    if (enableIPv4 !== undefined && !apiAtLeast(opts.apiVersion, '1.48')) {
      if (!enableIPv4) {
        throw new TugError('swarm_unsupported', `network "${key}": enable_ipv4: false needs Engine API 1.48 (Docker 28); the manager speaks ${opts.apiVersion}`,
          { exitCode: ExitCode.invalidStack, path: `networks.${key}.enable_ipv4`, hint: 'upgrade the swarm managers or remove enable_ipv4' });
      }
      enableIPv4 = undefined;
    }
    out.create[n.name] = prune({
      Name: n.name,
      Driver: driver,
      Internal: n.internal || undefined,
      Attachable: n.attachable || undefined,
      IPAM: ipam && Object.keys(ipam).length ? ipam : undefined,
      EnableIPv4: enableIPv4,
      EnableIPv6: n.enable_ipv6,
      Options: nonEmpty(n.driver_opts),
      Labels: { ...n.labels, [STACK_LABEL.namespace]: project.name },
    });
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strMap(v: unknown): Record<string, string> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

