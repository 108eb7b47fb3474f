/**
 * The end-of-run check for leaked volumes (test/setup/volume-leaks.ts, a vitest globalSetup)
 * finds what it must and nothing else: an anonymous volume of a container removed without its
 * volumes is a leak; a labelled volume, a volume a container still mounts, and a volume that
 * was there before the run are not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { findLeaks } from '../setup/volume-leaks.js';
import { IMAGE, docker, rand } from './helpers.js';

const made: { containers: string[]; volumes: string[] } = { containers: [], volumes: [] };

afterAll(async () => {
  for (const c of made.containers) await docker(['rm', '-f', '-v', c], { allowFail: true });
  for (const v of made.volumes) await docker(['volume', 'rm', '-f', v], { allowFail: true });
});

async function volumesOf(container: string): Promise<string[]> {
  const out = (await docker(['inspect', '--format', '{{range .Mounts}}{{.Name}} {{end}}', container])).stdout;
  return out.split(' ').map((s) => s.trim()).filter(Boolean);
}

describe('the leaked-volume check', () => {
  it('names the anonymous volume of a container removed without -v, and only new, unlabelled, unmounted ones', async () => {
    const before = new Set((await docker(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean));
    const since = new Date();

    // A volume there before the snapshot is not the run's.
    const old = `tugleak-old-${rand()}`;
    await docker(['volume', 'create', old]);
    made.volumes.push(old);
    before.add(old);

    // Removed without -v: its anonymous volume stays, unlabelled.
    const gone = (await docker(['create', '-v', '/data', IMAGE, 'true'])).stdout.trim();
    const [anonymous] = await volumesOf(gone);
    made.volumes.push(anonymous!);
    await docker(['rm', gone]);

    // Still mounted by a container: in use, not (yet) a leak.
    const kept = (await docker(['create', '-v', '/data', IMAGE, 'true'])).stdout.trim();
    made.containers.push(kept);
    const [mounted] = await volumesOf(kept);
    made.volumes.push(mounted!);

    // Labelled as a project's: findable by `down -v`, not a leak.
    const labelled = `tugleak-lab-${rand()}`;
    await docker(['volume', 'create', '--label', `com.docker.compose.project=tugleak-${rand()}`, labelled]);
    made.volumes.push(labelled);

    const leaks = (await findLeaks(before, since)).map((v) => v.Name);
    expect(leaks).toContain(anonymous);
    expect(leaks).not.toContain(old);
    expect(leaks).not.toContain(mounted);
    expect(leaks).not.toContain(labelled);

    // Removed, it is no longer reported.
    await docker(['volume', 'rm', anonymous!]);
    expect((await findLeaks(before, since)).map((v) => v.Name)).not.toContain(anonymous);
  });
});
