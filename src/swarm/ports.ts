/** ports: and deploy.endpoint_mode as the service's endpoint. */
import { type EndpointSpec, type PortConfig } from '../engine/api/swarm.js';
import { type Ctx, invalid, prune, refuse, warn } from './context.js';
import { endpointMode } from './deploy.js';

export function endpointSpec(ctx: Ctx): EndpointSpec | undefined {
  const { service } = ctx;
  const mode = endpointMode(service);
  const ports: PortConfig[] = [];
  let appProtocol = false;
  for (const p of service.ports) {
    if (p.host_ip !== undefined && p.host_ip !== '' && p.host_ip !== '0.0.0.0' && p.host_ip !== '::') {
      // Dropping it would publish on every address of every node: a port meant for localhost would be public.
      throw refuse(service.name, 'ports', `swarm publishes on every address of a node; it cannot bind ${p.host_ip}:${p.published ?? p.target}`,
        'remove host_ip, or keep the service off the swarm if the port must stay private');
    }
    if (p.app_protocol !== undefined) appProtocol = true;
    ports.push(prune({ Name: p.name, Protocol: p.protocol, TargetPort: p.target, PublishedPort: published(ctx, p.published, p.target), PublishMode: p.mode }));
  }
  if (appProtocol) warn(ctx, 'ports', 'ports[].app_protocol is ignored in swarm mode: a swarm port has no application protocol');
  // Sorted as docker stack sorts them, so one file always gives the same spec (and spec hash).
  ports.sort(comparePorts);
  const seen = new Set<string>();
  for (const p of ports) {
    if (mode === 'dnsrr' && p.PublishMode === 'ingress') {
      throw refuse(service.name, 'ports', `port ${p.TargetPort} is published through the routing mesh (ingress), which needs a virtual IP, but endpoint_mode is dnsrr`, 'publish it with mode: host, or use endpoint_mode: vip');
    }
    if (p.PublishedPort === undefined) continue;
    const key = `${p.PublishedPort}/${p.Protocol}`;
    if (seen.has(key)) throw invalid(service.name, 'ports', `port ${key} is published twice`);
    seen.add(key);
  }
  const out: EndpointSpec = prune({ Mode: mode, Ports: ports.length ? ports : undefined });
  return Object.keys(out).length ? out : undefined;
}

function published(ctx: Ctx, p: string | undefined, target: number): number | undefined {
  if (p === undefined || p === '') return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(p);
  if (!m) throw invalid(ctx.service.name, 'ports', `invalid published port "${p}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  // The loader expands equal ranges port by port; a range for one target asks the engine to pick, which swarm cannot.
  if (hi !== lo) throw refuse(ctx.service.name, 'ports', `a swarm port publishes exactly one port, not the range ${p} for ${target}`, `publish one port (e.g. "${lo}:${target}"), or leave it out and let the manager pick one`);
  if (lo < 1 || lo > 65535) throw invalid(ctx.service.name, 'ports', `published port ${lo} is out of range`);
  return lo;
}

/** The order the manager's PortConfig.Compare gives: published port, target port, protocol, mode. */
export function comparePorts(a: PortConfig, b: PortConfig): number {
  return (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0)
    || a.TargetPort - b.TargetPort
    || cmp(a.Protocol, b.Protocol)
    || cmp(a.PublishMode, b.PublishMode);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
