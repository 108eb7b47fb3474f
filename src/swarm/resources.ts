/** CPU, memory, pids and generic resources: limits a node enforces, reservations the scheduler counts. */
import { type GenericResource, type ResourceRequirements } from '../engine/api/swarm.js';
import { ExitCode, TugError } from '../errors.js';
import { type ResourceSpec, type Service } from '../stack/model.js';
import { type Ctx, decimal, invalid, isEmpty, isPlainObject, needApi, nonEmpty, prune, refuse, servicePath, warn, wholeNumber } from './context.js';

export function resources(ctx: Ctx): ResourceRequirements | undefined {
  const s = ctx.service;
  checkConflicts(s);
  const res = s.deploy?.resources;
  const limitsIn = res?.limits ?? {};
  const reservIn = res?.reservations ?? {};
  for (const k of ['devices', 'generic_resources'] as const) {
    if (!isEmpty(limitsIn[k])) throw refuse(s.name, `deploy.resources.limits.${k}`, 'swarm limits only CPUs, memory and pids', `reserve it under deploy.resources.reservations${k === 'devices' ? '.generic_resources' : ''} instead`);
  }
  if (!isEmpty(reservIn.devices)) {
    throw refuse(s.name, 'deploy.resources.reservations.devices', 'swarm cannot give a service device requests',
      'advertise the device as a node generic resource (node-generic-resources in daemon.json) and reserve it under generic_resources');
  }
  if (reservIn.pids !== undefined) warn(ctx, 'deploy.resources.reservations.pids', 'deploy.resources.reservations.pids is ignored in swarm mode: the scheduler reserves no pids');

  // The loader copies deploy.resources into the flat keys; either side alone is enough here.
  const cpus = s.cpus ?? limitsIn.cpus;
  const memory = s.mem_limit ?? limitsIn.memory;
  const limits = prune({
    NanoCPUs: cpus === undefined ? undefined : Math.round(decimal(s.name, 'cpus', cpus) * 1e9),
    MemoryBytes: memory,
    Pids: s.pids_limit ?? limitsIn.pids,
  });
  const reservCpus = reservIn.cpus === undefined ? undefined : decimal(s.name, 'deploy.resources.reservations.cpus', reservIn.cpus);
  const reservations = prune({
    NanoCPUs: reservCpus === undefined ? undefined : Math.round(reservCpus * 1e9),
    MemoryBytes: s.mem_reservation ?? reservIn.memory,
    GenericResources: nonEmpty(genericResources(s.name, reservIn)),
  });
  const out: ResourceRequirements = prune({
    Limits: Object.keys(limits).length ? limits : undefined,
    Reservations: Object.keys(reservations).length ? reservations : undefined,
    SwapBytes: swapBytes(ctx, memory),
    MemorySwappiness: s.mem_swappiness,
  });
  if (s.mem_swappiness !== undefined) {
    needApi(ctx, 'mem_swappiness', '1.52', 'mem_swappiness');
    // The node applies swappiness only to a task that has limits; without them it would be dropped.
    if (!out.Limits) throw refuse(s.name, 'mem_swappiness', 'a node applies it only together with a limit', 'set mem_limit (or deploy.resources.limits.memory) too');
  }
  return Object.keys(out).length ? out : undefined;
}

/** The manager wants swap on top of the limit; Compose's memswap_limit is memory plus swap. */
function swapBytes(ctx: Ctx, memLimit: number | undefined): number | undefined {
  const s = ctx.service;
  if (s.memswap_limit === undefined || s.memswap_limit === 0) return undefined;
  needApi(ctx, 'memswap_limit', '1.52', 'memswap_limit');
  if (memLimit === undefined) throw refuse(s.name, 'memswap_limit', 'swap can only be set together with a memory limit', 'set mem_limit (or deploy.resources.limits.memory) too');
  if (s.memswap_limit === -1) return -1;
  if (s.memswap_limit < memLimit) throw invalid(s.name, 'memswap_limit', `${s.memswap_limit} is below the memory limit ${memLimit}`, 'memswap_limit is memory plus swap, so at least mem_limit');
  return s.memswap_limit - memLimit;
}

function genericResources(service: string, r: ResourceSpec): GenericResource[] {
  return (r.generic_resources ?? []).map((g, i) => {
    const at = `deploy.resources.reservations.generic_resources.${i}`;
    if (!isPlainObject(g)) throw invalid(service, at, 'expected discrete_resource_spec or named_resource_spec');
    const d = g.discrete_resource_spec;
    const n = g.named_resource_spec;
    if (isPlainObject(d) && typeof d.kind === 'string') return { DiscreteResourceSpec: { Kind: d.kind, Value: wholeNumber(service, `${at}.discrete_resource_spec.value`, d.value, 1) } };
    if (isPlainObject(n) && typeof n.kind === 'string' && typeof n.value === 'string') return { NamedResourceSpec: { Kind: n.kind, Value: n.value } };
    throw invalid(service, at, 'expected discrete_resource_spec {kind, value} or named_resource_spec {kind, value}');
  });
}

/**
 * The flat keys and deploy.resources say the same thing twice: both may be set only if they
 * agree. The loader checks this already; a Project built another way gets the same error here.
 */
function checkConflicts(s: Service): void {
  const L = s.deploy?.resources?.limits ?? {};
  const R = s.deploy?.resources?.reservations ?? {};
  const pairs: [keyof Service, ResourceSpec, keyof ResourceSpec, string][] = [
    ['cpus', L, 'cpus', 'limits'], ['mem_limit', L, 'memory', 'limits'], ['pids_limit', L, 'pids', 'limits'],
    ['mem_reservation', R, 'memory', 'reservations'],
  ];
  for (const [flat, sec, key, section] of pairs) {
    const dv = sec[key];
    const fv = s[flat];
    if (dv === undefined || fv === undefined || fv === dv) continue;
    throw new TugError('conflicting_limits', `service "${s.name}": ${flat} (${String(fv)}) and deploy.resources.${section}.${key} (${String(dv)}) disagree`,
      { exitCode: ExitCode.invalidStack, path: servicePath(s.name, flat), hint: 'set only one of them' });
  }
}
