/** deploy: how many tasks, where, how they restart and how an update rolls out. */
import { type Placement, type RestartCondition, type RestartPolicy, type ServiceMode, type UpdateConfig } from '../engine/api/swarm.js';
import { type Service } from '../stack/model.js';
import { decimal, invalid, isPlainObject, nanos, nonEmpty, prune, refuse, wholeNumber } from './context.js';

export type ModeName = 'replicated' | 'global' | 'replicated-job' | 'global-job';

const MODES: readonly ModeName[] = ['replicated', 'global', 'replicated-job', 'global-job'];

function oneOf<T extends string>(list: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (list as readonly string[]).includes(v);
}

export function modeName(service: Service): ModeName {
  const m = service.deploy?.mode ?? 'replicated';
  if (!oneOf(MODES, m)) throw invalid(service.name, 'deploy.mode', `unknown mode "${m}"`, 'expected replicated, global, replicated-job or global-job');
  return m;
}

export function isJob(mode: ModeName): boolean {
  return mode === 'replicated-job' || mode === 'global-job';
}

export function serviceMode(service: Service): ServiceMode {
  const mode = modeName(service);
  // The loader folds deploy.replicas into scale; a Project built another way may set only one.
  const explicit = service.deploy?.replicas;
  const replicas = explicit === undefined ? service.scale : wholeNumber(service.name, 'deploy.replicas', explicit);
  switch (mode) {
    case 'replicated':
      return { Replicated: { Replicas: replicas } };
    case 'replicated-job':
      // As docker stack: the file's replicas are both the total and how many run at once.
      return { ReplicatedJob: { MaxConcurrent: replicas, TotalCompletions: replicas } };
    case 'global':
    case 'global-job':
      if (explicit !== undefined || service.scale !== 1) {
        throw refuse(service.name, explicit !== undefined ? 'deploy.replicas' : 'scale', `a ${mode} service runs one task per node`, 'remove replicas/scale, or use a replicated mode');
      }
      return mode === 'global' ? { Global: {} } : { GlobalJob: {} };
  }
}

const CONDITIONS: readonly RestartCondition[] = ['none', 'on-failure', 'any'];

/** deploy.restart_policy, else `restart:` as docker stack reads it. */
export function restartPolicy(service: Service): RestartPolicy | undefined {
  const rp = service.deploy?.restart_policy;
  if (rp) {
    const condition = rp.condition;
    if (condition !== undefined && !oneOf(CONDITIONS, condition)) {
      throw invalid(service.name, 'deploy.restart_policy.condition', `unknown condition "${condition}"`, 'expected none, on-failure or any');
    }
    return prune({
      Condition: condition,
      Delay: rp.delay === undefined ? undefined : nanos(service.name, 'deploy.restart_policy.delay', rp.delay),
      MaxAttempts: rp.max_attempts === undefined ? undefined : wholeNumber(service.name, 'deploy.restart_policy.max_attempts', rp.max_attempts),
      Window: rp.window === undefined ? undefined : nanos(service.name, 'deploy.restart_policy.window', rp.window),
    });
  }
  if (service.restart === undefined) return undefined;
  const [name = '', count] = service.restart.split(':');
  const attempts = count === undefined ? 0 : wholeNumber(service.name, 'restart', count);
  const max = attempts > 0 ? attempts : undefined;
  switch (name) {
    // docker stack sends no policy for `no`, which the manager reads as `any`: honour the file instead.
    case 'no':
      return { Condition: 'none' };
    case 'always':
    case 'unless-stopped':
      return prune({ Condition: 'any', MaxAttempts: max });
    case 'on-failure':
      return prune({ Condition: 'on-failure', MaxAttempts: max });
    default:
      throw invalid(service.name, 'restart', `unknown policy "${service.restart}"`, 'expected no, always, on-failure[:N] or unless-stopped');
  }
}

export function placement(service: Service, mode: ModeName): Placement | undefined {
  const p = service.deploy?.placement;
  const max = p?.max_replicas_per_node === undefined ? undefined : wholeNumber(service.name, 'deploy.placement.max_replicas_per_node', p.max_replicas_per_node);
  if (max !== undefined && (mode === 'global' || mode === 'global-job')) {
    throw refuse(service.name, 'deploy.placement.max_replicas_per_node', `a ${mode} service runs one task per node already`, 'remove max_replicas_per_node');
  }
  const out: Placement = prune({
    Constraints: nonEmpty(p?.constraints),
    Preferences: nonEmpty((p?.preferences ?? []).map((pref) => ({ Spread: { SpreadDescriptor: pref.spread } }))),
    MaxReplicas: max || undefined,
    Platforms: service.platform === undefined ? undefined : [platform(service.name, service.platform)],
  });
  return Object.keys(out).length ? out : undefined;
}

/** `linux/arm64/v8` → the OS and architecture the scheduler matches against nodes; the variant is not matched. */
function platform(service: string, p: string): { OS: string; Architecture?: string } {
  const [os = '', arch] = p.split('/');
  if (os === '') throw invalid(service, 'platform', `invalid platform "${p}"`, 'expected os[/arch[/variant]], e.g. linux/amd64');
  return prune({ OS: os, Architecture: arch });
}

type FailureAction = NonNullable<UpdateConfig['FailureAction']>;
const FAILURE_ACTIONS: Record<'update_config' | 'rollback_config', readonly FailureAction[]> = {
  update_config: ['continue', 'pause', 'rollback'],
  rollback_config: ['continue', 'pause'],
};
const ORDERS: readonly NonNullable<UpdateConfig['Order']>[] = ['stop-first', 'start-first'];

export function updateConfig(service: Service, key: 'update_config' | 'rollback_config', mode: ModeName): UpdateConfig | undefined {
  const raw = service.deploy?.[key];
  if (raw === undefined) return undefined;
  const at = (k: string) => `deploy.${key}.${k}`;
  if (isJob(mode)) throw refuse(service.name, `deploy.${key}`, 'jobs are not updated or rolled back gradually', `remove ${key}`);
  if (!isPlainObject(raw)) throw invalid(service.name, `deploy.${key}`, 'expected a mapping');
  const failure = raw.failure_action;
  const actions = FAILURE_ACTIONS[key];
  if (failure !== undefined && !oneOf(actions, failure)) {
    throw invalid(service.name, at('failure_action'), `unknown action ${JSON.stringify(failure)}`, `expected ${actions.join(', ')}`);
  }
  const order = raw.order;
  if (order !== undefined && !oneOf(ORDERS, order)) {
    throw invalid(service.name, at('order'), `unknown order ${JSON.stringify(order)}`, 'expected stop-first or start-first');
  }
  const ratio = raw.max_failure_ratio === undefined ? undefined : decimal(service.name, at('max_failure_ratio'), raw.max_failure_ratio);
  if (ratio !== undefined && ratio > 1) throw invalid(service.name, at('max_failure_ratio'), `${ratio} is above 1`, 'a ratio between 0 and 1');
  return prune({
    // As docker stack: one task at a time unless the file says otherwise (0 means all at once).
    Parallelism: raw.parallelism === undefined ? 1 : wholeNumber(service.name, at('parallelism'), raw.parallelism),
    Delay: raw.delay === undefined ? undefined : nanos(service.name, at('delay'), raw.delay),
    FailureAction: failure,
    Monitor: raw.monitor === undefined ? undefined : nanos(service.name, at('monitor'), raw.monitor),
    MaxFailureRatio: ratio,
    Order: order,
  });
}

export function endpointMode(service: Service): 'vip' | 'dnsrr' | undefined {
  const m = service.deploy?.endpoint_mode;
  if (m === undefined) return undefined;
  const lower = m.toLowerCase();
  if (lower !== 'vip' && lower !== 'dnsrr') throw invalid(service.name, 'deploy.endpoint_mode', `unknown mode "${m}"`, 'expected vip or dnsrr');
  return lower;
}
