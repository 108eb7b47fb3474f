/** planDeploy: what a deploy creates, updates, leaves alone and removes, and in which order. */
import { describe, expect, it } from 'vitest';
import { type ServiceSpec } from '../../src/engine/api/swarm.js';
import {
  type DesiredStack, type ObservedStack, STACK_LABEL, desiredStack, planDeploy, referencedBy, swarmConfig,
} from '../../src/swarm/index.js';
import { loadYaml, readFile } from '../swarm-support.js';

const YAML = `
name: shop
services:
  web:
    image: shop/web:1
    secrets: [token]
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
      cache: {condition: service_started, required: false}
    networks: [front, back]
  db:
    image: postgres:16
    networks: [back]
    healthcheck: {test: [CMD, pg_isready]}
  migrate:
    image: shop/migrate:1
    deploy: {mode: replicated-job}
    networks: [back]
    configs: [settings]
networks:
  front: {}
  back: {}
secrets:
  token: {file: ./token.txt}
configs:
  settings: {content: "a=1"}
`;

async function desired(token = 'tok', yaml = YAML): Promise<DesiredStack> {
  const { project } = await loadYaml(yaml, { 'token.txt': token });
  return desiredStack(project, swarmConfig(project, { readFile }));
}

/** What the manager lists after deploying `d`: its specs with defaults added, as a manager returns them. */
function observedFrom(d: DesiredStack, ids = 0): ObservedStack {
  let n = ids;
  const withDefaults = (s: ServiceSpec): ServiceSpec => ({
    ...s,
    TaskTemplate: { ...s.TaskTemplate, ForceUpdate: 0, ContainerSpec: { ...s.TaskTemplate.ContainerSpec, Image: `${s.TaskTemplate.ContainerSpec.Image}@sha256:${'a'.repeat(64)}` } },
    EndpointSpec: { Mode: 'vip' },
  });
  return {
    services: Object.values(d.services).map((s) => ({ ID: `svc${++n}`, Version: { Index: 10 + n }, Spec: withDefaults(s) })),
    networks: Object.values(d.networks).map((x) => ({ Id: `net-${x.Name}`, Name: x.Name, Labels: x.Labels })),
    secrets: d.secrets.map((x) => ({ ID: `sec-${x.Name}`, Spec: { Name: x.Name, Labels: x.Labels } })),
    configs: d.configs.map((x) => ({ ID: `cfg-${x.Name}`, Spec: { Name: x.Name, Labels: x.Labels } })),
  };
}

describe('planDeploy', () => {
  it('creates everything on an empty swarm, dependencies first, each service gated on its depends_on', async () => {
    const d = await desired();
    const plan = planDeploy(d, { services: [], networks: [], secrets: [], configs: [] });
    expect(plan.networks.create.map((n) => n.Name)).toEqual(['shop_front', 'shop_back']);
    expect(plan.secrets.create.map((s) => s.Name)).toEqual([d.secrets[0]!.Name]);
    expect(plan.configs.create.map((s) => s.Name)).toEqual([d.configs[0]!.Name]);
    expect(plan.services.map((s) => [s.action, s.service, s.name])).toEqual([
      ['create', 'db', 'shop_db'], ['create', 'migrate', 'shop_migrate'], ['create', 'web', 'shop_web'],
    ]);
    // The optional dependency on a service the project does not have is no gate.
    expect(plan.services[2]!.gate).toEqual([
      { service: 'db', condition: 'service_healthy', required: true },
      { service: 'migrate', condition: 'service_completed_successfully', required: true },
    ]);
    expect(plan.services[0]!.gate).toEqual([]);
    expect(plan.removeServices).toEqual([]);
    expect(plan.removeAfter).toEqual({ secrets: [], configs: [] });
  });

  it('leaves a service whose spec-hash label matches unchanged, though the manager added defaults and pinned the image', async () => {
    const d = await desired();
    const plan = planDeploy(d, observedFrom(d));
    expect(plan.services.map((s) => [s.action, s.service])).toEqual([['unchanged', 'db'], ['unchanged', 'migrate'], ['unchanged', 'web']]);
    expect(plan.services[0]).toMatchObject({ id: 'svc2' });
    expect(plan.networks.create).toEqual([]);
    expect(plan.secrets.create).toEqual([]);
    expect(plan.configs.create).toEqual([]);
    expect(plan.removeAfter).toEqual({ secrets: [], configs: [] });
    expect(plan.notes).toEqual([]);
  });

  it('updates a changed service with the observed version index, keeping the manager\'s ForceUpdate', async () => {
    const before = await desired('tok');
    const observed = observedFrom(before);
    observed.services[0]!.Spec.TaskTemplate.ForceUpdate = 4;
    const after = await desired('tok', YAML.replace('image: shop/web:1', 'image: shop/web:2'));
    const plan = planDeploy(after, observed);
    const web = plan.services.find((s) => s.service === 'web')!;
    expect(web).toMatchObject({ action: 'update', id: 'svc1', version: 11, name: 'shop_web' });
    if (web.action !== 'update') throw new Error('expected an update');
    expect(web.spec.TaskTemplate.ContainerSpec.Image).toBe('shop/web:2');
    expect(web.spec.TaskTemplate.ForceUpdate).toBe(4);
    expect(web.spec.Labels[STACK_LABEL.specHash]).toBe(after.services.web!.Labels[STACK_LABEL.specHash]);
    expect(plan.services.filter((s) => s.action === 'unchanged').map((s) => s.service)).toEqual(['db', 'migrate']);
  });

  it('creates the new version of a changed secret, and removes the old one after the deploy', async () => {
    const before = await desired('tok');
    const after = await desired('tok2');
    const plan = planDeploy(after, observedFrom(before));
    expect(plan.secrets.create.map((s) => s.Name)).toEqual([after.secrets[0]!.Name]);
    expect(plan.services.find((s) => s.service === 'web')?.action).toBe('update');
    expect(plan.removeAfter.secrets).toEqual([{ id: `sec-${before.secrets[0]!.Name}`, name: before.secrets[0]!.Name }]);
    expect(plan.removeAfter.configs).toEqual([]);
  });

  it('lists services the project no longer has, and removes them only when asked', async () => {
    const d = await desired();
    const observed = observedFrom(d);
    const oldSecret = { ID: 'sec-old', Spec: { Name: 'shop_legacy-0123456789', Labels: { [STACK_LABEL.namespace]: 'shop' } } };
    const old: ServiceSpec = {
      Name: 'shop_old', Labels: { [STACK_LABEL.namespace]: 'shop' }, Mode: { Replicated: { Replicas: 1 } },
      TaskTemplate: { ContainerSpec: { Image: 'old', Secrets: [{ File: { Name: 'x', UID: '0', GID: '0', Mode: 0o444 }, SecretID: 'sec-old', SecretName: oldSecret.Spec.Name }] } },
    };
    observed.services.push({ ID: 'svc-old', Version: { Index: 3 }, Spec: old });
    observed.secrets.push(oldSecret);

    const keep = planDeploy(d, observed);
    expect(keep.orphans).toEqual([{ id: 'svc-old', name: 'shop_old' }]);
    expect(keep.removeServices).toEqual([]);
    // The orphan still uses its secret, so the secret stays too.
    expect(keep.removeAfter.secrets).toEqual([]);

    const prune = planDeploy(d, observed, { removeOrphans: true });
    expect(prune.removeServices).toEqual([{ id: 'svc-old', name: 'shop_old' }]);
    expect(prune.removeAfter.secrets).toEqual([{ id: 'sec-old', name: 'shop_legacy-0123456789' }]);
  });

  it('notes an existing object of the same name whose content hash differs, and does not recreate it', async () => {
    const d = await desired();
    const observed = observedFrom(d);
    observed.secrets[0]!.Spec.Labels = { [STACK_LABEL.namespace]: 'shop' };
    const plan = planDeploy(d, observed);
    expect(plan.secrets.create).toEqual([]);
    expect(plan.notes).toHaveLength(1);
    expect(plan.notes[0]).toContain('content hash missing');
  });

  it('creates only the networks the manager lacks', async () => {
    const d = await desired();
    const observed = observedFrom(d);
    observed.networks = observed.networks.filter((n) => n.Name !== 'shop_back');
    expect(planDeploy(d, observed).networks.create.map((n) => n.Name)).toEqual(['shop_back']);
  });
});

describe('referencedBy', () => {
  const file = { Name: '/x', UID: '0', GID: '0', Mode: 0o444 };
  const spec = (secret: string, config: string): ServiceSpec => ({
    Name: 'shop_web', Labels: {}, Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: { ContainerSpec: { Image: 'web', Secrets: [{ File: file, SecretID: 's', SecretName: secret }], Configs: [{ File: file, ConfigID: 'c', ConfigName: config }] } },
  });

  it('names the objects of the current spec and of the spec a service can roll back to', () => {
    const held = referencedBy([
      { Spec: spec('shop_token-2', 'shop_conf-2'), PreviousSpec: spec('shop_token-1', 'shop_conf-1') },
      { Spec: { Name: 'shop_db', Labels: {}, Mode: {}, TaskTemplate: { ContainerSpec: { Image: 'db' } } } },
    ]);
    expect([...held.secrets].sort()).toEqual(['shop_token-1', 'shop_token-2']);
    expect([...held.configs].sort()).toEqual(['shop_conf-1', 'shop_conf-2']);
  });
});
