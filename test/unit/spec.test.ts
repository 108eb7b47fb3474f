import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/errors.js';
import { LABEL } from '../../src/labels.js';
import {
  SERVICE_KEYS, configHash, keepAnonymousVolumes, containerName, containerSpec, networkSpec, volumeSpec,
  type ContainerSpecOptions,
} from '../../src/engine/request/index.js';
import type { Project, Service } from '../../src/stack/model.js';
import { makeService } from '../support.js';
import { apiAtLeast } from '../../src/engine/api-version.js';

type Dict = Record<string, unknown>;

const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'nginx:1.27', ...extra });

function proj(services: Service[], extra: Partial<Project> = {}): Project {
  return {
    name: 'shop',
    working_dir: '/src/shop',
    config_files: ['/src/shop/compose.yaml', '/src/shop/compose.override.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabled_services: {},
    networks: { default: { name: 'shop_default' } },
    volumes: {},
    configs: {},
    secrets: {},
    profiles: [],
    ...extra,
  };
}

const resolveContainer = (s: string) => `shop-${s}-1`;

function spec(service: Service, project = proj([service]), opts: Partial<ContainerSpecOptions> = {}) {
  return containerSpec(project, service, { number: 1, apiVersion: '1.44', hash: 'h', resolveContainer, version: '0.1.0', ...opts });
}

const host = (plan: { body: { HostConfig?: object } }) => plan.body.HostConfig as Dict;

function refusal(fn: () => unknown): TugError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TugError);
    return err as TugError;
  }
  throw new Error('expected a TugError');
}

describe('containerName', () => {
  const p = proj([]);
  it('is <project>-<service>-<n>, container_name when set, run-<id> for one-offs', () => {
    expect(containerName(p, svc('web'), 2)).toBe('shop-web-2');
    expect(containerName(p, svc('web', { container_name: 'front' }), 1)).toBe('front');
    expect(containerName(p, svc('web'), 1, 'a1b2c3')).toBe('shop-web-run-a1b2c3');
    expect(containerName(p, svc('web', { container_name: 'front' }), 1, 'a1b2c3')).toBe('shop-web-run-a1b2c3');
  });
  it('refuses a container_name on a second replica', () => {
    expect(refusal(() => containerName(p, svc('web', { container_name: 'front' }), 2)).code).toBe('container_name_scale');
  });
});

describe('apiAtLeast', () => {
  it('compares numerically', () => {
    expect(apiAtLeast('1.44', '1.44')).toBe(true);
    expect(apiAtLeast('1.9', '1.44')).toBe(false);
    expect(apiAtLeast('1.100', '1.44')).toBe(true);
    expect(apiAtLeast('1.41', '1.43')).toBe(false);
  });
});

describe('SERVICE_KEYS', () => {
  // Required<> makes the compiler list every key, so a new Service key fails here until it is classified.
  const full: Required<Service> = {
    name: 'x', image: 'i', build: { context: '.' }, pull_policy: 'always', platform: 'linux/amd64', profiles: ['p'], scale: 1,
    container_name: 'c', hostname: 'h', domainname: 'd', command: ['a'], entrypoint: ['b'], working_dir: '/w', user: 'u',
    environment: {}, labels: {}, annotations: {}, ports: [], expose: [], volumes: [], volumes_from: [], tmpfs: [],
    depends_on: {}, links: [], external_links: [], network_mode: 'host', networks: {}, extra_hosts: {}, dns: [], dns_opt: [],
    dns_search: [], mac_address: 'm', healthcheck: {}, restart: 'no', stop_signal: 'SIGTERM', stop_grace_period: '1s',
    init: true, tty: true, stdin_open: true, privileged: true, read_only: true, cap_add: [], cap_drop: [], security_opt: [],
    sysctls: {}, ulimits: {}, shm_size: 1, devices: [], device_cgroup_rules: [], group_add: [], ipc: 'host', pid: 'host',
    uts: 'host', userns_mode: 'host', cgroup: 'host', cgroup_parent: 'p', isolation: 'default', runtime: 'runc',
    storage_opt: {}, logging: {}, secrets: [], configs: [], cpus: 1, cpu_shares: 1, cpu_period: 1, cpu_quota: 1,
    cpu_rt_runtime: '1ms', cpu_rt_period: '1ms', cpuset: '0', cpu_count: 1, cpu_percent: 1, mem_limit: 1,
    mem_reservation: 1, memswap_limit: 1, mem_swappiness: 1, oom_kill_disable: true, oom_score_adj: 1, pids_limit: 1,
    blkio_config: {}, deploy: {}, develop: {}, gpus: 'all', models: {}, post_start: [], pre_stop: [], pre_start: [], provider: { type: 'model' }, attach: true,
    label_file: [], extensions: {},
  };

  it('classifies every key of Service', () => {
    const missing = Object.keys(full).filter((k) => !(k in SERVICE_KEYS));
    expect(missing).toEqual([]);
  });

  it('refuses every refused key with code unsupported, naming the service and the key', () => {
    const samples: Dict = {
      external_links: ['redis'], models: { llm: null }, label_file: ['./labels'], credential_spec: { file: 'x.json' }, use_api_socket: true,
      provider: { type: 'model' }, driver_opts: { a: 'b' },
    };
    const refused = Object.keys(SERVICE_KEYS).filter((k) => SERVICE_KEYS[k] === 'refused');
    expect(refused.sort()).toEqual(Object.keys(samples).sort());
    for (const key of refused) {
      const e = refusal(() => spec(svc('api', { [key]: samples[key] } as Partial<Service>)));
      expect(e.code).toBe('unsupported');
      expect(e.exitCode).toBe(3);
      expect(e.message).toContain('service "api"');
      expect(e.message).toContain(key);
      expect(e.hint).toBeTruthy();
    }
  });

  it('ignores develop on a plain up, as Compose does', () => {
    expect(SERVICE_KEYS.develop).toBe('ignored');
    expect(() => spec(svc('api', { develop: { watch: [] } } as Partial<Service>))).not.toThrow();
  });

  it('refuses a key it does not know at all', () => {
    const e = refusal(() => spec(svc('api', { volume_driver: 'x' } as Partial<Service>)));
    expect(e.code).toBe('unsupported');
    expect(e.message).toContain('volume_driver');
  });

  it('accepts empty values of refused keys', () => {
    expect(() => spec(svc('api', { label_file: [], models: {}, develop: undefined }))).not.toThrow();
  });
});

describe('containerSpec: the container config', () => {
  it('maps the process, identity and environment', () => {
    const plan = spec(svc('web', {
      command: ['nginx', '-g', 'daemon off;'], entrypoint: [], environment: { A: '1', B: null, C: '' },
      working_dir: '/app', user: '1000:1000', hostname: 'web', domainname: 'example.test', init: true, tty: true,
      stdin_open: true, stop_signal: 'SIGQUIT', stop_grace_period: '1m30.5s', platform: 'linux/arm64',
    }));
    expect(plan.name).toBe('shop-web-1');
    expect(plan.platform).toBe('linux/arm64');
    expect(plan.body).toMatchObject({
      Image: 'nginx:1.27', Cmd: ['nginx', '-g', 'daemon off;'], Entrypoint: [], Env: ['A=1', 'C='], WorkingDir: '/app',
      User: '1000:1000', Hostname: 'web', Domainname: 'example.test', Tty: true, OpenStdin: true, AttachStdin: false,
      StopSignal: 'SIGQUIT', StopTimeout: 91,
    });
    expect(host(plan).Init).toBe(true);
  });

  it('always sets StopTimeout: the stop_grace_period rounded up, else Docker\'s 10 s', () => {
    // Podman gives a container created without StopTimeout 0 s (an instant SIGKILL on stop).
    expect(spec(svc('web')).body.StopTimeout).toBe(10);
    expect(spec(svc('web'), undefined, { oneoff: 'x1' }).body.StopTimeout).toBe(10);
    expect(spec(svc('web', { stop_grace_period: '1s' })).body.StopTimeout).toBe(1);
    expect(spec(svc('web', { stop_grace_period: '1500ms' })).body.StopTimeout).toBe(2);
    expect(spec(svc('web', { stop_grace_period: '0s' })).body.StopTimeout).toBe(0);
  });

  it('omits Cmd and Entrypoint when the image defaults apply', () => {
    const plan = spec(svc('web', { command: null, entrypoint: null }));
    expect(plan.body).not.toHaveProperty('Cmd');
    expect(plan.body).not.toHaveProperty('Entrypoint');
    expect(plan.platform).toBeUndefined();
  });

  it('names a built image after the project and service', () => {
    expect(spec(svc('api', { image: undefined, build: { context: '/src/shop/api' } })).body.Image).toBe('shop-api');
  });

  it('writes the Compose labels over the user labels', () => {
    const db = svc('db');
    const web = svc('web', {
      labels: { team: 'shop', [LABEL.project]: 'spoof' },
      depends_on: {
        db: { condition: 'service_healthy', required: true, restart: true },
        cache: { condition: 'service_started', required: false, restart: false },
      },
    });
    const plan = spec(web, proj([web, db]), { number: 3, hash: 'abc', version: '1.2.3', imageId: 'sha256:feed' });
    expect(plan.body.Labels).toEqual({
      team: 'shop',
      'com.docker.compose.project': 'shop',
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '3',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.config-hash': 'abc',
      'com.docker.compose.project.working_dir': '/src/shop',
      'com.docker.compose.project.config_files': '/src/shop/compose.yaml,/src/shop/compose.override.yaml',
      'com.docker.compose.depends_on': 'cache:service_started:false,db:service_healthy:true',
      'com.docker.compose.version': '1.2.3',
      'com.docker.compose.image': 'sha256:feed',
      'dev.tug.managed-by': 'tug',
    });
    const runPlan = spec(web, proj([web, db]), { oneoff: 'x1' });
    expect((runPlan.body.Labels as Dict)[LABEL.oneoff]).toBe('True');
    expect((runPlan.body.Labels as Dict)[LABEL.image]).toBe('nginx:1.27');
    expect(runPlan.name).toBe('shop-web-run-x1');
  });

  it('maps the healthcheck in nanoseconds, StartInterval only from API 1.44', () => {
    const web = svc('web', {
      healthcheck: { test: ['CMD-SHELL', 'curl -f localhost'], interval: '30s', timeout: '5s', retries: 3, start_period: '1m', start_interval: '500ms' },
    });
    const expected = { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 30e9, Timeout: 5e9, StartPeriod: 60e9, Retries: 3 };
    const new_ = spec(web, undefined, { apiVersion: '1.44' });
    expect(new_.body.Healthcheck).toEqual({ ...expected, StartInterval: 5e8 });
    expect(new_.warnings).toEqual([]);
    const old = spec(web, undefined, { apiVersion: '1.41' });
    expect(old.body.Healthcheck).toEqual(expected);
    expect(old.warnings[0]).toMatch(/start_interval/);
    expect(spec(svc('web', { healthcheck: { disable: true } })).body.Healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('maps ports: short, long with host ip, a published range, unpublished, udp; and expose', () => {
    const plan = spec(svc('web', {
      ports: [
        { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' },
        { target: 80, published: '8081', host_ip: '127.0.0.1', protocol: 'tcp', mode: 'host' },
        { target: 9000, published: '8000-8010', protocol: 'tcp', mode: 'ingress' },
        { target: 53, protocol: 'udp', mode: 'ingress' },
      ],
      expose: ['3000', '4000-4001/udp'],
    }));
    expect(plan.body.ExposedPorts).toEqual({ '80/tcp': {}, '9000/tcp': {}, '53/udp': {}, '3000/tcp': {}, '4000/udp': {}, '4001/udp': {} });
    expect(host(plan).PortBindings).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }],
      '9000/tcp': [{ HostIp: '', HostPort: '8000-8010' }],
      '53/udp': [{ HostIp: '', HostPort: '' }],
    });
  });
});

describe('containerSpec: HostConfig', () => {
  it('maps CPU and memory', () => {
    const plan = spec(svc('web', {
      cpus: 0.5, cpu_shares: 512, cpu_period: 100000, cpu_quota: 50000, cpu_rt_runtime: '950us', cpu_rt_period: '1000000',
      cpuset: '0-1', cpu_count: 2, cpu_percent: 50, mem_limit: 64 * 1024 * 1024, mem_reservation: 32 * 1024 * 1024,
      memswap_limit: -1, mem_swappiness: 10, oom_kill_disable: true, oom_score_adj: -500, pids_limit: 100, shm_size: 128 * 1024 * 1024,
    }));
    expect(host(plan)).toMatchObject({
      NanoCpus: 500000000, CpuShares: 512, CpuPeriod: 100000, CpuQuota: 50000, CpuRealtimeRuntime: 950, CpuRealtimePeriod: 1000000,
      CpusetCpus: '0-1', CpuCount: 2, CpuPercent: 50, Memory: 67108864, MemoryReservation: 33554432, MemorySwap: -1,
      MemorySwappiness: 10, OomKillDisable: true, OomScoreAdj: -500, PidsLimit: 100, ShmSize: 134217728,
    });
  });

  it('maps blkio_config, gpus, devices and device reservations', () => {
    const plan = spec(svc('ml', {
      blkio_config: {
        weight: 300, weight_device: [{ path: '/dev/sda', weight: 400 }], device_read_bps: [{ path: '/dev/sda', rate: '12mb' }],
        device_write_bps: [{ path: '/dev/sda', rate: 1024 }], device_read_iops: [{ path: '/dev/sda', rate: 120 }],
        device_write_iops: [{ path: '/dev/sda', rate: '30' }],
      },
      gpus: 'all',
      devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }, { source: 'vendor.com/class=all', target: 'vendor.com/class=all', permissions: 'rwm' }],
      device_cgroup_rules: ['c 1:3 mr'],
      deploy: { resources: { reservations: { cpus: 2, devices: [{ driver: 'nvidia', count: 1, capabilities: ['gpu', 'utility'] }] } } },
    }));
    expect(host(plan)).toMatchObject({
      BlkioWeight: 300,
      BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 400 }],
      BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 12582912 }],
      BlkioDeviceWriteBps: [{ Path: '/dev/sda', Rate: 1024 }],
      BlkioDeviceReadIOps: [{ Path: '/dev/sda', Rate: 120 }],
      BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 30 }],
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
      DeviceCgroupRules: ['c 1:3 mr'],
      DeviceRequests: [
        { Driver: 'cdi', DeviceIDs: ['vendor.com/class=all'] },
        { Count: -1, Capabilities: [['gpu']] },
        { Driver: 'nvidia', Count: 1, Capabilities: [['gpu', 'utility']] },
      ],
    });
    expect(host(plan)).not.toHaveProperty('NanoCpus'); // reservations.cpus has no container equivalent
  });

  it('maps restart policies', () => {
    const rp = (s: Partial<Service>) => host(spec(svc('w', s))).RestartPolicy;
    expect(rp({ restart: 'on-failure:3' })).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(rp({ restart: 'no' })).toEqual({ Name: '', MaximumRetryCount: 0 });
    expect(rp({ restart: 'unless-stopped' })).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(rp({ restart: 'always', deploy: { restart_policy: { condition: 'on-failure', max_attempts: 5, delay: '5s' } } }))
      .toEqual({ Name: 'on-failure', MaximumRetryCount: 5 });
    expect(rp({ deploy: { restart_policy: { condition: 'any' } } })).toEqual({ Name: 'always', MaximumRetryCount: 0 });
    expect(rp({})).toBeUndefined();
  });

  it('maps the remaining host settings', () => {
    const plan = spec(svc('web', {
      extra_hosts: { 'db.local': ['10.0.0.5', '::1'] }, dns: ['1.1.1.1'], dns_opt: ['ndots:2'], dns_search: ['example.test'],
      logging: { driver: 'json-file', options: { 'max-size': '10m' } }, cap_add: ['NET_ADMIN'], cap_drop: ['ALL'],
      privileged: true, read_only: true, security_opt: ['no-new-privileges:true', 'systempaths=unconfined', 'seccomp=unconfined'],
      sysctls: { 'net.core.somaxconn': '1024' }, ulimits: { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 20000, hard: 40000 } },
      tmpfs: ['/run', '/tmp:size=64m,mode=1777'], group_add: ['audio'], ipc: 'shareable', pid: 'host', uts: 'host',
      userns_mode: 'host', cgroup: 'private', cgroup_parent: 'tug.slice', isolation: 'default', runtime: 'runc',
      storage_opt: { size: '1G' }, annotations: { 'com.example.a': 'b' }, volumes_from: ['db:ro', 'cache', 'container:legacy:rw'],
    }));
    expect(host(plan)).toMatchObject({
      ExtraHosts: ['db.local:10.0.0.5', 'db.local:::1'], Dns: ['1.1.1.1'], DnsOptions: ['ndots:2'], DnsSearch: ['example.test'],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } }, CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'],
      Privileged: true, ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges:true', 'seccomp=unconfined'], MaskedPaths: [], ReadonlyPaths: [],
      Sysctls: { 'net.core.somaxconn': '1024' },
      Ulimits: [{ Name: 'nofile', Soft: 20000, Hard: 40000 }, { Name: 'nproc', Soft: 65535, Hard: 65535 }],
      Tmpfs: { '/run': '', '/tmp': 'size=64m,mode=1777' }, GroupAdd: ['audio'], IpcMode: 'shareable', PidMode: 'host',
      UTSMode: 'host', UsernsMode: 'host', CgroupnsMode: 'private', CgroupParent: 'tug.slice', Isolation: 'default',
      Runtime: 'runc', StorageOpt: { size: '1G' }, Annotations: { 'com.example.a': 'b' },
      VolumesFrom: ['shop-db-1:ro', 'shop-cache-1', 'legacy:rw'],
    });
  });

  it('inlines a seccomp profile file through readFile, and refuses without it', () => {
    const web = svc('web', { security_opt: ['seccomp=./sec.json'] });
    const plan = spec(web, undefined, { readFile: (p) => (p === '/src/shop/sec.json' ? '{ "defaultAction": "SCMP_ACT_ALLOW" }' : '') });
    expect(host(plan).SecurityOpt).toEqual(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);
    expect(refusal(() => spec(web)).code).toBe('unsupported');
  });

  it('refuses annotations before API 1.43', () => {
    const e = refusal(() => spec(svc('web', { annotations: { a: 'b' } }), undefined, { apiVersion: '1.42' }));
    expect(e.code).toBe('unsupported');
    expect(e.message).toContain('service "web"');
  });

  it('refuses cgroup and platform before API 1.41, which an older engine would ignore', () => {
    for (const extra of [{ cgroup: 'private' as const }, { platform: 'linux/amd64' }]) {
      const e = refusal(() => spec(svc('web', extra), undefined, { apiVersion: '1.40' }));
      expect(e.code).toBe('unsupported');
      expect(e.message).toMatch(/needs Engine API 1.41 \(Docker 20.10\); the engine speaks 1.40/);
      expect(() => spec(svc('web', extra), undefined, { apiVersion: '1.41' })).not.toThrow();
    }
  });

  it('maps ipc and pid service:x to the other service\'s container', () => {
    const plan = spec(svc('side', { ipc: 'service:app', pid: 'service:app' }));
    expect(host(plan)).toMatchObject({ IpcMode: 'container:shop-app-1', PidMode: 'container:shop-app-1' });
  });
});

describe('containerSpec: volumes', () => {
  const project = (s: Service) => proj([s], { volumes: { data: { name: 'shop_data' }, cache: { name: 'shared-cache', external: true } } });

  it('maps each volume type', () => {
    const web = svc('web', {
      volumes: [
        { type: 'volume', source: 'data', target: '/data', read_only: true, volume: { nocopy: true, subpath: 'sub' } },
        { type: 'volume', source: 'cache', target: '/cache' },
        { type: 'bind', source: '/src/shop/html', target: '/usr/share/nginx/html', read_only: true, bind: { create_host_path: true, selinux: 'z', propagation: 'rshared' } },
        { type: 'bind', source: '/src/shop/conf', target: '/etc/nginx/conf.d', bind: { create_host_path: true } },
        { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', bind: { propagation: 'rslave' } },
        { type: 'bind', source: '/etc/hosts', target: '/host-hosts', read_only: true },
        { type: 'tmpfs', target: '/scratch', tmpfs: { size: 1048576, mode: 0o1777 } },
        { type: 'volume', target: '/var/lib/anon' },
        { type: 'volume', target: '/var/lib/kept' },
      ],
    });
    const plan = keepAnonymousVolumes(spec(web, project(web), { apiVersion: '1.45' }), [
      { type: 'volume', name: '3f2a', source: '/var/lib/docker/volumes/3f2a/_data', destination: '/var/lib/kept' },
      { type: 'volume', name: 'elsewhere', source: '', destination: '/not/in/the/service' },
    ]);
    expect(host(plan).Binds).toEqual(['/src/shop/html:/usr/share/nginx/html:ro,z,rshared', '/src/shop/conf:/etc/nginx/conf.d']);
    // Anonymous volumes carry the project's and the service's labels (the engine gives them
    // to the volume it makes), so that down -v, rm -v and a scale-down find them by label.
    const anon = { [LABEL.project]: project(web).name, [LABEL.service]: 'web', [LABEL.managedBy]: 'tug' };
    expect(host(plan).Mounts).toEqual([
      { Type: 'volume', Source: 'shop_data', Target: '/data', ReadOnly: true,
        VolumeOptions: { NoCopy: true, Subpath: 'sub', Labels: { [LABEL.project]: project(web).name, [LABEL.volume]: 'data', [LABEL.managedBy]: 'tug' } } },
      // External: the user's, labelled as they made it.
      { Type: 'volume', Source: 'shared-cache', Target: '/cache' },
      { Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock', BindOptions: { Propagation: 'rslave' } },
      { Type: 'bind', Source: '/etc/hosts', Target: '/host-hosts', ReadOnly: true },
      { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } },
      { Type: 'volume', Target: '/var/lib/anon', VolumeOptions: { Labels: anon } },
      // Taken over from the container it replaces, by name: the volume keeps the labels it has.
      { Type: 'volume', Source: '3f2a', Target: '/var/lib/kept', VolumeOptions: { Labels: anon } },
    ]);
  });

  it('maps image mounts from API 1.48 and refuses them before', () => {
    const web = svc('web', { volumes: [{ type: 'image', source: 'example/assets:1', target: '/assets', image: { subpath: 'public' } }] });
    expect(host(spec(web, project(web), { apiVersion: '1.48' })).Mounts).toEqual([
      { Type: 'image', Source: 'example/assets:1', Target: '/assets', ImageOptions: { Subpath: 'public' } },
    ]);
    expect(refusal(() => spec(web, project(web), { apiVersion: '1.47' })).code).toBe('unsupported');
  });

  it('refuses a volume subpath before API 1.45 and SELinux labels on Mounts', () => {
    const sub = svc('web', { volumes: [{ type: 'volume', source: 'data', target: '/d', volume: { subpath: 'x' } }] });
    expect(refusal(() => spec(sub, project(sub), { apiVersion: '1.44' })).code).toBe('unsupported');
    const z = svc('web', { volumes: [{ type: 'bind', source: '/x', target: '/x', bind: { selinux: 'Z' } }] });
    expect(refusal(() => spec(z, project(z))).message).toContain('service "web"');
    const cluster = svc('web', { volumes: [{ type: 'cluster', source: 'c', target: '/c' }] });
    expect(refusal(() => spec(cluster, project(cluster))).code).toBe('unsupported');
  });
});

describe('containerSpec: secrets and configs', () => {
  const project = (s: Service) => proj([s], {
    secrets: {
      db_password: { name: 'shop_db_password', file: '/src/shop/secrets/db.txt' },
      token: { name: 'shop_token', environment: 'API_TOKEN' },
      swarm: { name: 'swarm', external: true },
    },
    configs: { nginx: { name: 'shop_nginx', content: 'server {}\n' } },
  });

  it('bind-mounts file sources read-only and copies content and environment sources', () => {
    const web = svc('web', {
      secrets: [{ source: 'db_password', target: '/run/secrets/db_password' }, { source: 'token', target: '/run/secrets/token', mode: 0o400, uid: '101' }],
      configs: [{ source: 'nginx', target: '/etc/nginx/nginx.conf' }],
    });
    const plan = spec(web, project(web), { secretEnv: { API_TOKEN: 's3cret' } });
    expect(host(plan).Mounts).toEqual([{ Type: 'bind', Source: '/src/shop/secrets/db.txt', Target: '/run/secrets/db_password', ReadOnly: true }]);
    expect(plan.copies).toEqual([
      { path: '/run/secrets/token', content: 's3cret', mode: 0o400, uid: 101 },
      { path: '/etc/nginx/nginx.conf', content: 'server {}\n', mode: 0o444 },
    ]);
  });

  it('defaults the target to /run/secrets/<name> and /<name>', () => {
    const web = svc('web', { secrets: [{ source: 'db_password' }], configs: [{ source: 'nginx' }] });
    const plan = spec(web, project(web));
    expect((host(plan).Mounts as Dict[])[0]).toMatchObject({ Target: '/run/secrets/db_password' });
    expect(plan.copies[0]).toMatchObject({ path: '/nginx' });
  });

  it('refuses external secrets and an unset environment source', () => {
    const ext = svc('web', { secrets: [{ source: 'swarm' }] });
    const e = refusal(() => spec(ext, project(ext)));
    expect(e.code).toBe('unsupported');
    expect(e.message).toContain('service "web"');
    expect(e.message).toContain('secrets.swarm');
    const env = svc('web', { secrets: [{ source: 'token' }] });
    expect(refusal(() => spec(env, project(env))).code).toBe('missing_variable');
  });
});

describe('containerSpec: networking', () => {
  const networks = {
    default: { name: 'shop_default' },
    back: { name: 'shop_back' },
    front: { name: 'shop_front' },
    zeta: { name: 'shop_zeta' },
  };

  it('passes host/none/container modes through and maps service:x', () => {
    for (const mode of ['host', 'none', 'bridge', 'container:abc']) {
      const plan = spec(svc('w', { network_mode: mode, networks: {} }));
      expect(host(plan).NetworkMode).toBe(mode);
      expect(plan.body).not.toHaveProperty('NetworkingConfig');
    }
    expect(host(spec(svc('w', { network_mode: 'service:vpn', networks: {} }))).NetworkMode).toBe('container:shop-vpn-1');
  });

  it('orders networks by priority then name; below 1.44 only the first goes in the create body', () => {
    const web = svc('web', {
      networks: {
        zeta: null,
        front: { priority: 10, aliases: ['www'], ipv4_address: '172.20.0.5' },
        back: { mac_address: '02:42:ac:11:00:02', driver_opts: { 'com.example': 'x' } },
      },
    });
    const project = proj([web], { networks });
    const old = (() => {
      const w = svc('web', { networks: { zeta: null, front: { priority: 10, aliases: ['www'], ipv4_address: '172.20.0.5' }, back: null } });
      return spec(w, proj([w], { networks }), { apiVersion: '1.41' });
    })();
    expect(host(old).NetworkMode).toBe('shop_front');
    expect(old.body.NetworkingConfig).toEqual({
      EndpointsConfig: { shop_front: { Aliases: ['web', 'www'], IPAMConfig: { IPv4Address: '172.20.0.5' } } },
    });
    expect(old.networks).toEqual([
      { name: 'shop_back', endpoint: { Aliases: ['web'] } },
      { name: 'shop_zeta', endpoint: { Aliases: ['web'] } },
    ]);

    const plan = spec(web, project, { apiVersion: '1.44' });
    expect(host(plan).NetworkMode).toBe('shop_front');
    expect(plan.networks).toEqual([]);
    expect(plan.body.NetworkingConfig).toEqual({
      EndpointsConfig: {
        shop_front: { Aliases: ['web', 'www'], IPAMConfig: { IPv4Address: '172.20.0.5' } },
        shop_back: { Aliases: ['web'], MacAddress: '02:42:ac:11:00:02', DriverOpts: { 'com.example': 'x' } },
        shop_zeta: { Aliases: ['web'] },
      },
    });
    expect(Object.keys((plan.body.NetworkingConfig as { EndpointsConfig: Dict }).EndpointsConfig)).toEqual(['shop_front', 'shop_back', 'shop_zeta']);
  });

  it('refuses a per-network MAC address below 1.44 and puts the service MAC where the API wants it', () => {
    const perNet = svc('web', { networks: { back: { mac_address: '02:42:ac:11:00:02' } } });
    expect(refusal(() => spec(perNet, proj([perNet], { networks }), { apiVersion: '1.43' })).code).toBe('unsupported');
    const svcMac = svc('web', { mac_address: '02:42:ac:11:00:09' });
    const old = spec(svcMac, proj([svcMac]), { apiVersion: '1.43' });
    expect(old.body.MacAddress).toBe('02:42:ac:11:00:09');
    const new_ = spec(svcMac, proj([svcMac]), { apiVersion: '1.44' });
    expect(new_.body).not.toHaveProperty('MacAddress');
    expect(new_.body.NetworkingConfig).toEqual({ EndpointsConfig: { shop_default: { Aliases: ['web'], MacAddress: '02:42:ac:11:00:09' } } });
  });

  it('does not repeat the service name when it is also an alias', () => {
    const web = svc('web', { networks: { default: { aliases: ['web', 'www'] } } });
    expect(spec(web).body.NetworkingConfig).toEqual({ EndpointsConfig: { shop_default: { Aliases: ['web', 'www'] } } });
  });

  it('gives one-off containers no service aliases', () => {
    const plan = spec(svc('web'), undefined, { oneoff: 'r1' });
    expect(plan.body.NetworkingConfig).toEqual({ EndpointsConfig: { shop_default: {} } });
  });

  it('puts links on the endpoints of user networks, and in HostConfig on the default bridge', () => {
    const web = svc('web', { links: ['db', 'cache:redis'] });
    const plan = spec(web);
    expect(plan.body.NetworkingConfig).toEqual({
      EndpointsConfig: { shop_default: { Aliases: ['web'], Links: ['shop-db-1:db', 'shop-cache-1:redis'] } },
    });
    expect(host(plan)).not.toHaveProperty('Links');
    const bridge = spec(svc('web', { links: ['db'], network_mode: 'bridge', networks: {} }));
    expect(host(bridge).Links).toEqual(['shop-db-1:db']);
  });
});

describe('configHash', () => {
  const base = svc('web', { environment: { A: '1', B: '2' }, labels: { x: 'y' }, command: ['run'] });

  it('is stable under key reordering', () => {
    const reordered = { command: ['run'], labels: { x: 'y' }, environment: { B: '2', A: '1' }, depends_on: {}, volumes: [], ports: [], scale: 1, networks: { default: null }, image: 'nginx:1.27', name: 'web' } as Service;
    expect(configHash(reordered)).toBe(configHash(base));
    expect(configHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores what does not change the container', () => {
    const h = configHash(base);
    expect(configHash({ ...base, scale: 5 })).toBe(h);
    expect(configHash({ ...base, deploy: { replicas: 5 } })).toBe(h);
    expect(configHash({ ...base, depends_on: { db: { condition: 'service_healthy', required: true, restart: false } } })).toBe(h);
    expect(configHash({ ...base, build: { context: '.' }, pull_policy: 'always', profiles: ['debug'], extensions: { 'x-a': 1 }, name: 'other' })).toBe(h);
  });

  it('is the model\'s, not the create body\'s: the default StopTimeout recreates no container', () => {
    // Pinned from before every create body carried StopTimeout: 10.
    expect(configHash(base)).toBe('787411492cf685deb9c04c4d6206d757e778d3123a43b001fb1d5cbb4d64c766');
    expect(spec(base).body.StopTimeout).toBe(10);
    expect(configHash({ ...base, stop_grace_period: '10s' })).not.toBe(configHash(base)); // as Compose: the key itself is config
  });

  it('changes with the environment and other container settings', () => {
    const h = configHash(base);
    expect(configHash({ ...base, environment: { A: '1', B: '3' } })).not.toBe(h);
    expect(configHash({ ...base, deploy: { replicas: 5, restart_policy: { condition: 'any' } } })).not.toBe(h);
    expect(configHash({ ...base, image: 'nginx:1.28' })).not.toBe(h);
  });
});

describe('networkSpec and volumeSpec', () => {
  const project = proj([], {
    networks: {
      back: {
        name: 'shop_back', driver: 'bridge', driver_opts: { 'com.docker.network.bridge.name': 'br-shop' }, internal: true,
        attachable: true, enable_ipv6: true, labels: { tier: 'back' },
        ipam: { driver: 'default', config: [{ subnet: '172.28.0.0/16', ip_range: '172.28.5.0/24', gateway: '172.28.5.254', aux_addresses: { host1: '172.28.1.5' } }], options: { foo: 'bar' } },
      },
      outside: { name: 'corp', external: true },
    },
    volumes: { data: { name: 'shop_data', driver: 'local', driver_opts: { type: 'nfs', o: 'addr=10.0.0.1' }, labels: { keep: 'yes' } }, ext: { name: 'x', external: true } },
  });

  it('builds the network create body', () => {
    expect(networkSpec(project, 'back', { version: '0.1.0' })).toEqual({
      Name: 'shop_back', CheckDuplicate: true, Driver: 'bridge', Options: { 'com.docker.network.bridge.name': 'br-shop' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '172.28.0.0/16', IPRange: '172.28.5.0/24', Gateway: '172.28.5.254', AuxiliaryAddresses: { host1: '172.28.1.5' } }], Options: { foo: 'bar' } },
      Internal: true, Attachable: true, EnableIPv6: true,
      Labels: { tier: 'back', 'com.docker.compose.project': 'shop', 'com.docker.compose.network': 'back', 'com.docker.compose.version': '0.1.0', 'dev.tug.managed-by': 'tug' },
    });
    expect(refusal(() => networkSpec(project, 'outside')).code).toBe('external_network');
  });

  it('builds the volume create body', () => {
    expect(volumeSpec(project, 'data', { version: '0.1.0' })).toEqual({
      Name: 'shop_data', Driver: 'local', DriverOpts: { type: 'nfs', o: 'addr=10.0.0.1' },
      Labels: { keep: 'yes', 'com.docker.compose.project': 'shop', 'com.docker.compose.volume': 'data', 'com.docker.compose.version': '0.1.0', 'dev.tug.managed-by': 'tug' },
    });
    expect(refusal(() => volumeSpec(project, 'ext')).code).toBe('external_volume');
  });
});
