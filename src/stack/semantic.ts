/**
 * Checks the schema cannot express: references between services and resources, dependency
 * cycles, and settings that cannot all hold at once (a fixed name with several replicas, one
 * host port published twice).
 */
import type { Diagnostic, ErrorCode } from '../errors.js';
import { findCycle } from '../util/cycles.js';
import { serviceDependencies } from './dependencies.js';
import { formatPath, type Path } from './doc-path.js';
import type { Locator } from './locate.js';
import type { Project, Service } from './model.js';
import { didYouMean } from './suggest.js';

export interface SemanticResult {
  problems: Diagnostic[];
  warnings: Diagnostic[];
}

export interface CheckOptions {
  /** CPUs of the engine's machine, when known: asking for more is worth a warning. */
  hostCpus?: number;
  /**
   * The stack runs as swarm services: a fixed container name is ignored there, and several
   * replicas can share a published port (the routing mesh, or one task per node in host mode).
   */
  swarm?: boolean;
}

export function checkProject(project: Project, locate: Locator, opts: CheckOptions = {}): SemanticResult {
  const { hostCpus, swarm = false } = opts;
  const problems: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const add = (list: Diagnostic[], path: Path, code: ErrorCode, message: string, hint?: string) =>
    list.push({ code, message, path: formatPath(path), location: locate(path), hint });
  const names = Object.keys(project.services);

  const reference = (from: string, path: Path, target: string, what: string) => {
    // Own keys only: a name such as "constructor" must not find Object.prototype's member.
    if (Object.hasOwn(project.services, target)) return;
    const off = Object.hasOwn(project.disabled_services, target) ? project.disabled_services[target] : undefined;
    if (off) {
      const profiles = off.profiles ?? [];
      add(problems, path, 'dependency_disabled',
        `service "${from}" ${what} "${target}", which is not enabled by the active profiles`,
        `enable it with ${profiles.map((p) => `--profile ${p}`).join(' or ')}, or give "${from}" the same profile`);
      return;
    }
    const guess = didYouMean(target, names);
    add(problems, path, 'unknown_service', `service "${from}" ${what} "${target}", which is not defined${guess ? `: did you mean "${guess}"?` : ''}`,
      guess ? undefined : `defined services: ${names.join(', ')}`);
  };

  for (const [name, svc] of Object.entries(project.services)) {
    const at = (...rest: (string | number)[]): Path => ['services', name, ...rest];
    // A provider service is run by a Compose provider plugin, not from an image.
    if (!svc.image && !svc.build && !svc.provider) {
      add(problems, at(), 'no_image', `service "${name}" has neither an image nor a build section`, 'add image: NAME, or build: DIR');
    }
    for (const [dep, d] of Object.entries(svc.depends_on)) {
      if (!d.required && !Object.hasOwn(project.services, dep)) {
        add(warnings, at('depends_on', dep), 'optional_dependency_missing', `service "${name}" has an optional dependency "${dep}" that is not enabled: it will be ignored`);
        continue;
      }
      reference(name, at('depends_on', dep), dep, 'depends on');
    }
    (svc.links ?? []).forEach((l, i) => reference(name, at('links', i), l.split(':')[0]!, 'links to'));
    (svc.volumes_from ?? []).forEach((v, i) => {
      if (!v.startsWith('container:')) reference(name, at('volumes_from', i), v.split(':')[0]!, 'takes volumes from');
    });
    for (const key of ['network_mode', 'ipc', 'pid'] as const) {
      const v = svc[key];
      if (typeof v === 'string' && v.startsWith('service:')) reference(name, at(key), v.slice('service:'.length), `shares the ${key} of`);
    }
    if (svc.container_name && svc.scale > 1 && !swarm) {
      add(problems, at('container_name'), 'container_name_with_scale',
        `service "${name}" sets container_name "${svc.container_name}" but wants ${svc.scale} replicas: container names must be unique`,
        'remove container_name, or keep one replica');
    }
    for (const net of Object.keys(svc.networks)) {
      if (net !== 'default' && !Object.hasOwn(project.networks, net)) {
        add(problems, at('networks', net), 'undefined_network', `service "${name}" uses network "${net}", which is not declared under the top-level networks:`);
      }
    }
    if (hostCpus !== undefined && !swarm && svc.cpus !== undefined && svc.cpus > hostCpus) {
      add(warnings, at('cpus'), 'cpus_above_host', `service "${name}" asks for ${svc.cpus} CPUs but this engine has ${hostCpus}`);
    }
  }
  checkHostPorts(project.services, add.bind(null, problems), swarm);

  // The same dependencies, and so the same cycle, as the DependencyGraph that orders `up`.
  const cycle = findCycle(new Map(Object.entries(project.services).map(([name, svc]) => [name, serviceDependencies(svc).map((d) => d.to)])));
  if (cycle) {
    problems.push({
      code: 'dependency_cycle',
      message: `dependency cycle: ${cycle.join(' -> ')}`,
      location: { file: project.config_files[0] ?? project.working_dir, line: 0, col: 0 },
      hint: 'remove one depends_on (or links/volumes_from) entry from the cycle',
    });
  }
  return { problems, warnings };
}

function checkHostPorts(services: Record<string, Service>, add: (path: Path, code: ErrorCode, message: string, hint?: string) => void, swarm: boolean): void {
  const taken = new Map<string, string>();
  for (const [name, svc] of Object.entries(services)) {
    svc.ports.forEach((p) => {
      if (!p.published) return;
      const [lo, hi] = p.published.split('-').map(Number) as [number, number | undefined];
      // Published 0: the engine picks a free port for each container, so nothing clashes.
      if (lo === 0 && hi === undefined) return;
      // A published range lets the engine pick one port per replica; only a fixed port clashes.
      if (hi !== undefined && hi !== lo) return;
      const proto = p.protocol;
      const ip = p.host_ip ?? '0.0.0.0';
      const k = `${lo}/${proto}`;
      const owner = taken.get(k);
      const wildcard = (x: string) => x === '0.0.0.0' || x === '::' || x === '';
      const clash = owner !== undefined && (owner.split('@')[1] === ip || wildcard(ip) || wildcard(owner.split('@')[1]!));
      if (clash) {
        add(['services', name, 'ports'], 'host_port_conflict',
          `host port ${lo}/${proto} is published twice (by service "${owner.split('@')[0]}" and service "${name}")`,
          'publish a different host port, or leave the host port out to let the engine pick one');
      } else taken.set(k, `${name}@${ip}`);
      if (svc.scale > 1 && !swarm) {
        add(['services', name, 'ports'], 'host_port_with_scale',
          `service "${name}" publishes fixed host port ${lo} but wants ${svc.scale} replicas: only one can bind it`,
          'use a host port range (e.g. "8000-8005:80") or leave the host port out');
      }
    });
  }
}
