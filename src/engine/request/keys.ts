/** Every service key, and what the local engine does with it: mapped, ignored, refused or handled elsewhere. */
import { type Service } from '../../stack/model.js';
import { ExitCode, TugError } from '../../errors.js';
import { formatPath } from '../../stack/doc-path.js';
import { unsupported } from './context.js';
import { isEmpty } from '../../util/dict.js';

/**
 * mapped: translated here. elsewhere: honoured by another module (build, scheduling, logs).
 * ignored: has no meaning for containers on one engine (swarm-only, metadata).
 * refused: present and non-empty makes containerSpec throw `unsupported`.
 */
export type KeyDisposition = 'mapped' | 'ignored' | 'refused' | 'elsewhere';

// Keys the schema accepts that the model does not type: normalise passes them through.
export type UntypedKey = 'credential_spec' | 'use_api_socket' | 'pull_refresh_after' | 'driver_opts';

export const KEYS = {
  name: 'mapped', image: 'mapped', build: 'elsewhere', pull_policy: 'elsewhere', pull_refresh_after: 'elsewhere',
  platform: 'mapped', profiles: 'elsewhere', scale: 'elsewhere', container_name: 'mapped', hostname: 'mapped',
  domainname: 'mapped', command: 'mapped', entrypoint: 'mapped', working_dir: 'mapped', user: 'mapped',
  environment: 'mapped', labels: 'mapped', annotations: 'mapped', ports: 'mapped', expose: 'mapped',
  volumes: 'mapped', volumes_from: 'mapped', tmpfs: 'mapped', depends_on: 'elsewhere', links: 'mapped',
  external_links: 'refused', network_mode: 'mapped', networks: 'mapped', extra_hosts: 'mapped', dns: 'mapped',
  dns_opt: 'mapped', dns_search: 'mapped', mac_address: 'mapped', healthcheck: 'mapped', restart: 'mapped',
  stop_signal: 'mapped', stop_grace_period: 'mapped', init: 'mapped', tty: 'mapped', stdin_open: 'mapped',
  privileged: 'mapped', read_only: 'mapped', cap_add: 'mapped', cap_drop: 'mapped', security_opt: 'mapped',
  sysctls: 'mapped', ulimits: 'mapped', shm_size: 'mapped', devices: 'mapped', device_cgroup_rules: 'mapped',
  group_add: 'mapped', ipc: 'mapped', pid: 'mapped', uts: 'mapped', userns_mode: 'mapped', cgroup: 'mapped',
  cgroup_parent: 'mapped', isolation: 'mapped', runtime: 'mapped', storage_opt: 'mapped', logging: 'mapped',
  secrets: 'mapped', configs: 'mapped', cpus: 'mapped', cpu_shares: 'mapped', cpu_period: 'mapped',
  cpu_quota: 'mapped', cpu_rt_runtime: 'mapped', cpu_rt_period: 'mapped', cpuset: 'mapped', cpu_count: 'mapped',
  cpu_percent: 'mapped', mem_limit: 'mapped', mem_reservation: 'mapped', memswap_limit: 'mapped',
  mem_swappiness: 'mapped', oom_kill_disable: 'mapped', oom_score_adj: 'mapped', pids_limit: 'mapped',
  blkio_config: 'mapped',
  // restart_policy and reservations.devices are mapped; placement, update/rollback, mode... are swarm-only.
  deploy: 'mapped',
  // Lifecycle hooks run from run/hooks.ts: post_start and pre_stop by exec, pre_start in a one-off container.
  develop: 'ignored', gpus: 'mapped', models: 'refused', post_start: 'elsewhere', pre_stop: 'elsewhere', pre_start: 'elsewhere',
  attach: 'elsewhere', label_file: 'refused', extensions: 'ignored',
  credential_spec: 'refused', use_api_socket: 'refused', provider: 'refused', driver_opts: 'refused',
} as const satisfies Record<keyof Service | UntypedKey, KeyDisposition>;

export const SERVICE_KEYS: Record<string, KeyDisposition> = KEYS;

export const REFUSALS: Record<string, { why: string; hint: string }> = {
  external_links: {
    why: 'it needs legacy links to containers outside the project',
    hint: 'attach the service to an external network (networks: { x: { external: true } }) and use the container name',
  },
  models: { why: 'it needs Docker Model Runner', hint: 'run the model as an ordinary service and pass its URL in environment' },
  label_file: { why: 'label files should have been read when loading', hint: 'move the labels into labels:' },
  credential_spec: { why: 'Windows gMSA credential specs need the swarm or the docker CLI', hint: 'remove credential_spec' },
  use_api_socket: {
    why: 'tug does not hand engine credentials to containers',
    hint: 'bind-mount /var/run/docker.sock explicitly if the service needs the engine',
  },
  provider: {
    why: 'a provider service is not a container: Compose hands its setup and teardown to the provider plugin its provider.type names (a model runner, a cloud resource...), and tug runs no provider plugins',
    hint: 'create the resource outside tug and pass its address to the services that use it in environment',
  },
  driver_opts: { why: 'service-level driver_opts has no engine equivalent', hint: 'set driver_opts on the attachment under networks:' },
};

export function refuseUnsupported(service: Service): void {
  for (const [key, value] of Object.entries(service)) {
    const disposition = SERVICE_KEYS[key];
    if (disposition === undefined) {
      if (isEmpty(value)) continue;
      throw unsupported(service.name, key, 'tug does not know this key', 'remove it, or move it under an x- extension key');
    }
    if (disposition !== 'refused' || isEmpty(value)) continue;
    const r = REFUSALS[key] ?? { why: 'it cannot be honoured on a single engine', hint: `remove ${key}` };
    throw unsupported(service.name, key, r.why, r.hint);
  }
  service.pre_start?.forEach((h, i) => {
    if (!h.per_replica) return;
    // As Compose: the steps run once for the service, before any of its replicas starts.
    throw new TugError('unsupported', `service "${service.name}": pre_start[${i}].per_replica is not supported by tug: pre_start runs once per service, before its first replica starts`,
      { exitCode: ExitCode.invalidStack, path: formatPath(['services', service.name, 'pre_start', i, 'per_replica']), hint: 'remove per_replica, or set it to false' });
  });
}
