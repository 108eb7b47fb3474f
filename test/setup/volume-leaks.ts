/**
 * After the run, no unlabelled volume made by the tests may remain on the engine (issue 10):
 * every volume tug makes carries the project's label, so an unlabelled one left behind is an
 * anonymous volume that something removed a container without (the known past leak: `rm`
 * without `v`), and nothing could ever find it again.
 *
 * The volumes are listed when the run starts; at its end, a volume counts as a leak only if it
 * is new (not in that list, and created after it), carries no `com.docker.compose.project`
 * label, and no container (running or not) mounts it: so what other programs on the same engine
 * are using is not blamed on the tests. In CI only the suite uses the engine. Without an engine
 * (a unit-only run on a laptop) there is nothing to check.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PROJECT_LABEL = 'com.docker.compose.project';

async function docker(args: string[]): Promise<string> {
  return (await run('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })).stdout;
}

const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter(Boolean);

interface VolumeInfo {
  Name: string;
  CreatedAt?: string;
  Labels?: Record<string, string> | null;
}

/** The leaks among the volumes now on the engine, given the names there at the start and when that was. */
export async function findLeaks(before: Set<string>, since: Date): Promise<VolumeInfo[]> {
  const fresh = lines(await docker(['volume', 'ls', '-q'])).filter((n) => !before.has(n));
  if (fresh.length === 0) return [];
  const infos: VolumeInfo[] = [];
  // Inspected one by one: a volume removed meanwhile (by its own test's cleanup) is no leak.
  for (const name of fresh) {
    try {
      infos.push((JSON.parse(await docker(['volume', 'inspect', name])) as VolumeInfo[])[0]!);
    } catch {
      // gone
    }
  }
  const mounted = new Set(lines(await docker(['ps', '-a', '--no-trunc', '--format', '{{.Mounts}}'])).flatMap((m) => m.split(',')));
  const slack = 5_000; // the engine's clock and this one's
  return infos.filter((v) =>
    !v.Labels?.[PROJECT_LABEL]
    && (!v.CreatedAt || Date.parse(v.CreatedAt) >= since.getTime() - slack)
    && !mounted.has(v.Name));
}

export default async function setup(): Promise<(() => Promise<void>) | void> {
  let before: Set<string>;
  try {
    before = new Set(lines(await docker(['volume', 'ls', '-q'])));
  } catch {
    return; // no engine (or no docker CLI): the e2e files say so themselves
  }
  const since = new Date();
  return async () => {
    const leaks = await findLeaks(before, since);
    if (leaks.length === 0) return;
    // Vitest reports an error thrown here but exits 0 all the same: the run must fail.
    process.exitCode = 1;
    throw new Error(
      `${leaks.length} unlabelled volume(s) made during this run are left on the engine, mounted by no container: ` +
        `${leaks.map((v) => `${v.Name} (created ${v.CreatedAt ?? '?'})`).join(', ')}. ` +
        'A test removed a container without its anonymous volumes (remove with v / -v), or made a volume and did not remove it.',
    );
  };
}
