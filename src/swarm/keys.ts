/**
 * Every service key, and what swarm mode does with it. A swarm ServiceSpec expresses far less than
 * a container create body, so each key is decided here once: mapped into the spec, handled
 * elsewhere, ignored with a warning (losing it does not change what the service does in a way
 * that matters), or refused (running without it would be a different, possibly unsafe, service).
 */
import { type Diagnostic } from '../errors.js';
import { type Service } from '../stack/model.js';
import { type SwarmSpecOptions, isEmpty, refuse, servicePath } from './context.js';

export type SwarmDisposition =
  | { readonly to: 'mapped' }
  | { readonly to: 'elsewhere'; readonly where: string }
  | { readonly to: 'ignored'; readonly why: string }
  | { readonly to: 'refused'; readonly why: string; readonly hint: string };

// Keys the schema accepts that the model does not type: normalise passes them through.
export type UntypedKey = 'credential_spec' | 'use_api_socket' | 'pull_refresh_after' | 'driver_opts';

const mapped = { to: 'mapped' } as const;
const ignored = (why: string) => ({ to: 'ignored', why }) as const;
const refused = (why: string, hint: string) => ({ to: 'refused', why, hint }) as const;
const elsewhere = (where: string) => ({ to: 'elsewhere', where }) as const;

const NO_HOST_DEVICES = 'swarm cannot give a service host devices';
const DEVICE_HINT = 'advertise the device as a node generic resource and reserve it under deploy.resources.reservations.generic_resources';
const CPU_ONLY = 'swarm limits CPU only as a number of CPUs';
const CPU_HINT = 'use deploy.resources.limits.cpus (or cpus)';
const NO_NAMESPACE = 'swarm task containers always get their own namespaces';

export const SWARM_KEYS = {
  name: mapped,
  image: mapped,
  // Refused when it is the only source of the image; see checkKeys.
  build: ignored('swarm nodes pull the image; build it and push it to a registry they can reach first'),
  pull_policy: ignored('each node pulls the image itself when it starts a task'),
  pull_refresh_after: ignored('each node pulls the image itself when it starts a task'),
  platform: mapped,
  profiles: elsewhere('the loader'),
  scale: mapped,
  container_name: ignored('swarm names task containers <service>.<slot>.<task id>'),
  hostname: mapped,
  domainname: refused('swarm containers have no domain name setting', 'put the fully qualified name in hostname'),
  command: mapped,
  entrypoint: mapped,
  working_dir: mapped,
  user: mapped,
  environment: mapped,
  labels: mapped,
  annotations: ignored('swarm services have no container annotations'),
  ports: mapped,
  expose: ignored('tasks on a shared network reach each other on every port'),
  volumes: mapped,
  volumes_from: refused('swarm tasks cannot share another container\'s volumes',
    'declare the volume under the top-level volumes: and mount it in each service that shares it'),
  tmpfs: mapped,
  depends_on: elsewhere('planDeploy: the order services are created in'),
  // An alias that differs from the service name is refused in network.ts.
  links: ignored('services on a shared network reach each other by service name'),
  external_links: refused('swarm has no links to containers outside the stack', 'attach the service to an external overlay network and use the service name'),
  network_mode: mapped,
  networks: mapped,
  extra_hosts: mapped,
  dns: mapped,
  dns_opt: mapped,
  dns_search: mapped,
  mac_address: refused('a service\'s replicas cannot share one MAC address, and swarm has no setting for it', 'remove mac_address'),
  healthcheck: mapped,
  restart: mapped,
  stop_signal: mapped,
  stop_grace_period: mapped,
  init: mapped,
  tty: mapped,
  stdin_open: mapped,
  privileged: refused('swarm cannot run privileged containers', 'grant the capabilities it needs with cap_add, or run it outside the swarm'),
  read_only: mapped,
  cap_add: mapped,
  cap_drop: mapped,
  security_opt: mapped,
  sysctls: mapped,
  ulimits: mapped,
  shm_size: refused('swarm has no shared memory size setting', 'mount a tmpfs at /dev/shm instead: { type: tmpfs, target: /dev/shm, tmpfs: { size: 256m } }'),
  devices: refused(NO_HOST_DEVICES, DEVICE_HINT),
  device_cgroup_rules: refused(NO_HOST_DEVICES, DEVICE_HINT),
  group_add: mapped,
  ipc: refused(NO_NAMESPACE, 'remove ipc'),
  pid: refused(NO_NAMESPACE, 'remove pid'),
  uts: refused(NO_NAMESPACE, 'remove uts'),
  userns_mode: refused(NO_NAMESPACE, 'remove userns_mode, or configure user namespaces in the nodes\' daemon.json'),
  cgroup: refused(NO_NAMESPACE, 'remove cgroup'),
  cgroup_parent: refused('swarm has no cgroup parent setting', 'remove cgroup_parent'),
  isolation: mapped,
  runtime: refused('swarm always uses the node\'s default runtime', 'set default-runtime in the nodes\' daemon.json'),
  storage_opt: refused('swarm has no storage driver options', 'remove storage_opt'),
  logging: mapped,
  secrets: mapped,
  configs: mapped,
  cpus: mapped,
  cpu_shares: refused(CPU_ONLY, CPU_HINT),
  cpu_period: refused(CPU_ONLY, CPU_HINT),
  cpu_quota: refused(CPU_ONLY, CPU_HINT),
  cpu_rt_runtime: refused(CPU_ONLY, CPU_HINT),
  cpu_rt_period: refused(CPU_ONLY, CPU_HINT),
  cpuset: refused(CPU_ONLY, 'pin the service to nodes with deploy.placement.constraints instead'),
  cpu_count: refused(CPU_ONLY, CPU_HINT),
  cpu_percent: refused(CPU_ONLY, CPU_HINT),
  mem_limit: mapped,
  mem_reservation: mapped,
  memswap_limit: mapped,
  mem_swappiness: mapped,
  oom_kill_disable: refused('swarm cannot disable the OOM killer', 'set a memory limit the service fits in'),
  oom_score_adj: mapped,
  pids_limit: mapped,
  blkio_config: refused('swarm has no block IO limits', 'remove blkio_config'),
  deploy: mapped,
  develop: ignored('watch syncs files into containers on one engine'),
  gpus: refused('swarm cannot give a service device requests', DEVICE_HINT),
  models: refused('it needs Docker Model Runner', 'run the model as an ordinary service and pass its URL in environment'),
  post_start: refused('swarm has no lifecycle hooks', 'run the command from the entrypoint instead'),
  pre_stop: refused('swarm has no lifecycle hooks', 'handle the stop signal in the container instead'),
  pre_start: refused('swarm has no lifecycle hooks', 'run the steps as a replicated-job service the others depend on'),
  attach: elsewhere('the CLI, which chooses whose logs to follow'),
  label_file: refused('label files should have been read when loading', 'move the labels into labels:'),
  extensions: elsewhere('x- keys are for tools, not for the engine'),
  credential_spec: mapped,
  use_api_socket: refused('tug does not hand engine credentials to containers', 'bind-mount /var/run/docker.sock explicitly if the service needs the engine'),
  provider: refused('a provider service is not a container: Compose hands it to the provider plugin its provider.type names, and tug runs no provider plugins', 'create the resource outside tug and pass its address in environment'),
  driver_opts: refused('service-level driver_opts has no swarm equivalent', 'set driver_opts on the attachment under networks:'),
} as const satisfies Record<keyof Service | UntypedKey, SwarmDisposition>;

export const SWARM_SERVICE_KEYS: Readonly<Record<string, SwarmDisposition>> = SWARM_KEYS;

/**
 * Throws on the first refused key that is set, and returns one warning per ignored key that is
 * set. `build` depends on the caller: it can build and push, else the service's `image` is pulled.
 */
export function checkKeys(service: Service, opts: Pick<SwarmSpecOptions, 'resolveImage' | 'buildsImages'>): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  for (const [key, value] of Object.entries(service)) {
    if (isEmpty(value)) continue;
    const d = Object.hasOwn(SWARM_SERVICE_KEYS, key) ? SWARM_SERVICE_KEYS[key] : undefined;
    if (d === undefined) throw refuse(service.name, key, 'tug does not know this key', 'remove it, or move it under an x- extension key');
    if (d.to === 'refused') throw refuse(service.name, key, d.why, d.hint);
    if (d.to !== 'ignored') continue;
    if (key === 'build') {
      const ref = opts.resolveImage?.(service) ?? service.image;
      if (ref === undefined) {
        throw refuse(service.name, key, 'swarm nodes pull images, and this service has only a build', 'add image: REGISTRY/NAME:TAG, build and push it, then deploy');
      }
      if (opts.buildsImages) continue;
    }
    warnings.push({ code: 'swarm_ignored', message: `service "${service.name}": ${key} is ignored in swarm mode: ${d.why}`, path: servicePath(service.name, key) });
  }
  for (const [dep, d] of Object.entries(service.depends_on)) {
    if (!d.restart) continue;
    warnings.push({
      code: 'swarm_ignored',
      message: `service "${service.name}": depends_on.${dep}.restart is ignored in swarm mode: the manager does not restart dependents when "${dep}" is updated`,
      path: servicePath(service.name, `depends_on.${dep}.restart`),
    });
  }
  return warnings;
}
