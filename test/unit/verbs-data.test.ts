/** The pure parts of the data verbs: grouping, row building and formatting. */
import { describe, expect, it } from 'vitest';
import { eventJson, eventLine, eventTime } from '../../src/cli/commands/events.js';
import { imagePolicy, type ImageDecision } from '../../src/run/images.js';
import { containerImages, formatPlatform, formatStatus, groupProjects, imageRows, publishedAddress } from '../../src/run/reports.js';
import { render as renderStats } from '../../src/cli/commands/stats.js';
import { binarySize, humanSize, table } from '../../src/cli/table.js';
import { readImagePlatform, readStats as toStats } from '../../src/engine/docker/map.js';
import { type ContainerState, type EngineEvent } from '../../src/engine/engine.js';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { LABEL } from '../../src/labels.js';
import { makeService } from '../support.js';
import { composeContainer, FakeEngine } from '../fake-engine.js';

function container(name: string, extra: Partial<ContainerSummary> & { project?: string; files?: string } = {}): ContainerSummary {
  const { project, files, ...rest } = extra;
  const labels: Record<string, string> = {};
  if (project !== undefined) labels[LABEL.project] = project;
  if (files !== undefined) labels[LABEL.configFiles] = files;
  return {
    id: `id-${name}`, name, service: name.split('-')[1] ?? name, number: 1, oneoff: false, state: 'running', status: 'Up', health: 'none',
    image: 'busybox:latest', labels, created: 0, ports: [], ...rest,
  };
}

describe('ls', () => {
  it('counts containers by state, live states first', () => {
    const counts = new Map<string, number>([['exited', 1], ['created', 2], ['running', 3]]);
    expect(formatStatus(counts)).toBe('running(3), created(2), exited(1)');
    expect(formatStatus(new Map([['exited', 2]]))).toBe('exited(2)');
    expect(formatStatus(new Map())).toBe('');
  });

  it('groups by the project label, sorted by name, with the union of config files', () => {
    const state = (s: ContainerState) => ({ state: s });
    const rows = groupProjects([
      container('b-web-1', { project: 'b', files: '/b/compose.yaml', ...state('running') }),
      container('a-db-1', { project: 'a', files: '/a/compose.yaml,/a/override.yaml', ...state('exited') }),
      container('b-job-1', { project: 'b', files: '/b/compose.yaml', ...state('exited') }),
      container('a-api-1', { project: 'a', files: '/a/compose.yaml', ...state('exited') }),
      container('stray', {}),
    ]);
    expect(rows).toEqual([
      { name: 'a', status: 'exited(2)', configFiles: '/a/compose.yaml,/a/override.yaml', running: 0 },
      { name: 'b', status: 'running(1), exited(1)', configFiles: '/b/compose.yaml', running: 1 },
    ]);
  });
});

describe('images', () => {
  const busybox = { id: 'sha256:aaa', tags: ['local/busybox:latest', 'busybox:latest'], size: 1_984_132, created: 1_700_000_000 };

  it('names an image by the reference the container was created with, when the image still has it', () => {
    const rows = imageRows([container('p-web-1', { image: 'busybox', imageId: 'sha256:aaa' })], [busybox]);
    expect(rows).toEqual([{ container: 'p-web-1', service: 'web', repository: 'busybox', tag: 'latest', id: 'aaa', size: 1_984_132, created: 1_700_000_000 }]);
  });

  it('falls back to the image\'s first tag, and to <none> for a vanished image', () => {
    const rows = imageRows([
      container('p-a-1', { image: 'retagged:v1', imageId: 'sha256:aaa' }),
      container('p-b-1', { image: 'sha256:bbb', imageId: 'sha256:bbb' }),
      container('p-c-1', { image: 'registry:5000/team/app:2', imageId: 'sha256:ccc' }),
    ], [busybox]);
    expect(rows.map((r) => [r.repository, r.tag, r.id, r.size])).toEqual([
      ['local/busybox', 'latest', 'aaa', 1_984_132],
      ['<none>', '<none>', 'bbb', undefined],
      ['registry:5000/team/app', '2', 'ccc', undefined],
    ]);
  });

  it('prints the platform as containerd\'s platforms.Format, which Compose uses: os/arch[/variant], unknown without an os', () => {
    expect(formatPlatform(readImagePlatform({ Os: 'linux', Architecture: 'arm', Variant: 'v7' }))).toBe('linux/arm/v7');
    expect(formatPlatform(readImagePlatform({ Os: 'linux', Architecture: 'amd64', Variant: '' }))).toBe('linux/amd64');
    expect(formatPlatform(readImagePlatform({ Architecture: 'amd64' }))).toBe('unknown');
    expect(formatPlatform(undefined)).toBe('unknown');
  });

  it('inspects each image the containers use once for its platform, and none for a vanished image', async () => {
    const engine = new FakeEngine({ images: ['busybox'] });
    try {
      engine.addContainer(composeContainer('plat', 'a'));
      engine.addContainer(composeContainer('plat', 'b'));
      const rows = await containerImages(engine, 'plat');
      expect(rows.map((r) => r.platform)).toEqual(['linux/amd64', 'linux/amd64']);
      expect(engine.callsTo('images.platform')).toHaveLength(1);
    } finally {
      engine.dispose();
    }
  });

  it('formats sizes as docker does', () => {
    expect([0, 999, 1000, 1_984_132, 125_000_000, 2_500_000_000].map(humanSize)).toEqual(['0B', '999B', '1kB', '1.98MB', '125MB', '2.5GB']);
  });

  it('aligns columns, leaving the last one unpadded', () => {
    expect(table([['A', 'BB', 'C'], ['long', 'x', '']])).toBe('A      BB   C\nlong   x\n');
  });
});

describe('port', () => {
  const ports: ContainerSummary['ports'] = [
    { privatePort: 80, publicPort: 8080, ip: '::', type: 'tcp' },
    { privatePort: 80, publicPort: 8080, ip: '0.0.0.0', type: 'tcp' },
    { privatePort: 53, publicPort: 5353, ip: '127.0.0.1', type: 'udp' },
    { privatePort: 443, type: 'tcp' },
  ];

  it('prefers the IPv4 binding and matches the protocol', () => {
    expect(publishedAddress(ports, 80, 'tcp')).toBe('0.0.0.0:8080');
    expect(publishedAddress(ports, 53, 'udp')).toBe('127.0.0.1:5353');
    expect(publishedAddress(ports, 53, 'tcp')).toBeUndefined();
  });

  it('brackets an IPv6 address and treats an exposed-only port as unpublished', () => {
    expect(publishedAddress([ports[0]!], 80, 'tcp')).toBe('[::]:8080');
    expect(publishedAddress(ports, 443, 'tcp')).toBeUndefined();
  });
});

describe('image policy', () => {
  const skipWhy = (d: ImageDecision): string | undefined => (d.kind === 'skip' ? d.why : undefined);

  it('tug pull skips what is built, or never pulled by policy', () => {
    expect(skipWhy(imagePolicy(makeService('a', { build: { context: '/x' } }), 'pull'))).toMatch(/built/);
    expect(skipWhy(imagePolicy(makeService('a', { image: 'x', pull_policy: 'never' }), 'pull'))).toMatch(/never/);
    expect(skipWhy(imagePolicy(makeService('a', { image: 'x', pull_policy: 'build', build: { context: '/x' } }), 'pull'))).toMatch(/build/);
    expect(imagePolicy(makeService('a', { image: 'x', build: { context: '/x' } }), 'pull')).toEqual({ kind: 'pull' });
    expect(imagePolicy(makeService('a', { image: 'x' }), 'pull')).toEqual({ kind: 'pull' });
    expect(imagePolicy(makeService('a', { image: 'x', pull_policy: 'missing' }), 'pull')).toEqual({ kind: 'local', then: 'pull' });
  });

  it('up uses a local image by default, builds or pulls it when missing, and --pull overrides the file', () => {
    expect(imagePolicy(makeService('a', { image: 'x' }), 'converge')).toEqual({ kind: 'local', then: 'pull' });
    expect(imagePolicy(makeService('a', { image: 'x', build: { context: '/x' } }), 'converge')).toEqual({ kind: 'local', then: 'build' });
    expect(imagePolicy(makeService('a', { image: 'x', pull_policy: 'never' }), 'converge')).toEqual({ kind: 'local', then: 'fail' });
    expect(imagePolicy(makeService('a', { image: 'x', pull_policy: 'always' }), 'converge')).toEqual({ kind: 'pull' });
    expect(imagePolicy(makeService('a', { image: 'x', pull_policy: 'always' }), 'converge', { pull: 'never' })).toEqual({ kind: 'local', then: 'fail' });
    expect(imagePolicy(makeService('a', { image: 'x', build: { context: '/x' } }), 'converge', { build: true })).toEqual({ kind: 'build' });
    // --build without a build section has nothing to build from.
    expect(imagePolicy(makeService('a', { image: 'x' }), 'converge', { build: true })).toEqual({ kind: 'local', then: 'pull' });
  });
});

describe('events', () => {
  const e: EngineEvent = {
    type: 'container', action: 'start', id: 'abcdef0123456789',
    attributes: { name: 'p-web-1', [LABEL.service]: 'web', image: 'busybox' }, timeNano: 1_700_000_000_123_456_789,
  };

  it('stamps events to the microsecond', () => {
    expect(eventTime(e.timeNano)).toBe('2023-11-14T22:13:20.123457Z');
    expect(eventTime(1_700_000_000_000_000_000)).toBe('2023-11-14T22:13:20.000000Z');
  });

  it('prints one line per event, with the service in brackets', () => {
    expect(eventLine(e)).toBe('2023-11-14T22:13:20.123457Z container start p-web-1 (web)');
    expect(eventLine({ ...e, attributes: {} })).toBe('2023-11-14T22:13:20.123457Z container start abcdef012345');
  });

  it('prints JSON lines with the fields of Compose\'s', () => {
    expect(JSON.parse(eventJson(e))).toEqual({
      time: '2023-11-14T22:13:20.123457Z', type: 'container', action: 'start', id: 'abcdef0123456789', service: 'web', attributes: e.attributes,
    });
  });
});

describe('stats', () => {
  // Trimmed from this engine (cgroup v1): 117434 ns of CPU over 2 s of two CPUs' system time.
  const v1 = {
    pids_stats: { current: 2 },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 512 }, { op: 'Total', value: 4608 }] },
    cpu_stats: { cpu_usage: { total_usage: 124627626, percpu_usage: [81442428, 43185198] }, system_cpu_usage: 18935330000000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 124510192 }, system_cpu_usage: 18933330000000, online_cpus: 2 },
    memory_stats: { usage: 2654208, stats: { total_inactive_file: 122880, inactive_file: 122880, cache: 1961984 }, limit: 67108864 },
    networks: { eth0: { rx_bytes: 946, tx_bytes: 10 }, eth1: { rx_bytes: 54, tx_bytes: 0 } },
  };

  it('computes CPU over the engine\'s two samples, memory without inactive cache, I/O summed', () => {
    const s = toStats(v1);
    expect(s.cpuPercent).toBeCloseTo(((124627626 - 124510192) / 2_000_000_000) * 2 * 100, 10);
    expect(s.memoryUsage).toBe(2654208 - 122880);
    expect(s.memoryLimit).toBe(67108864);
    expect(s.memoryPercent).toBeCloseTo(((2654208 - 122880) / 67108864) * 100, 10);
    expect([s.netRx, s.netTx, s.blockRead, s.blockWrite, s.pids]).toEqual([1000, 10, 4096, 512, 2]);
  });

  it('reads cgroup v2 names, and a stopped container\'s empty sample as zeros', () => {
    const v2 = { memory_stats: { usage: 10_000, stats: { inactive_file: 4_000 }, limit: 100_000 }, blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 7 }, { op: 'write', value: 9 }] }, cpu_stats: { cpu_usage: { total_usage: 5, percpu_usage: [5] }, system_cpu_usage: 10 }, precpu_stats: {} };
    expect(toStats(v2)).toMatchObject({ memoryUsage: 6_000, memoryPercent: 6, blockRead: 7, blockWrite: 9, cpuPercent: 50 });
    expect(toStats({ read: '0001-01-01T00:00:00Z', memory_stats: {}, cpu_stats: {}, precpu_stats: {} })).toEqual({
      cpuPercent: 0, memoryUsage: 0, memoryLimit: 0, memoryPercent: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0, pids: 0,
    });
  });

  it('writes memory in binary units and I/O in decimal ones, as docker stats does', () => {
    expect([binarySize(0), binarySize(1023), binarySize(2531328), binarySize(64 * 1024 ** 2), binarySize(25276502016)]).toEqual(['0B', '1023B', '2.414MiB', '64MiB', '23.54GiB']);
    const row = renderStats([{ container: container('shop-web-1'), stats: { ...toStats(v1) } }]).split('\n')[1];
    expect(row).toMatch(/^shop-web-1\s+web\s+0\.01%\s+2\.414MiB \/ 64MiB\s+3\.77%\s+1kB \/ 10B\s+4\.1kB \/ 512B\s+2$/);
  });
});
