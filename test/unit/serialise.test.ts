import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Project } from '../../src/stack/model.js';
import { toCanonical, toJson, toYaml } from '../../src/stack/serialise.js';
import { makeService } from '../support.js';

const service = makeService;

function project(): Project {
  return {
    name: 'shop',
    working_dir: '/srv/shop',
    config_files: ['/srv/shop/compose.yaml'],
    services: {
      web: service('web', {
        image: 'nginx:1.27',
        environment: { TZ: 'UTC', DEBUG: null },
        ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }],
        depends_on: { db: { condition: 'service_healthy', required: true, restart: false } },
        networks: { front: {}, default: null },
        entrypoint: [],
        scale: 2,
        extensions: { 'x-owner': { team: 'web', ids: [3, 1] } },
      }),
      db: service('db', { image: 'postgres:17', healthcheck: { test: ['CMD', 'pg_isready'], interval: '5s' }, profiles: ['data'] }),
    },
    disabled_services: { debug: service('debug', { profiles: ['debug'] }) },
    networks: { front: { name: 'shop_front' }, default: { name: 'shop_default' } },
    volumes: {},
    configs: {},
    secrets: { token: { name: 'shop_token', file: '/srv/shop/token.txt' } },
    profiles: ['data'],
    extensions: { 'x-release': '2025.1' },
  };
}

describe('toCanonical', () => {
  const out = toCanonical(project()) as Record<string, any>;

  it('puts name first and lists only non-empty sections, in a fixed order', () => {
    expect(Object.keys(out)).toEqual(['name', 'services', 'networks', 'secrets', 'x-release']);
  });

  it('leaves out internal bookkeeping', () => {
    for (const key of ['working_dir', 'config_files', 'disabled_services', 'profiles']) expect(out).not.toHaveProperty(key);
  });

  it('sorts services by name and keys inside a service', () => {
    expect(Object.keys(out.services)).toEqual(['db', 'web']);
    const keys = Object.keys(out.services.web);
    expect(keys).toEqual([...keys].sort());
    expect(Object.keys(out.services.web.environment)).toEqual(['DEBUG', 'TZ']);
  });

  it('drops the service name, default scale and empty collections', () => {
    expect(out.services.db).toEqual({
      healthcheck: { interval: '5s', test: ['CMD', 'pg_isready'] },
      image: 'postgres:17',
      networks: { default: null },
      profiles: ['data'],
    });
    expect(out.services.web.scale).toBe(2);
  });

  it('keeps meaningful empties: a cleared entrypoint, an attachment with defaults, null values', () => {
    expect(out.services.web.entrypoint).toEqual([]);
    expect(out.services.web.networks).toEqual({ default: null, front: null });
    expect(out.services.web.environment.DEBUG).toBeNull();
  });

  it('prints extensions back as x- keys, as written', () => {
    expect(out.services.web['x-owner']).toEqual({ team: 'web', ids: [3, 1] });
    expect(out.services.web).not.toHaveProperty('extensions');
  });

  it('keeps the engine-side name of networks and secrets', () => {
    expect(out.networks).toEqual({ default: { name: 'shop_default' }, front: { name: 'shop_front' } });
    expect(out.secrets.token).toEqual({ file: '/srv/shop/token.txt', name: 'shop_token' });
  });

  it('does not modify the project', () => {
    const p = project();
    const before = structuredClone(p);
    toCanonical(p);
    expect(p).toEqual(before);
  });
});

describe('toYaml / toJson', () => {
  it('round-trips to the canonical form', () => {
    const canonical = toCanonical(project());
    expect(parse(toYaml(project()))).toEqual(canonical);
    expect(JSON.parse(toJson(project()))).toEqual(canonical);
  });

  it('is deterministic whatever the insertion order', () => {
    const p = project();
    const reversed: Project = { ...p, services: Object.fromEntries(Object.entries(p.services).reverse()) };
    expect(toYaml(reversed)).toBe(toYaml(p));
  });

  it('never emits anchors or folds long lines', () => {
    const shared = { team: 'x'.repeat(200) };
    const p = project();
    p.services.db!.extensions = { 'x-a': shared };
    p.services.web!.extensions = { 'x-a': shared };
    const text = toYaml(p);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(text).toContain(`team: ${'x'.repeat(200)}\n`);
  });

  it('uses 2-space JSON and ends both forms with a newline', () => {
    expect(toJson(project())).toMatch(/^\{\n {2}"name": "shop",\n/);
    expect(toJson(project()).endsWith('}\n')).toBe(true);
    expect(toYaml(project()).startsWith('name: shop\nservices:\n')).toBe(true);
  });
});
