import { describe, expect, it } from 'vitest';
import { quietBuilds, quietPulls } from '../../src/cli/commands/up.js';
import { composeFlagRefusal } from '../../src/cli/compose-flags.js';
import { DependencyGraph } from '../../src/graph/graph.js';
import { attachedServices } from '../../src/plan/attach.js';
import { imagePolicy } from '../../src/run/images.js';
import type { ProgressEvent } from '../../src/run/progress.js';
import type { Project } from '../../src/stack/model.js';
import { makeService } from '../support.js';

const ev = (action: ProgressEvent['action'], state: ProgressEvent['state']): ProgressEvent =>
  ({ resource: action === 'pull' ? 'image' : 'container', name: 'x', action, state, time: 0 });

describe('up --quiet-pull', () => {
  it('drops pull progress, keeps a failed or warned pull and everything else', () => {
    const seen: ProgressEvent[] = [];
    const listener = quietPulls((e) => seen.push(e), true);
    for (const e of [ev('pull', 'working'), ev('pull', 'done'), ev('pull', 'error'), ev('pull', 'warning'), ev('create', 'done')]) listener(e);
    expect(seen.map((e) => `${e.action}:${e.state}`)).toEqual(['pull:error', 'pull:warning', 'create:done']);
  });

  it('passes everything through without the flag', () => {
    const seen: ProgressEvent[] = [];
    quietPulls((e) => seen.push(e), undefined)(ev('pull', 'working'));
    expect(seen).toHaveLength(1);
  });
});

describe('up --quiet-build', () => {
  it('drops build progress, keeps a failed or warned build and everything else', () => {
    const seen: ProgressEvent[] = [];
    const listener = quietBuilds((e) => seen.push(e), true);
    for (const e of [ev('build', 'working'), ev('build', 'done'), ev('build', 'error'), ev('build', 'warning'), ev('pull', 'working'), ev('create', 'done')]) listener(e);
    expect(seen.map((e) => `${e.action}:${e.state}`)).toEqual(['build:error', 'build:warning', 'pull:working', 'create:done']);
  });
});

describe('up/create --no-build', () => {
  const built = (extra = {}) => makeService('app', { build: { context: '/x' }, ...extra });

  it('never builds: a missing image of a service without image: fails, naming --no-build', () => {
    expect(imagePolicy(built(), 'converge', { noBuild: true })).toEqual({ kind: 'local', then: 'fail', why: '--no-build forbids building it' });
    // Even where the policy or --pull build would force a build.
    expect(imagePolicy(built({ image: 'x', pull_policy: 'build' }), 'converge', { noBuild: true })).toMatchObject({ kind: 'local', then: 'fail' });
    expect(imagePolicy(built({ image: 'x' }), 'converge', { noBuild: true, pull: 'build' })).toMatchObject({ kind: 'local', then: 'fail' });
  });

  it('pulls a missing image the file names, as Compose does, unless the policy says never', () => {
    expect(imagePolicy(built({ image: 'x' }), 'converge', { noBuild: true })).toEqual({ kind: 'local', then: 'pull' });
    expect(imagePolicy(built({ image: 'x', pull_policy: 'always' }), 'converge', { noBuild: true })).toEqual({ kind: 'pull' });
    expect(imagePolicy(built({ image: 'x', pull_policy: 'never' }), 'converge', { noBuild: true })).toMatchObject({ kind: 'local', then: 'fail' });
  });

  it('leaves services without a build section as they were', () => {
    expect(imagePolicy(makeService('db', { image: 'x' }), 'converge', { noBuild: true })).toEqual({ kind: 'local', then: 'pull' });
    expect(imagePolicy(built(), 'converge', {})).toEqual({ kind: 'local', then: 'build' });
  });
});

describe('whose output an attached up prints (--attach, --no-attach, --attach-dependencies)', () => {
  const services = {
    web: makeService('web', { depends_on: { api: { condition: 'service_started', required: true, restart: false } } }),
    api: makeService('api', { depends_on: { db: { condition: 'service_started', required: true, restart: false } } }),
    db: makeService('db'),
    quiet: makeService('quiet', { attach: false }),
  } as unknown as Project['services'];
  const project = { name: 'p', services } as unknown as Project;
  const graph = DependencyGraph.fromServices(services);
  const chosen = (choice: Parameters<typeof attachedServices>[2]) => [...attachedServices(project, graph, choice)].sort();

  it('prints every service when none is named, except those with attach: false', () => {
    expect(chosen({})).toEqual(['api', 'db', 'web']);
  });

  it('prints only the named services, not their dependencies, as Compose does', () => {
    expect(chosen({ services: ['web'] })).toEqual(['web']);
  });

  it('--attach-dependencies adds what the named services depend on, transitively', () => {
    expect(chosen({ services: ['web'], attachDependencies: true })).toEqual(['api', 'db', 'web']);
    expect(chosen({ services: ['api'], attachDependencies: true })).toEqual(['api', 'db']);
    expect(chosen({ services: ['web'], attachDependencies: true, noAttach: ['api'] })).toEqual(['db', 'web']);
  });

  it('--attach names them outright (attach: false included); --no-attach takes some out', () => {
    expect(chosen({ services: ['web'], attach: ['db', 'quiet'] })).toEqual(['db', 'quiet']);
    expect(chosen({ noAttach: ['db'] })).toEqual(['api', 'web']);
  });
});

describe('the four up flags are tug\'s now, not refused as Compose flags tug lacks', () => {
  it('has no refusal for them', () => {
    for (const flag of ['no-build', 'abort-on-container-failure', 'attach-dependencies', 'quiet-build']) {
      expect(composeFlagRefusal(`Unknown argument: ${flag}`, ['up', `--${flag}`])).toBeUndefined();
    }
    expect(composeFlagRefusal('Unknown argument: no-build', ['create', '--no-build'])).toBeUndefined();
  });
});
