/** Networks and volumes over dockerode. */
import type { EndpointSettings } from '../api/container.js';
import type { NetworkCreateBody, VolumeCreateBody } from '../api/resources.js';
import type { NetworkClient, VolumeClient } from '../engine.js';
import type { LabelFilter, NetworkSummary, VolumeSummary } from '../types.js';
import type { DockerClient } from './client.js';
import { labelFilters, readNetwork, readVolume, readVolumeList } from './map.js';

/** The engine's name filter matches substrings; tug always means the exact name. */
function byName(filter: LabelFilter & { name?: string }): Record<string, string[]> {
  const filters = labelFilters(filter.labels);
  if (filter.name !== undefined) filters.name = [filter.name];
  return filters;
}

export class DockerNetworks implements NetworkClient {
  constructor(private readonly client: DockerClient) {}

  async list(filter: LabelFilter & { name?: string }): Promise<NetworkSummary[]> {
    const { docker } = await this.client.get();
    const list = await this.client.call('listing networks', () => docker.listNetworks({ filters: byName(filter) }));
    return list.map(readNetwork).filter((n) => filter.name === undefined || n.name === filter.name);
  }

  async create(body: NetworkCreateBody): Promise<string> {
    const r = await this.client.dial<{ Id: string }>(`creating network ${body.Name}`, {
      path: '/networks/create?', method: 'POST', options: { _query: {}, _body: body }, statusCodes: { 200: true, 201: true },
    });
    return String(r.Id);
  }

  async remove(idOrName: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`removing network ${idOrName}`, () => docker.getNetwork(idOrName).remove());
  }

  async inspect(idOrName: string): Promise<NetworkSummary | undefined> {
    const { docker } = await this.client.get();
    const n = await this.client.orMissing(this.client.call(`inspecting network ${idOrName}`, () => docker.getNetwork(idOrName).inspect()));
    return n && readNetwork(n);
  }

  async connect(network: string, container: string, endpoint: EndpointSettings): Promise<void> {
    await this.client.dial(`connecting container ${container} to network ${network}`, {
      path: `/networks/${encodeURIComponent(network)}/connect?`, method: 'POST',
      options: { _query: {}, _body: { Container: container, EndpointConfig: endpoint } }, statusCodes: { 200: true },
    });
  }

  async disconnect(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.client.dial(`disconnecting container ${container} from network ${network}`, {
      path: `/networks/${encodeURIComponent(network)}/disconnect?`, method: 'POST',
      options: { _query: {}, _body: { Container: container, Force: opts.force ?? false } }, statusCodes: { 200: true },
    });
  }
}

export class DockerVolumes implements VolumeClient {
  constructor(private readonly client: DockerClient) {}

  async list(filter: LabelFilter & { name?: string }): Promise<VolumeSummary[]> {
    const { docker } = await this.client.get();
    const r = await this.client.call('listing volumes', () => docker.listVolumes({ filters: byName(filter) }));
    return readVolumeList(r).filter((v) => filter.name === undefined || v.name === filter.name);
  }

  async create(body: VolumeCreateBody): Promise<void> {
    await this.client.dial(`creating volume ${body.Name}`, {
      path: '/volumes/create?', method: 'POST', options: { _query: {}, _body: body }, statusCodes: { 200: true, 201: true },
    });
  }

  async remove(name: string): Promise<void> {
    const { docker } = await this.client.get();
    await this.client.call(`removing volume ${name}`, () => docker.getVolume(name).remove());
  }

  async inspect(name: string): Promise<VolumeSummary | undefined> {
    const { docker } = await this.client.get();
    const v = await this.client.orMissing(this.client.call(`inspecting volume ${name}`, () => docker.getVolume(name).inspect()));
    return v && readVolume(v);
  }
}
