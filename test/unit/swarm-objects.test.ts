/** The objects a stack creates besides services: secrets and configs, overlay networks. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/errors.js';
import { STACK_LABEL, bindObjectIds, fileObjects, networkSpecs, specHash, swarmConfig } from '../../src/swarm/index.js';
import { loadYaml, proj, readFile, svc } from '../swarm-support.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const SECRETS = `
name: shop
services:
  api:
    image: shop/api:1
    secrets: [db, token]
    configs: [nginx]
secrets:
  db: {file: ./db.txt, labels: {owner: dba}}
  token: {environment: TOKEN}
  unused: {file: ./missing.txt}
configs:
  nginx: {content: "worker_processes 1;"}
`;

async function objects(dbText: string, token = 'tok') {
  const { project } = await loadYaml(SECRETS, { 'db.txt': dbText });
  return fileObjects(project, { readFile, env: { TOKEN: token } });
}

describe('secrets and configs', () => {
  it('are named <project>_<key>-<first 10 hex of the data\'s sha256>, labelled with the namespace and the full hash', async () => {
    const o = await objects('hunter2');
    expect(o.secrets).toEqual([
      {
        Name: `shop_db-${sha('hunter2').slice(0, 10)}`,
        Labels: { owner: 'dba', [STACK_LABEL.namespace]: 'shop', [STACK_LABEL.contentHash]: sha('hunter2') },
        Data: Buffer.from('hunter2').toString('base64'),
      },
      {
        Name: `shop_token-${sha('tok').slice(0, 10)}`,
        Labels: { [STACK_LABEL.namespace]: 'shop', [STACK_LABEL.contentHash]: sha('tok') },
        Data: Buffer.from('tok').toString('base64'),
      },
    ]);
    expect(o.configs).toEqual([{
      Name: `shop_nginx-${sha('worker_processes 1;').slice(0, 10)}`,
      Labels: { [STACK_LABEL.namespace]: 'shop', [STACK_LABEL.contentHash]: sha('worker_processes 1;') },
      Data: Buffer.from('worker_processes 1;').toString('base64'),
    }]);
    // The unreferenced secret is neither read (its file is missing) nor created.
    expect(Object.keys(o.names.secrets)).toEqual(['db', 'token']);
  });

  it('get a new name when their data changes, and keep it when it does not', async () => {
    const a = await objects('hunter2');
    const b = await objects('hunter2');
    const c = await objects('hunter3');
    expect(b.names.secrets.db).toBe(a.names.secrets.db);
    expect(c.names.secrets.db).not.toBe(a.names.secrets.db);
    expect(c.names.secrets.token).toBe(a.names.secrets.token);
    expect((await objects('hunter2', 'other')).names.secrets.token).not.toBe(a.names.secrets.token);
  });

  it('roll the services that use them onto the new name, which changes their spec hash', async () => {
    const spec = async (text: string) => {
      const { project } = await loadYaml(SECRETS, { 'db.txt': text });
      return swarmConfig(project, { readFile, env: { TOKEN: 'tok' } }).services.api!;
    };
    const [a, b, c] = [await spec('v1'), await spec('v1'), await spec('v2')];
    expect(a.Labels[STACK_LABEL.specHash]).toBe(b.Labels[STACK_LABEL.specHash]);
    expect(c.Labels[STACK_LABEL.specHash]).not.toBe(a.Labels[STACK_LABEL.specHash]);
    expect(c.TaskTemplate.ContainerSpec.Secrets?.map((r) => r.SecretName)).toContain(`shop_db-${sha('v2').slice(0, 10)}`);
  });

  it('reference external objects by their own name and create nothing for them', async () => {
    const { project } = await loadYaml(`
name: shop
services:
  api: {image: x, secrets: [cert, legacy], configs: [shared]}
secrets:
  cert: {external: true}
  legacy: {external: true, name: corp_cert_v3}
configs:
  shared: {external: true}
`);
    const o = fileObjects(project, {});
    expect(o.secrets).toEqual([]);
    expect(o.configs).toEqual([]);
    expect(o.names).toEqual({ secrets: { cert: 'cert', legacy: 'corp_cert_v3' }, configs: { shared: 'shared' } });
  });

  it('keep an explicit name: as the prefix, and let a template driver change the name', () => {
    const p = proj([svc('api', { configs: [{ source: 'a' }, { source: 'b' }] })], {
      configs: { a: { name: 'site-conf', content: 'x' }, b: { name: 'shop_b', content: 'x', template_driver: 'golang' } },
    });
    const o = fileObjects(p, {});
    expect(o.names.configs.a).toBe(`site-conf-${sha('x').slice(0, 10)}`);
    expect(o.configs[1]!.Templating).toEqual({ Name: 'golang' });
    expect(o.names.configs.b).not.toBe(`shop_b-${sha('x').slice(0, 10)}`);
  });

  it('pass a secret driver through, unversioned since the driver holds the value', () => {
    const p = proj([svc('api', { secrets: [{ source: 'vault' }] })], {
      secrets: { vault: { name: 'shop_vault', driver: 'vault', driver_opts: { path: 'kv/db' } } },
    });
    expect(fileObjects(p, {}).secrets).toEqual([{
      Name: 'shop_vault', Labels: { [STACK_LABEL.namespace]: 'shop' }, Driver: { Name: 'vault', Options: { path: 'kv/db' } },
    }]);
  });

  it('refuse what the manager would: empty or oversized data, a bad name, a config driver, a missing variable or file', () => {
    const err = (objs: Parameters<typeof proj>[1], kind: 'secrets' | 'configs' = 'secrets', opts = {}) => {
      const p = proj([svc('api', { [kind]: [{ source: 'x' }] })], objs);
      try {
        fileObjects(p, opts);
      } catch (e) {
        expect(e).toBeInstanceOf(TugError);
        return e as TugError;
      }
      throw new Error('expected a TugError');
    };
    expect(err({ secrets: { x: { name: 'shop_x', content: '' } } }).code).toBe('empty_object');
    expect(err({ secrets: { x: { name: 'shop_x', content: 'a'.repeat(500 * 1024) } } }).code).toBe('object_too_large');
    expect(err({ secrets: { x: { name: 'n'.repeat(60), content: 'a' } } }).code).toBe('invalid_object_name');
    expect(err({ configs: { x: { name: 'shop_x', driver: 'vault' } } }, 'configs').path).toBe('configs.x.driver');
    const missing = err({ secrets: { x: { name: 'shop_x', environment: 'NOPE' } } });
    expect(missing.code).toBe('missing_variable');
    expect(missing.path).toBe('secrets.x.environment');
    expect(err({ secrets: { x: { name: 'shop_x', file: '/nowhere/at/all' } } }, 'secrets', { readFile }).path).toBe('secrets.x.file');
  });

  it('allow a config up to its own, larger limit', () => {
    const p = proj([svc('api', { configs: [{ source: 'x' }] })], { configs: { x: { name: 'shop_x', content: 'a'.repeat(600 * 1024) } } });
    expect(fileObjects(p, {}).configs).toHaveLength(1);
  });
});

describe('bindObjectIds', () => {
  it('fills the IDs the manager needs without changing the spec hash', () => {
    const p = proj([svc('api', { secrets: [{ source: 's' }], configs: [{ source: 'c' }] })], {
      secrets: { s: { name: 'shop_s', content: 's' } }, configs: { c: { name: 'shop_c', content: 'c' } },
    });
    const cfg = swarmConfig(p, {});
    const spec = cfg.services.api!;
    const bound = bindObjectIds(spec, { secrets: { [cfg.secrets[0]!.Name]: 'sec1' }, configs: { [cfg.configs[0]!.Name]: 'cfg1' } });
    expect(bound.TaskTemplate.ContainerSpec.Secrets?.[0]?.SecretID).toBe('sec1');
    expect(bound.TaskTemplate.ContainerSpec.Configs?.[0]?.ConfigID).toBe('cfg1');
    expect(spec.TaskTemplate.ContainerSpec.Secrets?.[0]?.SecretID).toBe('');
    expect(specHash(bound)).toBe(spec.Labels[STACK_LABEL.specHash]);
  });

  it('refuses a reference the manager has no object for', () => {
    const p = proj([svc('api', { secrets: [{ source: 's' }] })], { secrets: { s: { name: 's', external: true } } });
    const spec = swarmConfig(p, {}).services.api!;
    expect(() => bindObjectIds(spec, { secrets: {}, configs: {} })).toThrow(/needs secret "s"/);
  });
});

describe('overlay networks', () => {
  it('creates the networks services use, overlay unless given, with the namespace label; external ones are only listed', async () => {
    const { project, warnings } = await loadYaml(`
name: shop
services:
  web: {image: x, networks: [front, back, corp]}
  worker: {image: x}
networks:
  front: {attachable: true, labels: {tier: front}}
  back:
    internal: true
    driver_opts: {encrypted: "true"}
    enable_ipv6: true
    ipam: {driver: default, config: [{subnet: 10.9.0.0/24, ip_range: 10.9.0.0/25, gateway: 10.9.0.1, aux_addresses: {host1: 10.9.0.5}}], options: {foo: bar}}
  corp: {external: true, name: corp-net}
  unused: {}
`);
    expect(warnings).toEqual([]);
    const n = networkSpecs(project);
    expect(n.create).toEqual({
      shop_front: { Name: 'shop_front', Driver: 'overlay', Attachable: true, Labels: { tier: 'front', [STACK_LABEL.namespace]: 'shop' } },
      shop_back: {
        Name: 'shop_back', Driver: 'overlay', Internal: true, EnableIPv6: true, Options: { encrypted: 'true' },
        IPAM: { Driver: 'default', Config: [{ Subnet: '10.9.0.0/24', IPRange: '10.9.0.0/25', Gateway: '10.9.0.1', AuxiliaryAddresses: { host1: '10.9.0.5' } }], Options: { foo: 'bar' } },
        Labels: { [STACK_LABEL.namespace]: 'shop' },
      },
      shop_default: { Name: 'shop_default', Driver: 'overlay', Labels: { [STACK_LABEL.namespace]: 'shop' } },
    });
    expect(n.external).toEqual(['corp-net']);
    expect(n.warnings).toEqual([]);
  });

  it('replaces a bridge driver by overlay with a warning, and refuses creating the engine\'s own networks', () => {
    const p = proj([svc('web', { networks: { lan: null } })], { networks: { lan: { name: 'shop_lan', driver: 'bridge' } } });
    const n = networkSpecs(p);
    expect(n.create.shop_lan?.Driver).toBe('overlay');
    expect(n.warnings.map((w) => w.path)).toEqual(['networks.lan.driver']);
    const q = proj([svc('web', { networks: { h: null } })], { networks: { h: { name: 'shop_h', driver: 'host' } } });
    expect(() => networkSpecs(q)).toThrow(/driver host cannot be created/);
  });

  it('enable_ipv4 by the manager\'s API: sent from 1.48, dropped when true and refused when false before', () => {
    const p = (v: boolean) => proj([svc('web', { networks: { lan: null } })], { networks: { lan: { name: 'shop_lan', enable_ipv4: v } } });
    expect(networkSpecs(p(false), { apiVersion: '1.48' }).create.shop_lan?.EnableIPv4).toBe(false);
    expect(networkSpecs(p(true)).create.shop_lan?.EnableIPv4).toBe(true);
    expect(networkSpecs(p(true), { apiVersion: '1.47' }).create.shop_lan).not.toHaveProperty('EnableIPv4');
    expect(() => networkSpecs(p(false), { apiVersion: '1.47' })).toThrow(/enable_ipv4: false needs Engine API 1.48 \(Docker 28\); the manager speaks 1.47/);
  });

  it('creates nothing for a service on the host network', () => {
    const p = proj([svc('web', { network_mode: 'host', networks: {} })], { networks: {} });
    expect(networkSpecs(p).create).toEqual({});
  });
});
