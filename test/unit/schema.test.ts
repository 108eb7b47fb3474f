import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { parse } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const schemaPath = path.join(repoRoot, 'schemas/compose.schema.json');
const fullFixture = path.join(repoRoot, 'test/fixtures/schema/full.yaml');
const corpusRoot = path.resolve(here, '../../../shared/corpus');
const awesomeDir = path.join(corpusRoot, 'awesome-compose');
const SCHEMA_ID = 'https://tug.dev/schemas/compose.schema.json';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

// The CJS default export of ajv's standalone module arrives either as the function or as
// {default: function}, depending on the interop layer.
const standaloneCode = ((standaloneModule as unknown as { default?: unknown }).default ??
  standaloneModule) as unknown as (ajv: Ajv, validate: ValidateFunction) => string;

const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8')) as JsonObject;
const definitions = schema['definitions'] as Record<string, JsonObject>;

function makeAjv(extra: Record<string, unknown> = {}): { ajv: Ajv; warnings: unknown[][] } {
  const warnings: unknown[][] = [];
  const logger = {
    log: () => {},
    warn: (...args: unknown[]) => warnings.push(args),
    error: (...args: unknown[]) => warnings.push(args),
  };
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, logger, ...extra });
  return { ajv, warnings };
}

const { ajv, warnings: compileWarnings } = makeAjv();
const validate = ajv.compile(schema);

function loadYaml(text: string): Json {
  return parse(text, { merge: true }) as Json;
}

function errorsOf(doc: Json): ErrorObject[] {
  const ok = validate(doc);
  return ok ? [] : [...(validate.errors ?? [])];
}

function show(errors: ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || '/'} ${e.keyword} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
}

/** Validates a value against one of the schema's definitions. */
function checkDefinition(name: string, value: Json): boolean {
  const fn = ajv.getSchema(`${SCHEMA_ID}#/definitions/${name}`);
  if (!fn) throw new Error(`no definition ${name}`);
  return fn(value) as boolean;
}

function service(yamlBody: string): Json {
  return loadYaml(`services:\n  web:\n    image: busybox\n${yamlBody}`);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at(doc: Json, pointer: string): Json {
  let node: Json = doc;
  for (const seg of pointerSegments(pointer)) {
    node = Array.isArray(node) ? (node[Number(seg)] as Json) : (node as JsonObject)[seg]!;
  }
  return node;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON pointers of every mapping in the document, outside x-* extension subtrees. */
function objectPointers(node: Json, pointer = ''): string[] {
  const out: string[] = [];
  if (isObject(node)) {
    out.push(pointer);
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith('x-')) continue;
      out.push(...objectPointers(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
    }
  } else if (Array.isArray(node)) {
    node.forEach((v, i) => out.push(...objectPointers(v, `${pointer}/${i}`)));
  }
  return out;
}

const fullDoc = loadYaml(fs.readFileSync(fullFixture, 'utf8'));

describe('compose.schema.json', () => {
  it('compiles under strict ajv without warnings and has the expected identity', () => {
    expect(typeof validate).toBe('function');
    expect(compileWarnings).toEqual([]);
    expect(schema['$id']).toBe(SCHEMA_ID);
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(typeof schema['title']).toBe('string');
  });

  it('defines the shared special strings the error mapper recognises by name', () => {
    for (const name of ['duration', 'byte_size', 'cpus', 'list_or_dict', 'string_or_list']) {
      expect(definitions, name).toHaveProperty(name);
    }
    const text = JSON.stringify(schema);
    expect(text).not.toMatch(/"(if|then|else|oneOf)":/);
  });

  it('compiles to standalone code that validates like the in-process validator', () => {
    const { ajv: codeAjv, warnings } = makeAjv({ code: { source: true } });
    const fn = codeAjv.compile(schema);
    const code = standaloneCode(codeAjv, fn);
    expect(warnings).toEqual([]);
    expect(code.length).toBeGreaterThan(1000);
    const mod: { exports: unknown } = { exports: {} };
    const req = createRequire(import.meta.url);
    new Function('require', 'module', 'exports', code)(req, mod, mod.exports);
    const standaloneValidate = mod.exports as ValidateFunction;
    expect(standaloneValidate(fullDoc)).toBe(true);
    expect(standaloneValidate(service('    helthcheck: {}\n'))).toBe(false);
  });

  describe('covers the Compose Specification', () => {
    const props = (def: JsonObject): string[] => Object.keys(def['properties'] as JsonObject);
    const anyOfObject = (def: JsonObject): JsonObject =>
      (def['anyOf'] as JsonObject[]).find((b) => b['type'] === 'object')!;

    it('top level', () => {
      expect(Object.keys(schema['properties'] as JsonObject).sort()).toEqual(
        ['version', 'name', 'include', 'services', 'networks', 'volumes', 'configs', 'secrets', 'models'].sort(),
      );
    });

    it('every service key', () => {
      const expected = `annotations attach build blkio_config cpu_count cpu_percent cpu_shares cpu_period cpu_quota
        cpu_rt_runtime cpu_rt_period cpus cpuset cap_add cap_drop cgroup cgroup_parent command configs
        container_name credential_spec depends_on deploy develop device_cgroup_rules devices dns dns_opt
        dns_search domainname driver_opts entrypoint env_file environment expose extends external_links
        extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels label_file links
        logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit models network_mode
        networks oom_kill_disable oom_score_adj pid pids_limit platform ports post_start pre_stop pre_start privileged
        profiles provider pull_policy read_only restart runtime scale secrets security_opt shm_size
        stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits use_api_socket user
        userns_mode uts volumes volumes_from working_dir`.split(/\s+/);
      const serviceKeys = props(definitions['service']!);
      for (const key of expected) expect(serviceKeys, key).toContain(key);
    });

    it('build, deploy, healthcheck, networks, volumes, configs, secrets and models keys', () => {
      const svc = definitions['service']!['properties'] as Record<string, JsonObject>;
      expect(props(anyOfObject(svc['build']!)).sort()).toEqual(
        `context dockerfile dockerfile_inline args ssh labels cache_from cache_to no_cache no_cache_filter additional_contexts
        network pull target shm_size extra_hosts isolation privileged secrets tags ulimits platforms
        entitlements provenance sbom`.split(/\s+/).sort(),
      );
      expect(props(definitions['deploy']!)).toEqual(
        expect.arrayContaining(['mode', 'replicas', 'labels', 'endpoint_mode', 'resources', 'restart_policy',
          'update_config', 'rollback_config', 'placement']),
      );
      const resources = (definitions['deploy']!['properties'] as Record<string, JsonObject>)['resources']!;
      for (const side of ['limits', 'reservations']) {
        const limits = (resources['properties'] as Record<string, JsonObject>)[side]!;
        expect(props(limits), side).toEqual(
          expect.arrayContaining(['cpus', 'memory', 'pids', 'devices', 'generic_resources']),
        );
      }
      expect(props(definitions['healthcheck']!).sort()).toEqual(
        ['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable'].sort(),
      );
      expect(props(definitions['network']!).sort()).toEqual(
        `driver driver_opts ipam external internal attachable enable_ipv4 enable_ipv6 labels name`.split(' ').sort(),
      );
      expect(props(definitions['volume']!).sort()).toEqual(
        ['driver', 'driver_opts', 'external', 'labels', 'name'].sort(),
      );
      const fileKeys = `file environment content external name driver driver_opts template_driver labels`.split(' ').sort();
      expect(props(definitions['config']!).sort()).toEqual(fileKeys);
      expect(props(definitions['secret']!).sort()).toEqual(fileKeys);
      expect(props(definitions['model']!).sort()).toEqual(['model', 'context_size', 'runtime_flags', 'name'].sort());
    });

    it('requires nothing an override file might omit', () => {
      expect(schema['required']).toBeUndefined();
      for (const name of ['service', 'network', 'volume', 'config', 'secret', 'model', 'healthcheck', 'deploy']) {
        expect(definitions[name]!['required'], name).toBeUndefined();
      }
      expect(errorsOf({})).toEqual([]);
      expect(errorsOf(loadYaml('services:\n  web:\n    environment: [DEBUG=1]\n'))).toEqual([]);
      expect(errorsOf(loadYaml('models:\n  llm:\n    context_size: 8192\n'))).toEqual([]);
    });

    it('accepts a string wherever a number or boolean is accepted (values from interpolation)', () => {
      const offenders: string[] = [];
      const walk = (node: unknown, where: string): void => {
        if (Array.isArray(node)) {
          node.forEach((n, i) => walk(n, `${where}/${i}`));
          return;
        }
        if (typeof node !== 'object' || node === null) return;
        const s = node as Record<string, unknown>;
        const types = s['type'] === undefined ? [] : ([] as unknown[]).concat(s['type']);
        const scalar = types.some((t) => t === 'number' || t === 'integer' || t === 'boolean');
        if (scalar && !types.includes('string')) offenders.push(where);
        for (const [k, v] of Object.entries(s)) {
          if (k !== 'enum' && k !== 'required') walk(v, `${where}/${k}`);
        }
      };
      walk(schema, '#');
      expect(offenders).toEqual([]);
    });
  });

  describe('the full fixture', () => {
    it('validates', () => {
      const errors = errorsOf(fullDoc);
      expect(errors, show(errors)).toEqual([]);
    });

    it('uses every service key at least once', () => {
      const services = (fullDoc as JsonObject)['services'] as Record<string, JsonObject>;
      const used = new Set<string>();
      for (const [name, svc] of Object.entries(services)) {
        if (!name.startsWith('x-')) Object.keys(svc).forEach((k) => used.add(k));
      }
      const missing = Object.keys(definitions['service']!['properties'] as JsonObject).filter((k) => !used.has(k));
      expect(missing).toEqual([]);
    });

    it('uses every top-level key', () => {
      const keys = Object.keys(fullDoc as JsonObject).filter((k) => !k.startsWith('x-'));
      expect(keys.sort()).toEqual(Object.keys(schema['properties'] as JsonObject).sort());
    });
  });

  describe('x-* extensions', () => {
    const pointers = objectPointers(fullDoc);
    const probeValue: Json = { nested: [1, { deep: true }], list: ['a'] };

    // A mapping is "closed" when an unknown key in it is reported right there as an additional property.
    const closed = pointers.filter((p) => {
      const doc = clone(fullDoc);
      (at(doc, p) as JsonObject)['tug_probe_unknown'] = clone(probeValue);
      return errorsOf(doc).some(
        (e) =>
          e.keyword === 'additionalProperties' &&
          e.instancePath === p &&
          e.params['additionalProperty'] === 'tug_probe_unknown',
      );
    });

    it('finds the spec objects closed (unknown keys rejected at their own level)', () => {
      const mustBeClosed = [
        '',
        '/include/1',
        '/services/web',
        '/services/web/blkio_config',
        '/services/web/blkio_config/weight_device/0',
        '/services/web/blkio_config/device_read_bps/0',
        '/services/web/build',
        '/services/web/build/secrets/1',
        '/services/web/configs/1',
        '/services/web/credential_spec',
        '/services/web/depends_on/db',
        '/services/web/deploy',
        '/services/web/deploy/resources',
        '/services/web/deploy/resources/limits',
        '/services/web/deploy/resources/reservations',
        '/services/web/deploy/resources/reservations/devices/0',
        '/services/web/deploy/resources/reservations/generic_resources/0',
        '/services/web/deploy/resources/reservations/generic_resources/0/discrete_resource_spec',
        '/services/web/deploy/restart_policy',
        '/services/web/deploy/update_config',
        '/services/web/deploy/rollback_config',
        '/services/web/deploy/placement',
        '/services/web/deploy/placement/preferences/0',
        '/services/web/develop',
        '/services/web/develop/watch/0',
        '/services/web/develop/watch/2/exec',
        '/services/web/devices/1',
        '/services/web/env_file/1',
        '/services/web/healthcheck',
        '/services/web/logging',
        '/services/web/models/llm',
        '/services/web/networks/front',
        '/services/web/ports/3',
        '/services/web/post_start/0',
        '/services/web/pre_stop/0',
        '/services/web/pre_start/0',
        '/services/web/secrets/1',
        '/services/web/ulimits/nofile',
        '/services/web/volumes/2',
        '/services/web/volumes/2/bind',
        '/services/web/volumes/3/volume',
        '/services/web/volumes/4/tmpfs',
        '/services/web/volumes/5/image',
        '/services/worker/gpus/0',
        '/services/worker/provider',
        '/services/db/extends',
        '/networks/front',
        '/networks/front/ipam',
        '/networks/front/ipam/config/0',
        '/networks/legacy/external',
        '/volumes/db-data',
        '/volumes/legacy/external',
        '/configs/my_config',
        '/configs/inline',
        '/secrets/server-certificate',
        '/secrets/driven',
        '/models/llm',
      ];
      expect(closed).toEqual(expect.arrayContaining(mustBeClosed));
    });

    it('leaves user-keyed maps open', () => {
      const open = [
        '/services',
        '/networks',
        '/volumes',
        '/services/web/environment',
        '/services/web/labels',
        '/services/web/build/args',
        '/services/web/sysctls',
        '/services/web/annotations',
        '/services/web/storage_opt',
        '/services/web/logging/options',
        '/services/web/deploy/labels',
        '/networks/front/driver_opts',
        '/volumes/db-data/driver_opts',
      ];
      for (const p of open) expect(closed, p).not.toContain(p);
    });

    it('accepts an x- key (with any value) in every closed object', () => {
      expect(closed.length).toBeGreaterThan(50);
      const rejected: string[] = [];
      for (const p of closed) {
        const doc = clone(fullDoc);
        (at(doc, p) as JsonObject)['x-tug-probe'] = clone(probeValue);
        const errors = errorsOf(doc);
        if (errors.length) rejected.push(`${p}: ${show(errors)}`);
      }
      expect(rejected).toEqual([]);
    });

    it('accepts x- entries in the services, networks, volumes, configs, secrets and models maps', () => {
      const doc = clone(fullDoc) as JsonObject;
      for (const key of ['services', 'networks', 'volumes', 'configs', 'secrets', 'models']) {
        (doc[key] as JsonObject)['x-tug-probe'] = clone(probeValue);
      }
      expect(errorsOf(doc)).toEqual([]);
    });

    it('does not accept arbitrary keys where x- keys pass', () => {
      const errors = errorsOf(service('    healthcheck:\n      x-ok: 1\n      y-not: 1\n'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        keyword: 'additionalProperties',
        instancePath: '/services/web/healthcheck',
        params: { additionalProperty: 'y-not' },
      });
    });
  });

  describe('rejects', () => {
    it('an unknown service key (helthcheck)', () => {
      const errors = errorsOf(service('    helthcheck:\n      test: ["CMD", "true"]\n'));
      expect(errors).toEqual([
        expect.objectContaining({
          keyword: 'additionalProperties',
          instancePath: '/services/web',
          params: { additionalProperty: 'helthcheck' },
        }),
      ]);
    });

    it('an unknown top-level key (volume)', () => {
      const errors = errorsOf(loadYaml('services:\n  web:\n    image: busybox\nvolume:\n  data: {}\n'));
      expect(errors).toEqual([
        expect.objectContaining({
          keyword: 'additionalProperties',
          instancePath: '',
          params: { additionalProperty: 'volume' },
        }),
      ]);
    });

    it('a boolean port (ports: [true])', () => {
      const errors = errorsOf(service('    ports:\n      - true\n'));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.instancePath === '/services/web/ports/0')).toBe(true);
      expect(errors.some((e) => e.keyword === 'anyOf')).toBe(true);
      expect(errors.filter((e) => e.keyword === 'type').map((e) => e.params['type'])).toEqual([
        ['number', 'string'],
        'object',
      ]);
    });

    it('a misspelt depends_on condition (service_healty)', () => {
      const errors = errorsOf(
        service('    depends_on:\n      db:\n        condition: service_healty\n'),
      );
      const enumError = errors.find((e) => e.keyword === 'enum');
      expect(enumError).toMatchObject({ instancePath: '/services/web/depends_on/db/condition' });
      expect(enumError!.params['allowedValues']).toEqual([
        'service_started',
        'service_healthy',
        'service_completed_successfully',
      ]);
      // The only other complaints are the list branch's type mismatch and the anyOf itself.
      const others = errors.filter((e) => e !== enumError);
      expect(others.map((e) => [e.keyword, e.instancePath])).toEqual([
        ['type', '/services/web/depends_on'],
        ['anyOf', '/services/web/depends_on'],
      ]);
    });

    it('a long depends_on entry without a condition', () => {
      const errors = errorsOf(service('    depends_on:\n      db:\n        restart: true\n'));
      expect(errors).toContainEqual(
        expect.objectContaining({
          keyword: 'required',
          instancePath: '/services/web/depends_on/db',
          params: { missingProperty: 'condition' },
        }),
      );
    });

    it('a size with words in it (mem_limit: 12 gigs)', () => {
      const errors = errorsOf(service('    mem_limit: 12 gigs\n'));
      expect(errors).toEqual([
        expect.objectContaining({
          keyword: 'pattern',
          instancePath: '/services/web/mem_limit',
          schemaPath: '#/definitions/byte_size/pattern',
        }),
      ]);
    });

    it('a duration in words (interval: 5 seconds)', () => {
      const errors = errorsOf(
        service('    healthcheck:\n      test: ["CMD", "true"]\n      interval: 5 seconds\n'),
      );
      expect(errors).toEqual([
        expect.objectContaining({
          keyword: 'pattern',
          instancePath: '/services/web/healthcheck/interval',
          schemaPath: '#/definitions/duration/pattern',
        }),
      ]);
    });

    it('a non-numeric cpus (cpus: "two")', () => {
      const errors = errorsOf(service('    cpus: "two"\n'));
      expect(errors).toEqual([
        expect.objectContaining({
          instancePath: '/services/web/cpus',
          schemaPath: '#/definitions/cpus/pattern',
        }),
      ]);
    });

    it('services written as a list', () => {
      const errors = errorsOf(loadYaml('services:\n  - web\n  - db\n'));
      expect(errors).toEqual([
        expect.objectContaining({ keyword: 'type', instancePath: '/services', params: { type: 'object' } }),
      ]);
    });

    it('a long port without target, and a long volume without type', () => {
      expect(errorsOf(service('    ports:\n      - published: 8080\n'))).toContainEqual(
        expect.objectContaining({
          keyword: 'required',
          instancePath: '/services/web/ports/0',
          params: { missingProperty: 'target' },
        }),
      );
      expect(errorsOf(service('    volumes:\n      - target: /data\n'))).toContainEqual(
        expect.objectContaining({
          keyword: 'required',
          instancePath: '/services/web/volumes/0',
          params: { missingProperty: 'type' },
        }),
      );
    });

    it('bad enums: volume type, selinux, pull_policy, cgroup', () => {
      const cases: [string, string][] = [
        ['    volumes:\n      - type: mount\n        target: /x\n', '/services/web/volumes/0/type'],
        [
          '    volumes:\n      - type: bind\n        source: .\n        target: /x\n        bind: {selinux: q}\n',
          '/services/web/volumes/0/bind/selinux',
        ],
        ['    pull_policy: sometimes\n', '/services/web/pull_policy'],
        ['    cgroup: shared\n', '/services/web/cgroup'],
      ];
      for (const [body, where] of cases) {
        const errors = errorsOf(service(body));
        expect(errors.some((e) => e.instancePath === where), `${where}\n${show(errors)}`).toBe(true);
      }
    });

    it('a project name with capitals or spaces', () => {
      expect(errorsOf({ name: 'My Stack' })).toContainEqual(
        expect.objectContaining({ keyword: 'pattern', instancePath: '/name' }),
      );
    });
  });

  describe('shared definitions are used wherever they apply', () => {
    /** Builds {services: {web: ...}} with `value` at `pointer`, creating mappings on the way. */
    function docWith(pointer: string, value: Json): Json {
      const doc: JsonObject = { services: { web: { image: 'busybox' } } };
      const segs = pointerSegments(pointer);
      let node: JsonObject = doc;
      segs.slice(0, -1).forEach((seg) => {
        node[seg] ??= {};
        node = node[seg] as JsonObject;
      });
      node[segs[segs.length - 1]!] = value;
      return doc;
    }

    const cases: [string, string, Json][] = [];
    const add = (def: string, bad: Json, pointers: string[]): void => {
      for (const p of pointers) cases.push([def, `/services/web/${p}`, bad]);
    };
    add('byte_size', '12 gigs', [
      'mem_limit',
      'mem_reservation',
      'memswap_limit',
      'shm_size',
      'build/shm_size',
      'deploy/resources/limits/memory',
      'deploy/resources/reservations/memory',
    ]);
    add('duration', '5 seconds', [
      'stop_grace_period',
      'healthcheck/interval',
      'healthcheck/timeout',
      'healthcheck/start_period',
      'healthcheck/start_interval',
      'deploy/restart_policy/delay',
      'deploy/restart_policy/window',
      'deploy/update_config/delay',
      'deploy/update_config/monitor',
      'deploy/rollback_config/delay',
      'deploy/rollback_config/monitor',
    ]);
    add('cpus', 'two', ['cpus', 'deploy/resources/limits/cpus', 'deploy/resources/reservations/cpus']);

    it.each(cases)('%s at %s', (def, pointer, bad) => {
      const errors = errorsOf(docWith(pointer, bad));
      expect(errors).toContainEqual(
        expect.objectContaining({ instancePath: pointer, schemaPath: `#/definitions/${def}/pattern` }),
      );
    });

    it('byte_size for tmpfs mount sizes and blkio rates', () => {
      const tmpfs = errorsOf(
        service('    volumes:\n      - type: tmpfs\n        target: /t\n        tmpfs: {size: 12 gigs}\n'),
      );
      expect(tmpfs).toContainEqual(
        expect.objectContaining({
          instancePath: '/services/web/volumes/0/tmpfs/size',
          schemaPath: '#/definitions/byte_size/pattern',
        }),
      );
      const blkio = errorsOf(
        service('    blkio_config:\n      device_read_bps:\n        - {path: /dev/sda, rate: 12 gigs}\n'),
      );
      expect(blkio).toContainEqual(
        expect.objectContaining({
          instancePath: '/services/web/blkio_config/device_read_bps/0/rate',
          schemaPath: '#/definitions/byte_size/pattern',
        }),
      );
    });

    it('list_or_dict for environment, labels, annotations, sysctls and build args', () => {
      const svc = definitions['service']!['properties'] as Record<string, JsonObject>;
      for (const key of ['environment', 'labels', 'annotations', 'sysctls']) {
        expect(svc[key], key).toMatchObject({ $ref: '#/definitions/list_or_dict' });
      }
      const build = (svc['build']!['anyOf'] as JsonObject[]).find((b) => b['type'] === 'object')!;
      expect((build['properties'] as JsonObject)['args']).toMatchObject({ $ref: '#/definitions/list_or_dict' });
    });
  });

  describe('special strings', () => {
    it('duration', () => {
      for (const ok of ['1m30s', '500ms', '1.5h', '10us', '10µs', '2h45m', '0s', 30, 1.5]) {
        expect(checkDefinition('duration', ok), String(ok)).toBe(true);
      }
      for (const bad of ['5 seconds', '1d', '', '30', '1m 30s', 's', true, null]) {
        expect(checkDefinition('duration', bad as Json), String(bad)).toBe(false);
      }
    });

    it('byte_size', () => {
      for (const ok of ['512m', '1g', '1gb', '1GB', '1GiB', '100k', '2048', '1.5g', '10b', '64M', 1024, -1]) {
        expect(checkDefinition('byte_size', ok), String(ok)).toBe(true);
      }
      for (const bad of ['12 gigs', '1 g', '1x', 'lots', '', 'g', '1.g', true]) {
        expect(checkDefinition('byte_size', bad as Json), String(bad)).toBe(false);
      }
    });

    it('cpus', () => {
      for (const ok of [0.5, 2, '0.5', '2', '1.25', '.5']) {
        expect(checkDefinition('cpus', ok), String(ok)).toBe(true);
      }
      for (const bad of ['two', '-1', -1, '', '1,5', false]) {
        expect(checkDefinition('cpus', bad as Json), String(bad)).toBe(false);
      }
    });

    it('list_or_dict and string_or_list', () => {
      expect(checkDefinition('list_or_dict', ['A=1', 'B'])).toBe(true);
      expect(checkDefinition('list_or_dict', { A: '1', B: 2, C: true, D: null })).toBe(true);
      expect(checkDefinition('list_or_dict', { A: { nested: 1 } })).toBe(false);
      expect(checkDefinition('list_or_dict', [1])).toBe(false);
      expect(checkDefinition('list_or_dict', 'A=1')).toBe(false);
      expect(checkDefinition('string_or_list', 'a')).toBe(true);
      expect(checkDefinition('string_or_list', ['a', 'b'])).toBe(true);
      expect(checkDefinition('string_or_list', [1])).toBe(false);
      expect(checkDefinition('string_or_list', { a: 'b' })).toBe(false);
    });
  });

  describe('shared corpus', () => {
    const invalidDir = path.join(corpusRoot, 'invalid');
    // The invalid-corpus files whose problem is a schema matter, with where the error must point.
    const schemaCases: Record<string, string> = {
      '01-unknown-key.yaml': '/services/web',
      '02-bad-type.yaml': '/services/web/ports/0',
      '05-bad-condition.yaml': '/services/web/depends_on/db/condition',
      '08-bad-cpus.yaml': '/services/web/cpus',
      '09-bad-memory.yaml': '/services/web/mem_limit',
      '11-services-not-map.yaml': '/services',
      '13-duration.yaml': '/services/web/healthcheck/interval',
      '14-top-level-typo.yaml': '',
    };
    const present = Object.keys(schemaCases).filter((f) => fs.existsSync(path.join(invalidDir, f)));

    if (present.length === 0) {
      it.skip('invalid corpus not present', () => {});
    } else {
      it.each(present)('rejects invalid/%s at the offending key', (file) => {
        const errors = errorsOf(loadYaml(fs.readFileSync(path.join(invalidDir, file), 'utf8')));
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.map((e) => e.instancePath)).toContain(schemaCases[file]);
      });
    }

    const composeNames = new Set(['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml']);
    const stackFiles = fs.existsSync(awesomeDir)
      ? (fs.readdirSync(awesomeDir, { recursive: true }) as string[])
          .filter((rel) => composeNames.has(path.basename(rel)))
          .sort()
      : [];

    if (stackFiles.length === 0) {
      it.skip('awesome-compose corpus not present', () => {});
    } else {
      it.each(stackFiles)('accepts awesome-compose/%s', (rel) => {
        const doc = loadYaml(fs.readFileSync(path.join(awesomeDir, rel), 'utf8'));
        const errors = errorsOf(doc);
        expect(errors, show(errors)).toEqual([]);
      });
    }
  });
});
