/**
 * Resource limits reach the kernel: read back from the engine's HostConfig AND from the
 * container's own cgroup files, written either as flat service keys or as
 * deploy.resources.limits. Contradicting the two forms is refused at load time.
 */
import { describe, expect, it } from 'vitest';
import { StackInvalidError } from '../../src/errors.js';
import { up, type UpResult } from '../../src/run/up.js';
import { IMAGE, docker, dockerExec, e2eScope, inspect, load, removeDir, writeStack } from './helpers.js';

const scope = e2eScope({
  cli: false,
  setup: async () => {
    dir = await scope.stack(STACK);
    result = await up(engine, await load(dir), {});
  },
});
const { engine } = scope;
const project = scope.project('limits');
const MiB = 1024 * 1024;

const STACK = `
name: ${project}
services:
  flat:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    cpus: 0.5
    mem_limit: 64m
    memswap_limit: 128m
    pids_limit: 50
    cpu_shares: 512
    mem_reservation: 32m
  deployed:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    deploy:
      resources:
        limits:
          cpus: '0.25'
          memory: 32m
          pids: 20
`;

let dir: string;
let result: UpResult;
const id = (service: string): string => result.containers[service]![0]!.id;

/** Reads cgroup files inside the container; missing files read as undefined. */
async function cgroup(service: string, files: string[]): Promise<Record<string, string | undefined>> {
  const script = files.map((f) => `if [ -r ${f} ]; then echo "${f}=$(cat ${f})"; else echo "${f}=<missing>"; fi`).join('; ');
  const out = await dockerExec(id(service), script);
  const values: Record<string, string | undefined> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const eq = line.indexOf('=');
    const v = line.slice(eq + 1).trim();
    values[line.slice(0, eq)] = v === '<missing>' ? undefined : v;
  }
  return values;
}

/** v2 has one unified hierarchy with cgroup.controllers at its root; v1 one mount per controller. */
async function cgroupVersion(service: string): Promise<1 | 2> {
  const r = await docker(['exec', id(service), 'test', '-e', '/sys/fs/cgroup/cgroup.controllers'], { allowFail: true });
  return r.code === 0 ? 2 : 1;
}

describe('resource limits on the real engine', () => {
  it('flat keys: the engine holds exactly the limits asked for', async () => {
    const hc = (await inspect(id('flat'))).HostConfig;
    expect(hc).toMatchObject({
      NanoCpus: 500_000_000,
      Memory: 64 * MiB,
      MemorySwap: 128 * MiB,
      PidsLimit: 50,
      CpuShares: 512,
      MemoryReservation: 32 * MiB,
    });
  });

  it('deploy.resources.limits: the engine holds the same kind of limits', async () => {
    const hc = (await inspect(id('deployed'))).HostConfig;
    expect(hc).toMatchObject({ NanoCpus: 250_000_000, Memory: 32 * MiB, PidsLimit: 20 });
  });

  it('the kernel enforces them: the container\'s own cgroup files', async () => {
    const version = await cgroupVersion('flat');
    console.log(`[limits] cgroup v${version}`);
    if (version === 2) {
      const flat = await cgroup('flat', ['/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory.swap.max',
        '/sys/fs/cgroup/memory.low', '/sys/fs/cgroup/pids.max']);
      expect(flat).toEqual({
        '/sys/fs/cgroup/cpu.max': '50000 100000',
        '/sys/fs/cgroup/memory.max': String(64 * MiB),
        // v2 limits swap alone: memswap_limit minus mem_limit.
        '/sys/fs/cgroup/memory.swap.max': String(64 * MiB),
        '/sys/fs/cgroup/memory.low': String(32 * MiB),
        '/sys/fs/cgroup/pids.max': '50',
      });
      // cpu_shares becomes cpu.weight by a formula that differs between runc versions, so the
      // engine's CpuShares (checked above) is the assertion for it here.
      const deployed = await cgroup('deployed', ['/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/pids.max']);
      expect(deployed).toEqual({
        '/sys/fs/cgroup/cpu.max': '25000 100000',
        '/sys/fs/cgroup/memory.max': String(32 * MiB),
        '/sys/fs/cgroup/pids.max': '20',
      });
    } else {
      const flat = await cgroup('flat', ['/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.cfs_period_us',
        '/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.soft_limit_in_bytes',
        '/sys/fs/cgroup/pids/pids.max']);
      expect(flat).toEqual({
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000',
        '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
        '/sys/fs/cgroup/cpu/cpu.shares': '512',
        '/sys/fs/cgroup/memory/memory.limit_in_bytes': String(64 * MiB),
        '/sys/fs/cgroup/memory/memory.soft_limit_in_bytes': String(32 * MiB),
        '/sys/fs/cgroup/pids/pids.max': '50',
      });
      // memsw exists only when the host kernel accounts swap; where it does, it must match.
      const memsw = (await cgroup('flat', ['/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes']))['/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'];
      if (memsw !== undefined) expect(memsw).toBe(String(128 * MiB));
      const deployed = await cgroup('deployed', ['/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/memory/memory.limit_in_bytes',
        '/sys/fs/cgroup/pids/pids.max']);
      expect(deployed).toEqual({
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '25000',
        '/sys/fs/cgroup/memory/memory.limit_in_bytes': String(32 * MiB),
        '/sys/fs/cgroup/pids/pids.max': '20',
      });
    }
  });

  it('cpus and deploy.resources.limits.cpus that disagree are rejected at load: conflicting_limits', async () => {
    const bad = await writeStack(`
name: ${project}-bad
services:
  both:
    image: ${IMAGE}
    cpus: 1
    deploy:
      resources:
        limits:
          cpus: 0.5
`);
    try {
      const err = await load(bad).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StackInvalidError);
      const problems = (err as StackInvalidError).problems;
      expect(problems.map((p) => p.code)).toContain('conflicting_limits');
      const problem = problems.find((p) => p.code === 'conflicting_limits')!;
      expect(problem.message).toMatch(/cpus/);
      expect(problem.location?.line).toBeGreaterThan(0);
    } finally {
      await removeDir(bad);
    }
  });
});
