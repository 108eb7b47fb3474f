/**
 * The rows `docker compose` prints for `ps`, `ls`, `images` and `version` with `--format
 * json`, field for field, so that scripts reading them through jq get the same answers from
 * tug. Checked against docker/compose's cmd/formatter/container.go (ps: the methods of
 * ContainerContext, marshalled in key order), cmd/compose/list.go (stackView),
 * cmd/compose/images.go and cmd/compose/version.go.
 */
import type { ContainerSummary } from '../plan/observed.js';
import type { ImageRow, ProjectListing } from '../run/reports.js';
import { LABEL } from '../labels.js';

export interface PortPublisher {
  URL: string;
  TargetPort: number;
  PublishedPort: number;
  Protocol: string;
}

/** `docker compose ps --format json`: one of these a line. */
export interface ComposePsRow {
  Command: string;
  CreatedAt: string;
  ExitCode: number;
  Health: string;
  ID: string;
  Image: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Name: string;
  Names: string;
  Networks: string;
  Ports: string;
  Project: string;
  Publishers: PortPublisher[];
  RunningFor: string;
  Service: string;
  Size: string;
  State: string;
  Status: string;
}

/** docker's formatter.Ellipsis: at most `width` characters, the last one `…` when cut. */
export function ellipsis(s: string, width: number): string {
  const chars = [...s];
  return chars.length <= width ? s : `${chars.slice(0, width - 1).join('')}…`;
}

/** go-units HumanDuration, which docker writes `CREATED` with ("2 minutes", "About an hour"). */
export function humanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const minutes = Math.floor(s / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(s / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(s / 3600 / 24 / 365)} years`;
}

/** Go's time.Time.String() of a Unix time, in UTC: `2024-05-01 12:00:00 +0000 UTC`. */
export function goTime(unixSeconds: number): string {
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** `0.0.0.0:8080->80/tcp, 9000/udp`: the PORTS column of docker ps. */
export function displayPorts(ports: ContainerSummary['ports']): string {
  return ports
    .map((p) => {
      if (!p.publicPort) return `${p.privatePort}/${p.type}`;
      const ip = p.ip ?? '0.0.0.0';
      return `${ip.includes(':') ? `[${ip}]` : ip}:${p.publicPort}->${p.privatePort}/${p.type}`;
    })
    .filter((v, i, a) => a.indexOf(v) === i)
    .join(', ');
}

/** Compose's containerPublishers: every port of the listing, by container port. */
export function publishers(ports: ContainerSummary['ports']): PortPublisher[] {
  return [...ports]
    .sort((a, b) => a.privatePort - b.privatePort)
    .map((p) => ({ URL: p.ip ?? '', TargetPort: p.privatePort, PublishedPort: p.publicPort ?? 0, Protocol: p.type }));
}

/** The exit code of a stopped container, read from its status text (`Exited (137) 2 minutes ago`). */
export function exitCodeOf(c: Pick<ContainerSummary, 'state' | 'status'>): number {
  if (c.state !== 'exited' && c.state !== 'dead') return 0;
  const m = /\((-?\d+)\)/.exec(c.status);
  return m ? Number(m[1]) : 0;
}

export interface PsRowOptions {
  /** `--no-trunc` leaves ids and commands whole. */
  trunc: boolean;
  /** Unix seconds, for RunningFor. */
  now: number;
}

/** A container as `docker compose ps --format json` prints it (keys in Go's marshalling order). */
export function composePsRow(c: ContainerSummary, o: PsRowOptions): ComposePsRow {
  const command = c.command ?? '';
  const mounts = c.listedMounts ?? [];
  return {
    Command: JSON.stringify(o.trunc ? ellipsis(command, 20) : command),
    CreatedAt: goTime(c.created),
    ExitCode: exitCodeOf(c),
    Health: c.state === 'running' && c.health !== 'none' ? c.health : '',
    ID: o.trunc ? c.id.slice(0, 12) : c.id,
    Image: c.image,
    Labels: Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: String(mounts.filter((m) => m.driver === 'local').length),
    Mounts: mounts.map((m) => (o.trunc ? ellipsis(m.name, 15) : m.name)).join(','),
    Name: c.name,
    Names: c.name,
    Networks: (c.networks ?? []).join(','),
    Ports: displayPorts(c.ports),
    Project: c.labels[LABEL.project] ?? '',
    Publishers: publishers(c.ports),
    RunningFor: `${humanDuration(o.now - c.created)} ago`,
    Service: c.service,
    // Compose does not ask the engine for sizes in ps, so its Size is always this.
    Size: '0B',
    State: c.state,
    Status: c.status,
  };
}

/** The template row of `ps`: the JSON row plus ContainerContext's one method with an argument. */
export function psTemplateRow(c: ContainerSummary, o: PsRowOptions): ComposePsRow & { Label: (name: unknown) => string } {
  return { ...composePsRow(c, o), Label: (name) => c.labels[String(name)] ?? '' };
}

/** Column titles docker gives the ps fields (cli/command/formatter and compose's NewContainerContext). */
export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Name: 'NAME', Project: 'PROJECT', Service: 'SERVICE', Image: 'IMAGE', Command: 'COMMAND',
  CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE',
  Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS',
};

/** A sample ps row for checking a template before there is anything to list. */
export const PS_SAMPLE = psTemplateRow({
  id: '0'.repeat(64), name: 'p-web-1', state: 'running', status: 'Up', health: 'none', image: 'busybox', labels: {}, created: 0,
  ports: [{ privatePort: 80, publicPort: 8080, ip: '0.0.0.0', type: 'tcp' }, { privatePort: 80, publicPort: 8080, ip: '::', type: 'tcp' }], command: 'sh', networks: ['p_default'], listedMounts: [{ name: 'v' }],
  service: 'web', number: 1, oneoff: false,
}, { trunc: true, now: 0 });

/** `docker compose ls --format json`: the array holds these. */
export interface ComposeLsRow {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

export function composeLsRow(p: ProjectListing): ComposeLsRow {
  return { Name: p.name, Status: p.status, ConfigFiles: p.configFiles };
}

export const LS_HEADERS: Record<string, string> = { Name: 'NAME', Status: 'STATUS', ConfigFiles: 'CONFIG FILES' };

/**
 * `docker compose images --format json`: the array holds these. `Platform` is `unknown` for an
 * image the engine no longer has, as Compose prints it then.
 */
export interface ComposeImageRow {
  ID: string;
  ContainerName: string;
  Repository: string;
  Tag: string;
  Platform: string;
  Size: number;
  Created?: string;
}

export function composeImageRow(r: ImageRow): ComposeImageRow {
  return {
    ID: r.id ? `sha256:${r.id}` : '',
    ContainerName: r.container,
    Repository: r.repository,
    Tag: r.tag,
    Platform: r.platform ?? 'unknown',
    Size: r.size ?? 0,
    ...(r.created ? { Created: new Date(r.created * 1000).toISOString().replace('.000Z', 'Z') } : {}),
  };
}

export const IMAGES_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID', ContainerName: 'CONTAINER', Repository: 'REPOSITORY', Tag: 'TAG', Platform: 'PLATFORM', Size: 'SIZE', Created: 'CREATED',
};

export const IMAGES_SAMPLE: ComposeImageRow = { ID: 'sha256:0', ContainerName: 'p-web-1', Repository: 'busybox', Tag: 'latest', Platform: 'linux/amd64', Size: 0, Created: '' };

/** `docker compose version --format json`. */
export function composeVersionJson(version: string): string {
  return `${JSON.stringify({ version })}\n`;
}
