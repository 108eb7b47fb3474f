/**
 * serviceSpec: Compose services as the swarm ServiceSpecs `docker stack deploy` makes of them,
 * checked as the exact JSON sent to the manager.
 */
import { describe, expect, it } from 'vitest';
import { type ServiceSpec } from '../../src/engine/api/swarm.js';
import type { Service } from '../../src/stack/model.js';
import { STACK_LABEL, serviceSpec, specHash, swarmConfig } from '../../src/swarm/index.js';
import { loadYaml, proj, readFile, refusal, svc } from '../swarm-support.js';

const HASH = expect.stringMatching(/^[0-9a-f]{64}$/);
const names = { secrets: {}, configs: {} };

function spec(service: Service, project = proj([service]), opts: Parameters<typeof serviceSpec>[2] = {}): ServiceSpec {
  return serviceSpec(project, service, { names, ...opts }).spec;
}

const container = (s: ServiceSpec) => s.TaskTemplate.ContainerSpec;

describe('serviceSpec: representative services, exact JSON', () => {
  it('a web service: names, labels, process, networks, ports, deploy', async () => {
    const { project } = await loadYaml(`
name: shop
services:
  web:
    image: nginx:1.27
    entrypoint: ["/docker-entrypoint.sh"]
    command: nginx -g "daemon off;"
    environment: {B: "2", A: "1", EMPTY: ""}
    labels: {tier: front}
    ports: ["8080:80", {target: 443, published: 8443, mode: host}, "53:53/udp"]
    networks:
      front: {aliases: [www]}
      back: {}
    deploy:
      labels: {team: web}
      update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback, monitor: 1m, max_failure_ratio: 0.25}
      rollback_config: {parallelism: 0, failure_action: pause}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}
      placement: {constraints: [node.role==worker], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 1}
      resources: {limits: {cpus: '0.5', memory: 64M, pids: 100}, reservations: {cpus: '0.25', memory: 32M}}
networks:
  front: {}
  back: {name: shared-back, external: true}
`);
    const out = serviceSpec(project, project.services.web!, { names });
    expect(out.warnings).toEqual([]);
    expect(out.spec).toEqual({
      Name: 'shop_web',
      Labels: { team: 'web', 'com.docker.stack.namespace': 'shop', 'com.docker.stack.image': 'nginx:1.27', 'dev.tug.spec-hash': HASH },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'nginx:1.27',
          Labels: { tier: 'front', 'com.docker.stack.namespace': 'shop' },
          Command: ['/docker-entrypoint.sh'],
          Args: ['nginx', '-g', 'daemon off;'],
          Env: ['A=1', 'B=2', 'EMPTY='],
        },
        Resources: {
          Limits: { NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024, Pids: 100 },
          Reservations: { NanoCPUs: 250_000_000, MemoryBytes: 32 * 1024 * 1024 },
        },
        RestartPolicy: { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 3, Window: 120e9 },
        Placement: { Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }], MaxReplicas: 1 },
        // Sorted by target; the external network keeps its own name; the service name is an alias on each.
        Networks: [
          { Target: 'shared-back', Aliases: ['web'] },
          { Target: 'shop_front', Aliases: ['www', 'web'] },
        ],
      },
      Mode: { Replicated: { Replicas: 1 } },
      UpdateConfig: { Parallelism: 2, Delay: 10e9, FailureAction: 'rollback', Monitor: 60e9, MaxFailureRatio: 0.25, Order: 'start-first' },
      RollbackConfig: { Parallelism: 0, FailureAction: 'pause' },
      EndpointSpec: {
        Ports: [
          { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
          { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
          { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
        ],
      },
    });
    expect(out.spec.Labels[STACK_LABEL.specHash]).toBe(specHash(out.spec));
  });

  it('a global agent: host network, healthcheck off, privileges, mounts, logging', async () => {
    const { project } = await loadYaml(`
name: mon
services:
  agent:
    image: example/agent:2
    network_mode: host
    user: "0:0"
    working_dir: /agent
    hostname: "{{.Node.Hostname}}"
    init: true
    read_only: true
    tty: true
    stdin_open: true
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    healthcheck: {disable: true}
    cap_add: [sys_admin, NET_ADMIN]
    cap_drop: [ALL]
    group_add: [docker]
    security_opt: ["no-new-privileges:true", "seccomp=unconfined", "apparmor=unconfined", "label=type:agent_t"]
    sysctls: {net.core.somaxconn: "1024"}
    ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}
    extra_hosts: ["metrics.internal:10.0.0.5", "metrics.internal=10.0.0.6", "v6.internal:::1"]
    dns: [10.0.0.2]
    dns_search: [internal]
    dns_opt: [ndots:2]
    tmpfs: ["/run:size=64k,mode=0755"]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - {type: bind, source: /sys, target: /host/sys, bind: {propagation: rslave}}
      - state:/state:nocopy
      - {type: volume, target: /scratch}
      - {type: tmpfs, target: /cache, tmpfs: {size: 1m, mode: 0o1777}}
    logging: {driver: json-file, options: {max-size: 10m}}
    oom_score_adj: -500
    isolation: default
    platform: linux/arm64/v8
    deploy:
      mode: global
      endpoint_mode: dnsrr
volumes:
  state: {driver: local, driver_opts: {type: tmpfs, device: tmpfs}, labels: {keep: "yes"}}
`);
    const out = serviceSpec(project, project.services.agent!, { names });
    expect(out.spec).toEqual({
      Name: 'mon_agent',
      Labels: { 'com.docker.stack.namespace': 'mon', 'com.docker.stack.image': 'example/agent:2', 'dev.tug.spec-hash': HASH },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'example/agent:2',
          Labels: { 'com.docker.stack.namespace': 'mon' },
          Hostname: '{{.Node.Hostname}}',
          Dir: '/agent',
          User: '0:0',
          Groups: ['docker'],
          Privileges: { NoNewPrivileges: true, Seccomp: { Mode: 'unconfined' }, AppArmor: { Mode: 'disabled' }, SELinuxContext: { Type: 'agent_t' } },
          Init: true,
          StopSignal: 'SIGINT',
          TTY: true,
          OpenStdin: true,
          ReadOnly: true,
          Mounts: [
            { Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock', ReadOnly: true },
            { Type: 'bind', Source: '/sys', Target: '/host/sys', BindOptions: { Propagation: 'rslave' } },
            {
              Type: 'volume', Source: 'mon_state', Target: '/state',
              VolumeOptions: { NoCopy: true, Labels: { keep: 'yes', 'com.docker.stack.namespace': 'mon' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } },
            },
            { Type: 'volume', Target: '/scratch' },
            { Type: 'tmpfs', Target: '/cache', TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o1777 } },
            { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 64 * 1024, Mode: 0o755 } },
          ],
          StopGracePeriod: 90e9,
          Healthcheck: { Test: ['NONE'] },
          Hosts: ['10.0.0.5 metrics.internal', '10.0.0.6 metrics.internal', '::1 v6.internal'],
          DNSConfig: { Nameservers: ['10.0.0.2'], Search: ['internal'], Options: ['ndots:2'] },
          Isolation: 'default',
          Sysctls: { 'net.core.somaxconn': '1024' },
          CapabilityAdd: ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN'],
          CapabilityDrop: ['ALL'],
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'nproc', Soft: 65535, Hard: 65535 }],
          OomScoreAdj: -500,
        },
        Placement: { Platforms: [{ OS: 'linux', Architecture: 'arm64' }] },
        Networks: [{ Target: 'host' }],
        LogDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
      },
      Mode: { Global: {} },
      EndpointSpec: { Mode: 'dnsrr' },
    });
    expect(out.warnings.map((w) => [w.code, w.path])).toEqual([['swarm_bind_mount', 'services.agent.volumes']]);
    expect(out.warnings[0]!.message).toContain('/var/run/docker.sock, /sys must exist on every node');
  });

  it('a one-shot migration job: replicated-job with the healthcheck in nanoseconds, secrets and configs by versioned name', async () => {
    const { project } = await loadYaml(`
name: shop
services:
  migrate:
    image: shop/migrate:1
    restart: "on-failure:4"
    deploy: {mode: replicated-job, replicas: 3}
    healthcheck: {test: [CMD, /bin/check], interval: 1m30s, timeout: 500ms, retries: 2, start_period: 5s, start_interval: 1s}
    secrets: [db_password, {source: api_key, target: /etc/api.key, uid: "100", gid: "101", mode: 0400}]
    configs: [app, {source: app, target: /etc/app2.conf}]
secrets:
  db_password: {file: ./db.txt}
  api_key: {environment: API_KEY}
configs:
  app: {content: "listen 80"}
`, { 'db.txt': 'hunter2' });
    const cfg = swarmConfig(project, { readFile, env: { API_KEY: 'k' } });
    const s = cfg.services.migrate!;
    const db = cfg.secrets.find((x) => x.Name.startsWith('shop_db_password-'))!.Name;
    const api = cfg.secrets.find((x) => x.Name.startsWith('shop_api_key-'))!.Name;
    const app = cfg.configs[0]!.Name;
    expect(s.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 3 } });
    expect(s.TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure', MaxAttempts: 4 });
    expect(container(s).Healthcheck).toEqual({ Test: ['CMD', '/bin/check'], Interval: 90e9, Timeout: 5e8, Retries: 2, StartPeriod: 5e9, StartInterval: 1e9 });
    // Sorted by name, as docker stack sorts them; IDs are bound later.
    expect(container(s).Secrets).toEqual([
      { File: { Name: '/etc/api.key', UID: '100', GID: '101', Mode: 0o400 }, SecretID: '', SecretName: api },
      { File: { Name: '/run/secrets/db_password', UID: '0', GID: '0', Mode: 0o444 }, SecretID: '', SecretName: db },
    ]);
    expect(container(s).Configs).toEqual([
      { File: { Name: '/app', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: '', ConfigName: app },
      { File: { Name: '/etc/app2.conf', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: '', ConfigName: app },
    ]);
    expect(s.UpdateConfig).toBeUndefined();
    expect(s.EndpointSpec).toBeUndefined();
    // No networks: declared, so the default network of the stack.
    expect(s.TaskTemplate.Networks).toEqual([{ Target: 'shop_default', Aliases: ['migrate'] }]);
  });
});

describe('serviceSpec: mode and replicas', () => {
  it('takes the top-level scale when deploy.replicas is unset, and deploy.replicas over it', () => {
    expect(spec(svc('web', { scale: 4 })).Mode).toEqual({ Replicated: { Replicas: 4 } });
    expect(spec(svc('web', { scale: 1, deploy: { replicas: 3 } })).Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec(svc('web', { scale: 0 })).Mode).toEqual({ Replicated: { Replicas: 0 } });
  });

  it('reads replicas from a loaded file whichever key gave them', async () => {
    const { project } = await loadYaml('services:\n  a: {image: x, scale: 2}\n  b: {image: x, deploy: {replicas: 5}}\n');
    expect(spec(project.services.a!, project).Mode).toEqual({ Replicated: { Replicas: 2 } });
    expect(spec(project.services.b!, project).Mode).toEqual({ Replicated: { Replicas: 5 } });
  });

  it('maps global-job and refuses replicas on a global mode', () => {
    expect(spec(svc('j', { deploy: { mode: 'global-job' } })).Mode).toEqual({ GlobalJob: {} });
    const e = refusal(() => spec(svc('g', { deploy: { mode: 'global', replicas: 2 } })));
    expect(e.path).toBe('services.g.deploy.replicas');
    expect(refusal(() => spec(svc('g', { scale: 3, deploy: { mode: 'global' } }))).path).toBe('services.g.scale');
  });

  it('refuses an unknown mode, and update/rollback config or max_replicas_per_node where swarm rejects them', () => {
    expect(refusal(() => spec(svc('a', { deploy: { mode: 'daemonset' } }))).path).toBe('services.a.deploy.mode');
    expect(refusal(() => spec(svc('a', { deploy: { mode: 'replicated-job', update_config: { parallelism: 1 } } }))).path).toBe('services.a.deploy.update_config');
    expect(refusal(() => spec(svc('a', { deploy: { mode: 'global-job', rollback_config: { parallelism: 1 } } }))).path).toBe('services.a.deploy.rollback_config');
    expect(refusal(() => spec(svc('a', { deploy: { mode: 'global', placement: { max_replicas_per_node: 1 } } }))).path).toBe('services.a.deploy.placement.max_replicas_per_node');
  });
});

describe('serviceSpec: restart', () => {
  const rp = (extra: Partial<Service>) => spec(svc('a', extra)).TaskTemplate.RestartPolicy;

  it('maps restart: when deploy.restart_policy is absent, as docker stack does', () => {
    expect(rp({ restart: 'always' })).toEqual({ Condition: 'any' });
    expect(rp({ restart: 'unless-stopped' })).toEqual({ Condition: 'any' });
    expect(rp({ restart: 'on-failure' })).toEqual({ Condition: 'on-failure' });
    expect(rp({ restart: 'on-failure:5' })).toEqual({ Condition: 'on-failure', MaxAttempts: 5 });
    expect(rp({})).toBeUndefined();
  });

  it('sends none for restart: "no" (docker stack sends nothing, which the manager reads as any)', () => {
    expect(rp({ restart: 'no' })).toEqual({ Condition: 'none' });
  });

  it('prefers deploy.restart_policy, and accepts raw durations and counts from a hand-built project', () => {
    expect(rp({ restart: 'always', deploy: { restart_policy: { condition: 'none' } } })).toEqual({ Condition: 'none' });
    expect(rp({ deploy: { restart_policy: { delay: '1500ms', max_attempts: 0 } } })).toEqual({ Delay: 1.5e9, MaxAttempts: 0 });
  });

  it('refuses an unknown condition or policy at its path', () => {
    expect(refusal(() => rp({ deploy: { restart_policy: { condition: 'sometimes' } } })).path).toBe('services.a.deploy.restart_policy.condition');
    expect(refusal(() => rp({ restart: 'sometimes' })).path).toBe('services.a.restart');
    expect(refusal(() => rp({ deploy: { restart_policy: { delay: 'soon' } } })).path).toBe('services.a.deploy.restart_policy.delay');
  });
});

describe('serviceSpec: update and rollback config', () => {
  it('defaults parallelism to 1 as docker stack, and reads interpolated strings', () => {
    expect(spec(svc('a', { deploy: { update_config: { delay: 5 } } })).UpdateConfig).toEqual({ Parallelism: 1, Delay: 5e9 });
    expect(spec(svc('a', { deploy: { update_config: { parallelism: '3', max_failure_ratio: '0.5', monitor: '30s' } } })).UpdateConfig)
      .toEqual({ Parallelism: 3, MaxFailureRatio: 0.5, Monitor: 30e9 });
  });

  it('refuses values the manager would reject', () => {
    expect(refusal(() => spec(svc('a', { deploy: { update_config: { order: 'random' } } }))).path).toBe('services.a.deploy.update_config.order');
    expect(refusal(() => spec(svc('a', { deploy: { rollback_config: { failure_action: 'rollback' } } }))).path).toBe('services.a.deploy.rollback_config.failure_action');
    expect(refusal(() => spec(svc('a', { deploy: { update_config: { max_failure_ratio: 2 } } }))).path).toBe('services.a.deploy.update_config.max_failure_ratio');
    expect(refusal(() => spec(svc('a', { deploy: { update_config: { parallelism: -1 } } }))).path).toBe('services.a.deploy.update_config.parallelism');
  });
});

describe('serviceSpec: image', () => {
  it('lets the caller rewrite the reference, and labels the service with what the nodes pull', () => {
    const s = spec(svc('web', { image: 'web:dev' }), undefined, { resolveImage: (x) => `registry.local:5000/${x.image}` });
    expect(container(s).Image).toBe('registry.local:5000/web:dev');
    expect(s.Labels[STACK_LABEL.image]).toBe('registry.local:5000/web:dev');
  });

  it('keeps image when the resolver has nothing to say', () => {
    expect(container(spec(svc('web'), undefined, { resolveImage: () => undefined })).Image).toBe('nginx:1.27');
  });
});

describe('serviceSpec: resources', () => {
  const res = (extra: Partial<Service>, opts: Parameters<typeof serviceSpec>[2] = {}) => spec(svc('a', extra), undefined, opts).TaskTemplate.Resources;

  it('maps the top-level keys to the same limits when deploy.resources does not set them', () => {
    expect(res({ cpus: 1.5, mem_limit: 1024, mem_reservation: 512, pids_limit: 50 })).toEqual({
      Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 1024, Pids: 50 },
      Reservations: { MemoryBytes: 512 },
    });
    expect(res({ deploy: { resources: { limits: { cpus: 2, memory: 10 }, reservations: { memory: 5 } } } })).toEqual({
      Limits: { NanoCPUs: 2_000_000_000, MemoryBytes: 10 }, Reservations: { MemoryBytes: 5 },
    });
  });

  it('refuses flat keys that disagree with deploy.resources, as the loader does for one engine', async () => {
    const e = refusal(() => res({ cpus: 1, deploy: { resources: { limits: { cpus: 2 } } } }));
    expect(e.code).toBe('conflicting_limits');
    expect(e.path).toBe('services.a.cpus');
    expect(refusal(() => res({ mem_reservation: 1, deploy: { resources: { reservations: { memory: 2 } } } })).path).toBe('services.a.mem_reservation');
    // The same conflict in a file stops the load with the same code.
    const loaded = await loadYaml('services:\n  a: {image: x, mem_limit: 1g, deploy: {resources: {limits: {memory: 2g}}}}\n').catch((err: unknown) => err);
    expect(loaded).toMatchObject({ code: 'conflicting_limits', path: 'services.a.mem_limit' });
  });

  it('maps generic resources, discrete and named', () => {
    expect(res({ deploy: { resources: { reservations: { generic_resources: [
      { discrete_resource_spec: { kind: 'gpu', value: '2' } }, { named_resource_spec: { kind: 'fpga', value: 'fpga-1' } },
    ] } } } })).toEqual({ Reservations: { GenericResources: [
      { DiscreteResourceSpec: { Kind: 'gpu', Value: 2 } }, { NamedResourceSpec: { Kind: 'fpga', Value: 'fpga-1' } },
    ] } });
  });

  it('maps swap as bytes on top of the memory limit, and swappiness, from API 1.52', () => {
    expect(res({ mem_limit: 100, memswap_limit: 300, mem_swappiness: 10 })).toEqual({ Limits: { MemoryBytes: 100 }, SwapBytes: 200, MemorySwappiness: 10 });
    expect(res({ mem_limit: 100, memswap_limit: -1 })?.SwapBytes).toBe(-1);
    expect(refusal(() => res({ mem_limit: 100, memswap_limit: 300 }, { apiVersion: '1.51' })).path).toBe('services.a.memswap_limit');
    expect(refusal(() => res({ memswap_limit: 300 })).path).toBe('services.a.memswap_limit');
    expect(refusal(() => res({ mem_limit: 300, memswap_limit: 100 })).path).toBe('services.a.memswap_limit');
    // A node applies swappiness only with limits: without any it would be dropped silently.
    expect(refusal(() => res({ mem_swappiness: 10 })).path).toBe('services.a.mem_swappiness');
  });

  it('refuses device requests and limits swarm cannot express; ignores reserved pids with a warning', () => {
    expect(refusal(() => res({ deploy: { resources: { reservations: { devices: [{ capabilities: ['gpu'] }] } } } })).path)
      .toBe('services.a.deploy.resources.reservations.devices');
    expect(refusal(() => res({ deploy: { resources: { limits: { generic_resources: [{}] } } } })).path)
      .toBe('services.a.deploy.resources.limits.generic_resources');
    const out = serviceSpec(proj([svc('a')]), svc('a', { deploy: { resources: { reservations: { pids: 5 } } } }), { names });
    expect(out.spec.TaskTemplate.Resources).toBeUndefined();
    expect(out.warnings.map((w) => w.path)).toEqual(['services.a.deploy.resources.reservations.pids']);
  });
});

describe('serviceSpec: ports', () => {
  const ports = (p: Service['ports'], extra: Partial<Service> = {}) => spec(svc('a', { ports: p, ...extra })).EndpointSpec;

  it('expands ranges through the loader, one PortConfig per port, sorted as docker stack sorts them', async () => {
    const { project } = await loadYaml('services:\n  a:\n    image: x\n    ports: ["9001-9002:8001-8002", "7000:7000/sctp", {target: 80, name: web}, {target: 81, mode: host}]\n');
    expect(spec(project.services.a!, project).EndpointSpec).toEqual({ Ports: [
      { Name: 'web', Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 81, PublishMode: 'host' },
      { Protocol: 'sctp', TargetPort: 7000, PublishedPort: 7000, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 8001, PublishedPort: 9001, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 8002, PublishedPort: 9002, PublishMode: 'ingress' },
    ] });
  });

  it('refuses what a swarm port cannot be: a host address, a range for one target, a duplicate, ingress with dnsrr', () => {
    expect(refusal(() => ports([{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }])).path).toBe('services.a.ports');
    expect(refusal(() => ports([{ target: 80, published: '8000-8005', protocol: 'tcp', mode: 'ingress' }])).message).toContain('range 8000-8005');
    expect(refusal(() => ports([
      { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }, { target: 81, published: '8080', protocol: 'tcp', mode: 'host' },
    ])).message).toContain('8080/tcp is published twice');
    expect(refusal(() => ports([{ target: 80, protocol: 'tcp', mode: 'ingress' }], { deploy: { endpoint_mode: 'dnsrr' } })).message).toContain('dnsrr');
    expect(ports([{ target: 80, published: '80', protocol: 'tcp', mode: 'host' }], { deploy: { endpoint_mode: 'DNSRR' } })?.Mode).toBe('dnsrr');
    expect(refusal(() => ports([], { deploy: { endpoint_mode: 'round-robin' } })).path).toBe('services.a.deploy.endpoint_mode');
  });

  it('accepts a wildcard host address and warns about app_protocol', () => {
    expect(ports([{ target: 80, published: '80', host_ip: '0.0.0.0', protocol: 'tcp', mode: 'ingress' }])?.Ports).toHaveLength(1);
    const out = serviceSpec(proj([]), svc('a', { ports: [{ target: 80, protocol: 'tcp', mode: 'ingress', app_protocol: 'http' }] }), { names });
    expect(out.warnings.map((w) => w.path)).toEqual(['services.a.ports']);
  });
});

describe('serviceSpec: networks', () => {
  const nets = (s: Service, project = proj([s])) => spec(s, project).TaskTemplate.Networks;

  it('attaches to <project>_default when the service names no network', () => {
    expect(nets(svc('web'))).toEqual([{ Target: 'shop_default', Aliases: ['web'] }]);
  });

  it('passes attachment driver_opts and gives no aliases on the engine\'s own networks', () => {
    const project = proj([], { networks: { hostnet: { name: 'host', external: true }, data: { name: 'shop_data' } } });
    expect(nets(svc('web', { networks: { hostnet: null, data: { aliases: ['web', 'api'], driver_opts: { 'com.example.mtu': '1400' } } } }), project)).toEqual([
      { Target: 'host' },
      { Target: 'shop_data', Aliases: ['web', 'api'], DriverOpts: { 'com.example.mtu': '1400' } },
    ]);
  });

  it('refuses fixed addresses, other network modes and link aliases; ignores priorities with a warning', () => {
    const project = proj([], { networks: { default: { name: 'shop_default' } } });
    expect(refusal(() => nets(svc('a', { networks: { default: { ipv4_address: '10.0.0.9' } } }), project)).path).toBe('services.a.networks.default.ipv4_address');
    expect(refusal(() => nets(svc('a', { networks: { default: { mac_address: '02:42:ac:11:00:02' } } }), project)).path).toBe('services.a.networks.default.mac_address');
    expect(refusal(() => nets(svc('a', { network_mode: 'bridge', networks: {} }), project)).path).toBe('services.a.network_mode');
    expect(refusal(() => nets(svc('a', { links: ['db:database'] }), project)).path).toBe('services.a.links');
    const out = serviceSpec(project, svc('a', { networks: { default: { priority: 10 } }, links: ['db', 'db:db'] }), { names });
    expect(out.warnings.map((w) => w.path)).toEqual(['services.a.links', 'services.a.networks.default.priority']);
  });

  it('refuses a network the project does not declare', () => {
    expect(refusal(() => nets(svc('a', { networks: { nope: null } }))).code).toBe('undefined_network');
  });
});

describe('serviceSpec: mounts', () => {
  const m = (extra: Partial<Service>, opts: Parameters<typeof serviceSpec>[2] = {}) =>
    spec(svc('a', extra), proj([], { volumes: { data: { name: 'shop_data' }, ext: { name: 'corp-data', external: true }, csi: { name: 'shop_csi' } } }), opts)
      .TaskTemplate.ContainerSpec.Mounts;

  it('names stack volumes <project>_<name> with the namespace label; external ones by their own name, unlabelled', () => {
    expect(m({ volumes: [
      { type: 'volume', source: 'data', target: '/d', volume: { subpath: 'sub' } },
      { type: 'volume', source: 'ext', target: '/e', read_only: true },
      { type: 'cluster', source: 'csi', target: '/c' },
      { type: 'cluster', source: 'group:fast', target: '/g' },
      { type: 'npipe', source: '\\\\.\\pipe\\docker_engine', target: '\\\\.\\pipe\\docker_engine' },
    ] })).toEqual([
      { Type: 'volume', Source: 'shop_data', Target: '/d', VolumeOptions: { Subpath: 'sub', Labels: { 'com.docker.stack.namespace': 'shop' } } },
      { Type: 'volume', Source: 'corp-data', Target: '/e', ReadOnly: true, VolumeOptions: {} },
      { Type: 'cluster', Source: 'shop_csi', Target: '/c', ClusterOptions: {} },
      { Type: 'cluster', Source: 'group:fast', Target: '/g', ClusterOptions: {} },
      { Type: 'npipe', Source: '\\\\.\\pipe\\docker_engine', Target: '\\\\.\\pipe\\docker_engine' },
    ]);
  });

  it('keeps only what the manager keeps of a bind\'s options: propagation and non-recursion', async () => {
    const { project } = await loadYaml(`
services:
  a:
    image: x
    volumes:
      - {type: bind, source: /x, target: /x, bind: {recursive: disabled, propagation: shared}}
      - {type: bind, source: /y, target: /y, bind: {recursive: readonly}}
`);
    const e = refusal(() => spec(project.services.a!, project));
    expect(e.path).toBe('services.a.volumes');
    expect(e.message).toContain('recursive: readonly (at /y)');
    const ok = { ...project.services.a!, volumes: project.services.a!.volumes.slice(0, 1) };
    expect(container(spec(ok, project)).Mounts).toEqual([{ Type: 'bind', Source: '/x', Target: '/x', BindOptions: { Propagation: 'shared', NonRecursive: true } }]);
  });

  it('passes other tmpfs options from API 1.46, and refuses them below', () => {
    expect(m({ tmpfs: ['/t:size=1k,noexec,uid=1000'] })).toEqual([{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Options: [['noexec'], ['uid', '1000']] } }]);
    expect(refusal(() => m({ tmpfs: ['/t:noexec'] }, { apiVersion: '1.45' })).path).toBe('services.a.tmpfs');
    expect(m({ tmpfs: ['/t:size=1k'] }, { apiVersion: '1.41' })).toEqual([{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 } }]);
  });

  it('refuses what the manager cannot keep: image mounts, SELinux relabels, read-only recursion, duplicate targets, old subpaths', () => {
    expect(refusal(() => m({ volumes: [{ type: 'image', source: 'alpine', target: '/i' }] })).path).toBe('services.a.volumes');
    expect(refusal(() => m({ volumes: [{ type: 'bind', source: '/x', target: '/x', bind: { selinux: 'z' } }] })).message).toContain('SELinux');
    expect(refusal(() => m({ volumes: [{ type: 'volume', target: '/x' }], tmpfs: ['/x'] })).message).toContain('two mounts have the target /x');
    expect(refusal(() => m({ volumes: [{ type: 'volume', source: 'data', target: '/d', volume: { subpath: 's' } }] }, { apiVersion: '1.44' })).message).toContain('1.45');
  });
});

describe('serviceSpec: process details', () => {
  it('drops environment variables with no value, as tug does on one engine', () => {
    expect(container(spec(svc('a', { environment: { Z: 'z', UNSET: null, A: 'a=b' } }))).Env).toEqual(['A=a=b', 'Z=z']);
  });

  it('refuses an empty entrypoint, which the swarm would replace by the image\'s', () => {
    expect(refusal(() => spec(svc('a', { entrypoint: [] }))).path).toBe('services.a.entrypoint');
  });

  it('drops healthcheck.start_interval below API 1.44 with a warning, and keeps the rest', () => {
    const out = serviceSpec(proj([]), svc('a', { healthcheck: { test: ['CMD', 'true'], interval: '5s', start_interval: '1s' } }), { names, apiVersion: '1.43' });
    expect(container(out.spec).Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 5e9 });
    expect(out.warnings.map((w) => w.path)).toEqual(['services.a.healthcheck.start_interval']);
  });

  it('refuses settings an older manager would drop: oom_score_adj before 1.46, security options before 1.44', () => {
    expect(refusal(() => spec(svc('a', { oom_score_adj: 5 }), undefined, { apiVersion: '1.45' })).path).toBe('services.a.oom_score_adj');
    expect(refusal(() => spec(svc('a', { security_opt: ['no-new-privileges'] }), undefined, { apiVersion: '1.43' })).path).toBe('services.a.security_opt');
  });

  it('sends no healthcheck for an empty one, so the image\'s applies', () => {
    expect(container(spec(svc('a', { healthcheck: {} }))).Healthcheck).toBeUndefined();
  });

  it('refuses a manager older than Engine API 1.41', () => {
    expect(refusal(() => spec(svc('a'), undefined, { apiVersion: '1.40' })).code).toBe('swarm_api_too_old');
    expect(spec(svc('a'), undefined, { apiVersion: '1.41' }).Name).toBe('shop_a');
  });

  it('refuses a nameserver that is not an address', () => {
    expect(refusal(() => spec(svc('a', { dns: ['dns.example'] }))).path).toBe('services.a.dns');
  });

  it('normalises capabilities as docker stack does: CAP_ prefix, add beats drop, ALL alone', () => {
    expect(container(spec(svc('a', { cap_add: ['net_admin', 'CAP_CHOWN', 'chown'], cap_drop: ['NET_ADMIN', 'mknod'] })))).toMatchObject({
      CapabilityAdd: ['CAP_CHOWN', 'CAP_NET_ADMIN'], CapabilityDrop: ['CAP_MKNOD'],
    });
    expect(container(spec(svc('a', { cap_add: ['ALL', 'NET_ADMIN'] }))).CapabilityAdd).toEqual(['ALL']);
  });
});

describe('serviceSpec: security_opt and credential_spec', () => {
  const priv = (opt: string[], opts: Parameters<typeof serviceSpec>[2] = {}) => container(spec(svc('a', { security_opt: opt }), undefined, opts)).Privileges;

  it('sends a seccomp profile inline, as the JSON the file holds', async () => {
    const { project } = await loadYaml('services:\n  a: {image: x, security_opt: ["seccomp=./profile.json"]}\n', { 'profile.json': '{ "defaultAction": "SCMP_ACT_ERRNO" }\n' });
    const p = container(spec(project.services.a!, project, { readFile })).Privileges;
    expect(p?.Seccomp?.Mode).toBe('custom');
    expect(Buffer.from(p?.Seccomp?.Profile ?? '', 'base64').toString()).toBe('{"defaultAction":"SCMP_ACT_ERRNO"}');
  });

  it('maps SELinux label options and no-new-privileges:false', () => {
    expect(priv(['label:disable'])).toEqual({ SELinuxContext: { Disable: true } });
    expect(priv(['label=user:u', 'label=role:r', 'label=level:s0:c1', 'no-new-privileges=false'])).toEqual({ SELinuxContext: { User: 'u', Role: 'r', Level: 's0:c1' } });
    expect(priv(['seccomp:builtin'])).toEqual({ Seccomp: { Mode: 'default' } });
  });

  it('refuses what swarm privileges cannot hold', () => {
    for (const opt of ['apparmor=my-profile', 'systempaths=unconfined', 'label=bogus:x', 'no-new-privileges:maybe']) {
      expect(refusal(() => priv([opt])).path).toBe('services.a.security_opt');
    }
    expect(refusal(() => priv(['seccomp=/nowhere.json'])).message).toContain('cannot read the seccomp profile');
  });

  it('maps a file or registry credential spec and refuses a config one', () => {
    const cs = (v: unknown) => container(spec({ ...svc('a'), credential_spec: v } as Service)).Privileges;
    expect(cs({ file: 'spec.json' })).toEqual({ CredentialSpec: { File: 'spec.json' } });
    expect(cs({ registry: 'HKLM\\x' })).toEqual({ CredentialSpec: { Registry: 'HKLM\\x' } });
    expect(refusal(() => cs({ config: 'cred' })).path).toBe('services.a.credential_spec.config');
    expect(refusal(() => cs({ file: 'a', registry: 'b' })).path).toBe('services.a.credential_spec');
  });
});

describe('serviceSpec: names', () => {
  it('refuses a service whose swarm name the manager would reject', () => {
    const e = refusal(() => spec(svc('web.v2')));
    expect(e.code).toBe('invalid_service_name');
    expect(e.path).toBe('services.web.v2');
    expect(refusal(() => spec(svc('x'.repeat(60)))).code).toBe('invalid_service_name');
  });
});

describe('serviceSpec: the spec hash', () => {
  it('is stable for the same file and changes with anything the spec carries', () => {
    const a = spec(svc('web', { environment: { A: '1' } }));
    const b = spec(svc('web', { environment: { A: '1' } }));
    const c = spec(svc('web', { environment: { A: '2' } }));
    expect(a.Labels[STACK_LABEL.specHash]).toBe(b.Labels[STACK_LABEL.specHash]);
    expect(a.Labels[STACK_LABEL.specHash]).not.toBe(c.Labels[STACK_LABEL.specHash]);
  });

  it('leaves out object IDs and ForceUpdate, which are not the file\'s', () => {
    const base = spec(svc('web'));
    const bound: ServiceSpec = { ...base, TaskTemplate: { ...base.TaskTemplate, ForceUpdate: 3 } };
    expect(specHash(bound)).toBe(specHash(base));
  });
});
