/**
 * A replica made from another image than the one its service names now is recreated, as
 * Compose recreates on a changed image digest: after `tug build`, `docker pull`, or `up --build`.
 */
import { describe, expect, it } from 'vitest';
import { DependencyGraph } from '../../src/graph/graph.js';
import type { ContainerSummary } from '../../src/plan/observed.js';
import { imageChanged, planUp } from '../../src/plan/up.js';
import { imagesFirst } from '../../src/run/image-ids.js';
import type { Project, Service } from '../../src/stack/model.js';
import { makeService } from '../support.js';

const svc = (name: string, extra: Partial<Service> = {}): Service => makeService(name, { image: 'busybox', ...extra });
const project = (services: Service[]): Project => ({
  name: 'p', working_dir: '/w', config_files: ['/w/compose.yaml'],
  services: Object.fromEntries(services.map((s) => [s.name, s])), disabled_services: {},
  networks: { default: { name: 'p_default' } }, volumes: {}, configs: {}, secrets: {}, profiles: [],
});
const running = (service: string, imageId?: string): ContainerSummary => ({
  id: `id-${service}`, name: `p-${service}-1`, service, number: 1, oneoff: false, state: 'running',
  status: 'Up', health: 'none', configHash: 'h', image: 'busybox', labels: {}, created: 1, ports: [],
  ...(imageId ? { imageId } : {}),
});

describe('planUp and the image a replica was made from', () => {
  const p = project([svc('web'), svc('db')]);
  const g = DependencyGraph.fromServices(p.services);
  const plan = (containers: ContainerSummary[], imageOf: (s: string) => string | undefined, extra = {}) =>
    Object.fromEntries(planUp(p, g, { containers, networks: [], volumes: [] }, () => 'h', { imageOf, ...extra }).services.map((s) => [s.service, s.replicas[0]!.kind]));

  it('recreates a replica whose image changed, keeps one whose image is the same', () => {
    const ids: Record<string, string> = { web: 'sha256:new', db: 'sha256:same' };
    expect(plan([running('web', 'sha256:old'), running('db', 'sha256:same')], (s) => ids[s])).toEqual({ web: 'recreate', db: 'keep' });
  });

  it('compares nothing when either side is unknown (an image the engine lacks, a listing without ids)', () => {
    expect(plan([running('web', 'sha256:old'), running('db')], () => undefined)).toEqual({ web: 'keep', db: 'keep' });
    expect(plan([running('web'), running('db')], () => 'sha256:x')).toEqual({ web: 'keep', db: 'keep' });
  });

  it('--no-recreate keeps a replica whose image changed', () => {
    expect(plan([running('web', 'sha256:old'), running('db', 'sha256:old')], () => 'sha256:new', { noRecreate: true })).toEqual({ web: 'keep', db: 'keep' });
  });

  it('an id with and without its digest algorithm (Podman lists them bare) is the same image', () => {
    expect(imageChanged(running('web', 'abc123'), 'sha256:abc123')).toBe(false);
    expect(imageChanged(running('web', 'sha256:abc123'), 'sha256:abc124')).toBe(true);
  });
});

describe('the images up builds or pulls before planning', () => {
  const p = project([
    svc('built', { image: undefined, build: { context: '/w' } as Service['build'] }),
    svc('pulled', { pull_policy: 'always' }),
    svc('plain'),
  ]);
  it('--build builds what has a build section; pull_policy always is pulled; the rest waits for need', () => {
    expect(imagesFirst(p, ['built', 'pulled', 'plain'], {})).toEqual(['pulled']);
    expect(imagesFirst(p, ['built', 'pulled', 'plain'], { build: true })).toEqual(['built', 'pulled']);
    expect(imagesFirst(p, ['built', 'pulled', 'plain'], { pull: 'always' })).toEqual(['pulled', 'plain']);
    expect(imagesFirst(p, ['built', 'pulled', 'plain'], { noBuild: true })).toEqual(['pulled']);
  });
});
