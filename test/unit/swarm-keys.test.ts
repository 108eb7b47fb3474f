/** SWARM_KEYS: every service key has a swarm disposition, and refusals and warnings point at the key. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/stack/model.js';
import { SWARM_SERVICE_KEYS, serviceSpec } from '../../src/swarm/index.js';
import { loadYaml, proj, refusal, svc } from '../swarm-support.js';

type Dict = Record<string, unknown>;
const names = { secrets: {}, configs: {} };

function build(extra: Dict, opts: Parameters<typeof serviceSpec>[2] = {}) {
  const s = { ...svc('api'), ...extra } as Service;
  return serviceSpec(proj([s]), s, { names, ...opts });
}

const keysOf = (to: string) => Object.keys(SWARM_SERVICE_KEYS).filter((k) => SWARM_SERVICE_KEYS[k]!.to === to).sort();

describe('SWARM_KEYS', () => {
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
    expect(Object.keys(full).filter((k) => !(k in SWARM_SERVICE_KEYS))).toEqual([]);
  });

  it('classifies every service key the schema accepts, except those the loader consumes', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/compose.schema.json', import.meta.url), 'utf8')) as { definitions: { service: { properties: Dict } } };
    const consumed = ['env_file', 'extends'];
    const missing = Object.keys(schema.definitions.service.properties).filter((k) => !consumed.includes(k) && !(k in SWARM_SERVICE_KEYS));
    expect(missing).toEqual([]);
  });

  it('refuses every refused key with the service, the key, its YAML path and a hint', () => {
    const samples: Dict = {
      domainname: 'example.test', volumes_from: ['db'], external_links: ['redis'], mac_address: '02:42:ac:11:00:02',
      privileged: true, shm_size: 67108864, devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }],
      device_cgroup_rules: ['c 1:3 mr'], ipc: 'host', pid: 'host', uts: 'host', userns_mode: 'host', cgroup: 'host',
      cgroup_parent: 'm-executor', runtime: 'runsc', storage_opt: { size: '1G' }, cpu_shares: 512, cpu_period: 100000,
      cpu_quota: 50000, cpu_rt_runtime: '400ms', cpu_rt_period: '1400us', cpuset: '0-1', cpu_count: 2, cpu_percent: 50,
      oom_kill_disable: true, blkio_config: { weight: 300 }, gpus: 'all', models: { llm: null }, post_start: [{ command: ['x'] }],
      pre_stop: [{ command: ['x'] }], pre_start: [{ command: ['x'] }], label_file: ['./labels'], use_api_socket: true, provider: { type: 'model' }, driver_opts: { a: 'b' },
    };
    expect(keysOf('refused')).toEqual(Object.keys(samples).sort());
    for (const key of keysOf('refused')) {
      const e = refusal(() => build({ [key]: samples[key] }));
      expect(e.code, key).toBe('swarm_unsupported');
      expect(e.exitCode).toBe(3);
      expect(e.path).toBe(`services.api.${key}`);
      expect(e.message).toContain('service "api"');
      expect(e.message).toContain(key);
      expect(e.hint, key).toBeTruthy();
    }
  });

  it('maps every mapped key: setting it changes the spec', () => {
    const samples: Dict = {
      name: 'web', image: 'nginx:1.28', platform: 'linux/arm64', scale: 3, hostname: 'h', command: ['serve'], entrypoint: ['/init'],
      working_dir: '/w', user: '1000', environment: { A: '1' }, labels: { a: 'b' },
      ports: [{ target: 80, protocol: 'tcp', mode: 'ingress' }], volumes: [{ type: 'tmpfs', target: '/t' }], tmpfs: ['/run'],
      network_mode: 'host', networks: { default: { aliases: ['x'] } }, extra_hosts: { h: ['10.0.0.1'] }, dns: ['10.0.0.2'],
      dns_opt: ['ndots:1'], dns_search: ['example'], healthcheck: { test: ['CMD', 'true'] }, restart: 'always', stop_signal: 'SIGINT',
      stop_grace_period: '5s', init: true, tty: true, stdin_open: true, read_only: true, cap_add: ['NET_ADMIN'], cap_drop: ['MKNOD'],
      security_opt: ['no-new-privileges'], sysctls: { 'net.core.somaxconn': '1' }, ulimits: { nofile: { soft: 1, hard: 2 } },
      group_add: ['audio'], isolation: 'process', logging: { driver: 'syslog' }, secrets: [{ source: 's' }], configs: [{ source: 'c' }],
      cpus: 0.5, mem_limit: 2000, mem_reservation: 10, memswap_limit: 3000, mem_swappiness: 5, oom_score_adj: 10, pids_limit: 9,
      deploy: { labels: { a: 'b' } }, credential_spec: { file: 'x.json' },
    };
    expect(keysOf('mapped')).toEqual(Object.keys(samples).sort());
    const objectNames = { secrets: { s: 'shop_s-0123456789' }, configs: { c: 'shop_c-0123456789' } };
    // A memory limit in the base lets memswap_limit and mem_swappiness stand alone.
    const base = { ...svc('api'), mem_limit: 1000 } as Service;
    const before = JSON.stringify(serviceSpec(proj([base]), base, { names: objectNames }).spec);
    for (const key of keysOf('mapped')) {
      const s = { ...base, [key]: samples[key] } as Service;
      expect(JSON.stringify(serviceSpec(proj([s]), s, { names: objectNames }).spec), key).not.toBe(before);
    }
  });

  it('ignores every ignored key with exactly one warning at its path, and still builds the spec', () => {
    const samples: Dict = {
      build: { context: '.' }, pull_policy: 'always', pull_refresh_after: '1h', container_name: 'api-1', annotations: { a: 'b' },
      expose: ['8080'], links: ['db'], develop: { watch: [] },
    };
    expect(keysOf('ignored')).toEqual(Object.keys(samples).sort());
    for (const key of keysOf('ignored')) {
      const out = build({ [key]: samples[key] });
      expect(out.warnings.map((w) => w.path), key).toEqual([`services.api.${key}`]);
      expect(out.warnings[0]!.code).toBe('swarm_ignored');
      expect(out.warnings[0]!.message).toContain('ignored in swarm mode');
      expect(out.spec.Name).toBe('shop_api');
    }
  });

  it('reports an ignored key once per service, however many entries it has', () => {
    expect(build({ expose: ['80', '81', '82'], links: ['db', 'cache'] }).warnings).toHaveLength(2);
  });

  it('refuses a key it does not know at all, and accepts empty values of refused keys', () => {
    const e = refusal(() => build({ volume_driver: 'x' }));
    expect(e.path).toBe('services.api.volume_driver');
    expect(e.message).toContain('tug does not know this key');
    expect(build({ devices: [], privileged: false, label_file: [], models: {}, pid: null }).warnings).toEqual([]);
  });

  it('warns about depends_on.restart, which the manager does not honour', () => {
    const out = build({ depends_on: { db: { condition: 'service_started', required: true, restart: true }, cache: { condition: 'service_started', required: true, restart: false } } });
    expect(out.warnings.map((w) => w.path)).toEqual(['services.api.depends_on.db.restart']);
  });
});

describe('build in swarm mode', () => {
  it('refuses a service with only a build: the nodes would have nothing to pull', () => {
    const e = refusal(() => build({ image: undefined, build: { context: '.' } }));
    expect(e.path).toBe('services.api.build');
    expect(e.hint).toContain('push');
  });

  it('ignores build when the image is given, and is silent when the caller builds and pushes', () => {
    expect(build({ build: { context: '.' } }).warnings.map((w) => w.path)).toEqual(['services.api.build']);
    expect(build({ build: { context: '.' } }, { buildsImages: true }).warnings).toEqual([]);
  });

  it('takes the pushed reference of a build-only service from the caller', async () => {
    const { project } = await loadYaml('name: shop\nservices:\n  api: {build: .}\n', { Dockerfile: 'FROM scratch\n' });
    const out = serviceSpec(project, project.services.api!, { names, buildsImages: true, resolveImage: (s) => `registry:5000/shop-${s.name}:latest` });
    expect(out.spec.TaskTemplate.ContainerSpec.Image).toBe('registry:5000/shop-api:latest');
    expect(out.warnings).toEqual([]);
  });
});
