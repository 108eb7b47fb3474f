/**
 * Everything loadProject rejects, and how: the semantic errors with their message and line,
 * bad input of every kind giving exactly one clear TugError with the file (never a generic
 * Error), and the corpora: files tug must reject, and real stacks it must load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StackFileError, StackInvalidError, TugError, type Diagnostic } from '../../src/errors.js';
import { loadProject, type LoadOptions } from '../../src/stack/load.js';
import { MAX_DEPTH, MAX_FILE_BYTES } from '../../src/stack/limits.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();

interface Failure {
  err: TugError;
  dir: string;
  file: string;
}

/** compose.yaml holding `text` must be rejected with a TugError. */
async function reject(text: string | Buffer, opts: Partial<LoadOptions> = {}, extra: Record<string, string> = {}): Promise<Failure> {
  const dir = makeDir({ 'compose.yaml': text, ...extra });
  let err: unknown;
  try {
    await loadProject({ cwd: dir, env: {}, ...opts });
  } catch (e) {
    err = e;
  }
  expect(err, 'the load should fail with a TugError').toBeInstanceOf(TugError);
  return { err: err as TugError, dir, file: path.join(dir, 'compose.yaml') };
}

/** The problems of a stack that must fail validation (not a file-level error). */
async function problems(text: string, opts: Partial<LoadOptions> = {}): Promise<{ list: Diagnostic[]; file: string }> {
  const { err, file } = await reject(text, opts);
  expect(err).toBeInstanceOf(StackInvalidError);
  return { list: (err as StackInvalidError).problems, file };
}

/** The only problem of a stack that must fail validation with exactly one. */
async function problem(text: string, opts: Partial<LoadOptions> = {}): Promise<{ d: Diagnostic; file: string }> {
  const { list, file } = await problems(text, opts);
  expect(list, JSON.stringify(list, null, 1)).toHaveLength(1);
  return { d: list[0]!, file };
}

/** A file-level error: one StackFileError, one diagnostic, naming the file. */
async function fileError(text: string | Buffer, code: string): Promise<{ err: StackFileError; file: string }> {
  const { err, file } = await reject(text);
  expect(err).toBeInstanceOf(StackFileError);
  expect(err.code).toBe(code);
  expect(err.diagnostics()).toHaveLength(1);
  expect(err.location?.file).toBe(file);
  return { err: err as StackFileError, file };
}

// ---------------------------------------------------------------------------------------------

describe('semantic errors', () => {
  it('depends_on an unknown service, with a did-you-mean when close', async () => {
    const { d, file } = await problem('services:\n  web:\n    image: x\n    depends_on:\n      - dbb\n  db:\n    image: postgres\n');
    expect(d.code).toBe('unknown_service');
    expect(d.message).toBe('service "web" depends on "dbb", which is not defined: did you mean "db"?');
    expect(d.location).toEqual({ file, line: 5, col: 9 });
  });

  it('depends_on an unknown service far from any name lists the defined services', async () => {
    const { d } = await problem('services:\n  web:\n    image: x\n    depends_on:\n      elasticsearch:\n        condition: service_healthy\n  db:\n    image: postgres\n');
    expect(d.message).toBe('service "web" depends on "elasticsearch", which is not defined');
    expect(d.hint).toBe('defined services: web, db');
    expect(d.location?.line).toBe(5);
  });

  it('a dependency cycle names the cycle, with line 0', async () => {
    const { d, file } = await problem('services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n');
    expect(d.code).toBe('dependency_cycle');
    expect(d.message).toBe('dependency cycle: a -> b -> a');
    expect(d.location).toEqual({ file, line: 0, col: 0 });
  });

  it('a self-dependency is a cycle of one', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    depends_on: [a]\n');
    expect(d.code).toBe('dependency_cycle');
    expect(d.message).toBe('dependency cycle: a -> a');
    expect(d.location?.line).toBe(0);
  });

  it('container_name with scale 3', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    container_name: fixed\n    scale: 3\n');
    expect(d.code).toBe('container_name_with_scale');
    expect(d.message).toBe('service "a" sets container_name "fixed" but wants 3 replicas: container names must be unique');
    expect(d.location?.line).toBe(4);
  });

  it('container_name with deploy.replicas 2 too', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    deploy:\n      replicas: 2\n    container_name: fixed\n');
    expect(d.code).toBe('container_name_with_scale');
    expect(d.location?.line).toBe(6);
  });

  it('the same host port published by two services, at the second one', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    ports: ["8080:80"]\n  b:\n    image: x\n    ports:\n      - "8080:81"\n');
    expect(d.code).toBe('host_port_conflict');
    expect(d.message).toBe('host port 8080/tcp is published twice (by service "a" and service "b")');
    expect(d.location?.line).toBe(7);
  });

  it('the same host port on two distinct host ips, or two protocols, is fine', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  a:\n    image: x\n    ports: ["127.0.0.1:8080:80", "53:53/udp"]\n  b:\n    image: x\n    ports: ["127.0.0.2:8080:80", "53:53/tcp"]\n',
    });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(Object.keys(p.services)).toEqual(['a', 'b']);
  });

  it('a wildcard host ip clashes with a specific one', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    ports: ["127.0.0.1:8080:80"]\n  b:\n    image: x\n    ports: ["8080:80"]\n');
    expect(d.code).toBe('host_port_conflict');
  });

  it('a fixed host port with scale 2', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    scale: 2\n    ports: ["8080:80"]\n');
    expect(d.code).toBe('host_port_with_scale');
    expect(d.message).toBe('service "a" publishes fixed host port 8080 but wants 2 replicas: only one can bind it');
    expect(d.location?.line).toBe(5);
  });

  it('a host port range with scale 2 is fine', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  a:\n    image: x\n    scale: 2\n    ports: ["8080-8081:80"]\n' });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(p.services.a?.scale).toBe(2);
  });

  it('cpus above hostCpus is a warning, not an error', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  a:\n    image: x\n    cpus: 8\n' });
    const warnings: Diagnostic[] = [];
    const p = await loadProject({ cwd: dir, env: {}, hostCpus: 4, onWarning: (w) => warnings.push(w) });
    expect(p.services.a?.cpus).toBe(8);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.code).toBe('cpus_above_host');
    expect(warnings[0]!.message).toBe('service "a" asks for 8 CPUs but this engine has 4');
    expect(warnings[0]!.location).toEqual({ file: path.join(dir, 'compose.yaml'), line: 4, col: 5 });
    // Without hostCpus there is nothing to compare with.
    const quiet: Diagnostic[] = [];
    await loadProject({ cwd: dir, env: {}, onWarning: (w) => quiet.push(w) });
    expect(quiet).toEqual([]);
  });

  it('an unknown network', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    networks:\n      - front\n');
    expect(d.code).toBe('undefined_network');
    expect(d.message).toBe('service "a" uses network "front", which is not declared under the top-level networks:');
    expect(d.location?.line).toBe(5);
  });

  it('an unknown named volume', async () => {
    const { d } = await problem('services:\n  a:\n    image: x\n    volumes:\n      - ./ok:/ok\n      - data:/data\n');
    expect(d.code).toBe('undefined_volume');
    expect(d.message).toBe('service "a" uses volume "data", which is not declared under the top-level volumes:');
    expect(d.location?.line).toBe(6);
  });

  it('an unknown secret and config', async () => {
    const { list } = await problems('services:\n  a:\n    image: x\n    secrets: [token]\n    configs:\n      - source: conf\n');
    expect(list.map((d) => [d.code, d.message, d.location?.line])).toEqual([
      ['undefined_secret', 'service "a" uses secret "token", which is not declared under the top-level secrets:', 4],
      ['undefined_config', 'service "a" uses config "conf", which is not declared under the top-level configs:', 6],
    ]);
  });

  it('links, volumes_from and network_mode: service:x naming unknown services', async () => {
    const { list } = await problems('services:\n  a:\n    image: x\n    links: [nope:alias]\n    volumes_from:\n      - ghost\n      - container:external\n    network_mode: service:phantom\n');
    expect(list.map((d) => [d.code, d.message, d.location?.line])).toEqual([
      ['unknown_service', 'service "a" links to "nope", which is not defined', 4],
      ['unknown_service', 'service "a" takes volumes from "ghost", which is not defined', 6],
      ['unknown_service', 'service "a" shares the network_mode of "phantom", which is not defined', 8],
    ]);
  });

  it('a service without image or build', async () => {
    const { d } = await problem('services:\n  ok:\n    image: x\n  a:\n    environment: [A=1]\n');
    expect(d.code).toBe('no_image');
    expect(d.message).toBe('service "a" has neither an image nor a build section');
    expect(d.location?.line).toBe(4);
  });

  it('several schema problems at once: each reported once, deepest path first', async () => {
    const { list, file } = await problems(
      'services:\n  web:\n    image: x\n    ports: "80"\n    command: 5\n    healthcheck:\n      tset: ["CMD", "true"]\n',
    );
    expect(list.map((d) => [d.path, d.location?.line])).toEqual([
      ['services.web.healthcheck.tset', 7],
      ['services.web.ports', 4],
      ['services.web.command', 5],
    ]);
    expect(list[0]!.message).toBe('unknown key "tset" in services.web.healthcheck: did you mean "test"?');
    expect(list[1]!.message).toBe('services.web.ports must be a list, not the string "80"');
    // Every branch of command's anyOf fails: still one problem.
    expect(list[2]!.message).toMatch(/^services\.web\.command must be .*a string.* or .*, not number 5$/);
    for (const d of list) expect(d.location?.file).toBe(file);
  });

  it('several semantic problems at once, in one error', async () => {
    const { list } = await problems(
      'services:\n  a:\n    image: x\n    depends_on: [b, zzz]\n  b:\n    image: x\n    depends_on: [a]\n    networks: [nope]\n',
    );
    expect(list.map((d) => d.code).sort()).toEqual(['dependency_cycle', 'undefined_network', 'unknown_service']);
  });
});

describe('found by fuzzing', () => {
  it('storage_opt values must be scalars: a nested value is a schema error, not a crash', async () => {
    const { d, file } = await problem('services:\n  web:\n    image: x\n    storage_opt:\n      size: 20G\n      bad:\n        - toString: 0\n');
    expect(d.path).toBe('services.web.storage_opt.bad');
    expect(d.message).toBe('services.web.storage_opt.bad must be a string, a number, a boolean or null, not a list');
    expect(d.location).toEqual({ file, line: 6, col: 7 });
  });

  it('a toString or valueOf key in a list item is an unknown key, not a crash of the uniqueness check', async () => {
    const { list, file } = await problems('services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        toString: ""\n      - target: 81\n        valueOf: 1\n');
    expect(list.map((d) => [d.code, d.message, d.location?.line])).toEqual([
      ['unknown_key', 'unknown key "toString" in services.web.ports[0]', 6],
      ['unknown_key', 'unknown key "valueOf" in services.web.ports[1]', 8],
    ]);
    expect(list[0]!.location?.file).toBe(file);
  });

  it('two list items that differ only in a toString value are not duplicates', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: x\n    x-list:\n      - toString: a\n      - toString: b\n    labels: {toString: x, valueOf: y}\n' });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(p.services.web?.labels).toEqual({ toString: 'x', valueOf: 'y' });
  });

  it('a duration given as a huge number of seconds is invalid_duration, not a crash', async () => {
    const { list } = await problems('services:\n  web:\n    image: x\n    stop_grace_period: 1e20\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1.797693134862316e+299\n');
    expect(list.map((d) => [d.code, d.message, d.location?.line])).toEqual([
      ['invalid_duration', 'services.web.stop_grace_period: invalid value 100000000000000000000: expected a duration like 30s or 1m30s', 4],
      ['invalid_duration', 'services.web.healthcheck.interval: invalid value 1.797693134862316e+299: expected a duration like 30s or 1m30s', 7],
    ]);
  });

  it('storage_opt with scalar values loads as strings', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: x\n    storage_opt:\n      size: 20G\n      n: 5\n' });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(p.services.web?.storage_opt).toEqual({ size: '20G', n: '5' });
  });
});

describe('names that are also Object.prototype members', () => {
  // A lookup such as services[name] or `name in declared` finds Object.prototype's members:
  // a reference to "constructor" must still be unknown unless the file defines it.
  it('depends_on / links / network_mode naming a prototype member are unknown services', async () => {
    const { list } = await problems(
      'services:\n  web:\n    image: x\n    depends_on: [constructor]\n    links: [hasOwnProperty]\n  b:\n    image: x\n    network_mode: service:toString\n',
    );
    expect(list.map((d) => [d.code, d.message, d.location?.line])).toEqual([
      ['unknown_service', 'service "web" depends on "constructor", which is not defined', 4],
      ['unknown_service', 'service "web" links to "hasOwnProperty", which is not defined', 5],
      ['unknown_service', 'service "b" shares the network_mode of "toString", which is not defined', 8],
    ]);
  });

  it('an optional dependency on a prototype member only warns', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: x\n    depends_on:\n      valueOf:\n        condition: service_started\n        required: false\n' });
    const warnings: Diagnostic[] = [];
    await loadProject({ cwd: dir, env: {}, onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => [w.code, w.location?.line])).toEqual([['optional_dependency_missing', 5]]);
  });

  it('networks, volumes and secrets named like prototype members must be declared', async () => {
    const { list } = await problems(
      'services:\n  web:\n    image: x\n    volumes: [constructor:/data]\n    secrets: [valueOf]\n    configs: [isPrototypeOf]\n',
    );
    expect(list.map((d) => [d.code, d.location?.line])).toEqual([
      ['undefined_volume', 4],
      ['undefined_secret', 5],
      ['undefined_config', 6],
    ]);
    // Networks are checked in the next stage, which runs once these are fixed.
    const net = await problem('services:\n  web:\n    image: x\n    networks: [toString]\n');
    expect([net.d.code, net.d.location?.line]).toEqual(['undefined_network', 4]);
  });

  it('extends of a prototype member is extends_unknown', async () => {
    const { d } = await problem('services:\n  web:\n    extends: constructor\n');
    expect(d.code).toBe('extends_unknown');
    expect(d.message).toBe('service "web" extends "constructor", which is not defined');
    expect(d.location?.line).toBe(3);
  });

  it('extra_hosts with host names like prototype members (found by fuzzing)', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  web:\n    image: x\n    extra_hosts:\n      toString: 1.2.3.4\n      constructor: ["5.6.7.8", "::1"]\n  api:\n    image: x\n    extra_hosts: ["valueOf=9.9.9.9", "valueOf:8.8.8.8"]\n',
    });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(p.services.web?.extra_hosts).toEqual({ toString: ['1.2.3.4'], constructor: ['5.6.7.8', '::1'] });
    expect(p.services.api?.extra_hosts).toEqual({ valueOf: ['9.9.9.9', '8.8.8.8'] });
  });

  it('an included service or network named like a prototype member is included, not a conflict', async () => {
    const dir = makeDir({
      'compose.yaml': 'include: [other.yaml]\nservices:\n  web:\n    image: x\n    depends_on: [constructor]\n    networks: [toString]\n',
      'other.yaml': 'services:\n  constructor:\n    image: y\nnetworks:\n  toString: {}\n',
    });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(Object.keys(p.services).sort()).toEqual(['constructor', 'web']);
    expect(Object.keys(p.networks)).toEqual(['toString', 'default']);
  });

  it('a variable named like a prototype member is unset unless defined', async () => {
    const dir = makeDir({
      'compose.yaml': 'services:\n  web:\n    image: "x${constructor}"\n    environment:\n      A: "${toString:-dflt}"\n      B: "${valueOf}"\n      hasOwnProperty:\n',
      '.env': 'C=${constructor}\nvalueOf=set\n',
    });
    const warnings: Diagnostic[] = [];
    const p = await loadProject({ cwd: dir, env: {}, onWarning: (w) => warnings.push(w) });
    expect(p.services.web?.image).toBe('x');
    expect(p.services.web?.environment).toEqual({ A: 'dflt', B: 'set', hasOwnProperty: null });
    expect(warnings.map((w) => [w.code, w.location?.line])).toEqual([['unset_variable', 3]]);
  });

  it('a service really named constructor works', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  constructor:\n    image: x\n  web:\n    extends: constructor\n    depends_on: [constructor]\n' });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(Object.keys(p.services)).toEqual(['constructor', 'web']);
    expect(p.services.web?.image).toBe('x');
  });

  it('a __proto__ key is refused at its line, not silently dropped', async () => {
    const { err, file } = await reject('services:\n  web:\n    image: x\n    environment:\n      A: "1"\n      __proto__: x\n');
    expect(err).toBeInstanceOf(StackFileError);
    expect(err.code).toBe('unsupported_key');
    expect(err.message).toContain('__proto__');
    expect(err.location).toEqual({ file, line: 6, col: 7 });
  });

  it('so is a __proto__ item of a K=V list, in every list that becomes a mapping', async () => {
    const { err, file } = await reject(
      'services:\n  web:\n    image: x\n    environment:\n      - A=1\n      - __proto__=x\n    labels: [ok=1, __proto__]\n' +
      '    command: ["echo", "__proto__=fine as an argument"]\n    build:\n      context: .\n      args: ["__proto__=y"]\n',
    );
    expect(err).toBeInstanceOf(StackInvalidError);
    const problems = (err as StackInvalidError).problems;
    expect(problems.map((p) => [p.code, p.path, p.location?.line])).toEqual([
      ['unsupported_key', 'services.web.environment[1]', 6],
      ['unsupported_key', 'services.web.labels[1]', 7],
      ['unsupported_key', 'services.web.build.args[0]', 11],
    ]);
    expect(problems[0]!.location?.file).toBe(file);
  });
});

describe('bad input: one clear error naming the file', () => {
  it('a YAML syntax error, with its line', async () => {
    const { err, file } = await fileError('services:\n  web:\n    image: x\n   bad: indent\n', 'yaml_syntax');
    expect(err.message).toMatch(/^invalid YAML: /);
    expect(err.location).toEqual({ file, line: 4, col: 1 });
  });

  it('an unclosed flow sequence, with its line', async () => {
    const { err } = await fileError('services:\n  web:\n    image: x\n    ports: ["80:80"\n', 'yaml_syntax');
    expect(err.location?.line).toBeGreaterThanOrEqual(4);
  });

  // An unreadable file (mode 000): test/e2e/unreadable.test.ts, which runs the CLI as a user
  // that is not root (root reads anything).

  it('a missing file', async () => {
    const dir = makeDir({ 'compose.yaml': 'services:\n  web:\n    image: x\n' });
    const err = await loadProject({ cwd: dir, files: ['compose.yaml', 'missing.yaml'], env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackFileError);
    expect((err as StackFileError).code).toBe('file_not_found');
    expect((err as StackFileError).message).toBe(`stack file not found: ${path.join(dir, 'missing.yaml')}`);
    expect((err as StackFileError).location?.file).toBe(path.join(dir, 'missing.yaml'));
  });

  it('a directory passed as a file', async () => {
    const dir = makeDir({ 'sub/compose.yaml': 'services:\n  web:\n    image: x\n' });
    const err = await loadProject({ cwd: dir, files: ['sub'], env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackFileError);
    expect((err as StackFileError).code).toBe('file_is_directory');
    expect((err as StackFileError).message).toBe(`${path.join(dir, 'sub')} is a directory, not a stack file`);
    expect((err as StackFileError).hint).toContain('/compose.yaml');
  });

  it('binary garbage (random bytes with a NUL)', async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    bytes[100] = 0;
    const { err, file } = await fileError(bytes, 'file_binary');
    expect(err.message).toBe(`${file} is not a text file (it contains NUL bytes)`);
  });

  it('invalid UTF-8 without a NUL', async () => {
    const { err, file } = await fileError(Buffer.from('services:\n  web:\n    image: caf\xe9\n', 'latin1'), 'file_binary');
    expect(err.message).toBe(`${file} is not valid UTF-8 text`);
  });

  it('a UTF-8 byte order mark is fine', async () => {
    const dir = makeDir({ 'compose.yaml': '\ufeffservices:\n  web:\n    image: x\n' });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(p.services.web?.image).toBe('x');
  });

  it('an empty file', async () => {
    const { err, file } = await fileError('', 'file_empty');
    expect(err.message).toBe(`${file} is empty`);
  });

  it('a file with only comments and blank lines', async () => {
    await fileError('# nothing\n\n   # at all\n', 'file_empty');
  });

  it('a top-level scalar', async () => {
    const { err, file } = await fileError('\nhello world\n', 'top_level_not_mapping');
    expect(err.message).toBe('the top level of a stack file must be a mapping (services:, networks:, ...)');
    expect(err.location).toEqual({ file, line: 2, col: 1 });
  });

  it('a top-level list', async () => {
    const { err } = await fileError('- services\n- web\n', 'top_level_not_mapping');
    expect(err.location?.line).toBe(1);
  });

  it('duplicate keys, at the duplicate', async () => {
    const { err, file } = await fileError('services:\n  web:\n    image: x\n    image: y\n', 'yaml_syntax');
    expect(err.message).toBe('invalid YAML: the key "image" appears twice in the same mapping');
    expect(err.location).toEqual({ file, line: 4, col: 5 });
  });

  it('duplicate service names', async () => {
    const { err } = await fileError('services:\n  web:\n    image: x\n  db:\n    image: y\n  web:\n    image: z\n', 'yaml_syntax');
    expect(err.location?.line).toBe(6);
  });

  it('an unknown alias', async () => {
    const { err } = await fileError('services:\n  web:\n    image: x\n    environment: *nope\n', 'yaml_syntax');
    expect(err.message).toContain('nope');
    expect(err.location?.line).toBe(4);
  });

  it('a mapping or a list as a key is refused at its line', async () => {
    const { err, file } = await fileError('services:\n  web:\n    image: x\n? [a, b]\n: 1\n', 'invalid_key');
    expect(err.message).toBe('invalid YAML: a key must be a plain value, not a mapping or a list');
    expect(err.location).toEqual({ file, line: 4, col: 3 });
  });

  it('a complex key holding a bad merge (found by fuzzing) is refused, not a crash', async () => {
    const { err } = await fileError('x-a: &a 1\nservices:\n  ? <<: *a\n  : web\n', 'invalid_key');
    expect(err.location?.line).toBe(3);
  });

  it('a complex key made of aliases is refused without expanding them', async () => {
    // The anchors live inside the key, so only walking the key itself could expand them.
    const anchors = ['&a [' + Array(10).fill('"lol"').join(',') + ']'];
    for (let i = 1; i < 9; i++) {
      anchors.push(`&${String.fromCharCode(97 + i)} [${Array(10).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
    }
    const start = Date.now();
    const { err } = await fileError(`services:\n  web:\n    image: x\n? [${anchors.join(', ')}]\n: boom\n`, 'invalid_key');
    expect(err.location?.line).toBe(4);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('an alias to a scalar is a fine key', async () => {
    const dir = makeDir({ 'compose.yaml': 'x-name: &n web\nservices:\n  *n :\n    image: x\n' });
    const p = await loadProject({ cwd: dir, env: {} });
    expect(Object.keys(p.services)).toEqual(['web']);
  });

  it('an alias bomb, quickly', async () => {
    const lines = ['a: &a [' + Array(10).fill('"lol"').join(',') + ']'];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const prev = String.fromCharCode(96 + i);
      lines.push(`${name}: &${name} [${Array(10).fill('*' + prev).join(',')}]`);
    }
    const start = Date.now();
    const { err, file } = await fileError(lines.join('\n') + '\n', 'yaml_alias_bomb');
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(err.message).toMatch(/alias bomb/);
    expect(err.location).toEqual({ file, line: 0, col: 0 });
  });

  it('a file over the size limit', async () => {
    const { err, file } = await fileError(`x-big: "${'a'.repeat(MAX_FILE_BYTES)}"\n`, 'file_too_large');
    expect(err.message).toBe(`${file} is ${MAX_FILE_BYTES + 10} bytes; stack files are limited to ${MAX_FILE_BYTES}`);
  });

  it('stdin over the size limit', async () => {
    const dir = makeDir();
    const err = await loadProject({ cwd: dir, files: ['-'], env: {}, readStdin: async () => 'x: ' + 'a'.repeat(MAX_FILE_BYTES) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackFileError);
    expect((err as StackFileError).code).toBe('file_too_large');
    expect((err as StackFileError).location?.file).toBe('<stdin>');
  });

  it('nesting deeper than the limit (flow)', async () => {
    const n = MAX_DEPTH + 50;
    const { err, file } = await fileError(`services:\n  web:\n    image: x\nx-deep: ${'['.repeat(n)}${']'.repeat(n)}\n`, 'yaml_too_deep');
    expect(err.message).toBe(`YAML nesting is deeper than ${MAX_DEPTH} levels`);
    expect(err.location?.file).toBe(file);
    expect(err.location?.line).toBe(4);
  });

  it('nesting deeper than the limit (block)', async () => {
    const n = MAX_DEPTH + 10;
    const text = 'x-deep:\n' + Array.from({ length: n }, (_, i) => ' '.repeat(i + 1) + 'k:').join('\n') + ' 1\n';
    const { err } = await fileError(text, 'yaml_too_deep');
    expect(err.location?.line).toBeGreaterThan(MAX_DEPTH - 5);
    expect(err.location?.line).toBeLessThanOrEqual(n + 1);
  });

  it('nesting just under the limit loads', async () => {
    const n = 50;
    const dir = makeDir({ 'compose.yaml': `services:\n  web:\n    image: x\nx-deep: ${'['.repeat(n)}${']'.repeat(n)}\n` });
    await expect(loadProject({ cwd: dir, env: {} })).resolves.toBeTruthy();
  });

  it('a bad file among several -f files names that file', async () => {
    const dir = makeDir({ 'a.yaml': 'services:\n  web:\n    image: x\n', 'b.yaml': 'services:\n  web:\n    image: y\n   bad: indent\n' });
    const err = await loadProject({ cwd: dir, files: ['a.yaml', 'b.yaml'], env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackFileError);
    expect((err as StackFileError).code).toBe('yaml_syntax');
    expect((err as StackFileError).location).toEqual({ file: path.join(dir, 'b.yaml'), line: 4, col: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Corpora

const corpusRoot = path.resolve(import.meta.dirname, '../../../shared/corpus');
const invalidDir = path.join(corpusRoot, 'invalid');
const awesomeDir = path.join(corpusRoot, 'awesome-compose');

const EXPECT = /^#\s*expect-line:\s*(\d+)\s+expect-text:\s*(.+?)\s*$/;

/** Loads one invalid-corpus file and checks it is rejected as its first line says. */
async function checkInvalidCase(file: string): Promise<void> {
  const first = fs.readFileSync(file, 'utf8').split(/\r?\n/, 1)[0] ?? '';
  const m = EXPECT.exec(first);
  expect(m, `${file}: first line must be "# expect-line: N expect-text: S"`).not.toBeNull();
  const line = Number(m![1]);
  const text = m![2]!;
  let err: unknown;
  try {
    await loadProject({ cwd: path.dirname(file), files: [file], env: {} });
  } catch (e) {
    err = e;
  }
  expect(err, `${path.basename(file)} must be rejected`).toBeInstanceOf(TugError);
  const d = (err as TugError).diagnostics()[0];
  expect(d, 'at least one diagnostic').toBeDefined();
  expect(d!.location?.line, `${path.basename(file)}: ${d!.message}`).toBe(line);
  expect(d!.message.toLowerCase()).toContain(text.toLowerCase());
}

function walk(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).map((f) => path.join(dir, f)).sort();
}

describe('the invalid-corpus harness itself', () => {
  it('accepts a case that fails as announced, and refuses one that does not', async () => {
    const dir = makeDir({
      'good.yaml': '# expect-line: 5 expect-text: Did You Mean "DB"\nservices:\n  web:\n    image: x\n    depends_on: [dbb]\n  db:\n    image: y\n',
      'wrong-line.yaml': '# expect-line: 2 expect-text: did you mean\nservices:\n  web:\n    image: x\n    depends_on: [dbb]\n  db:\n    image: y\n',
      'valid.yaml': '# expect-line: 0 expect-text: anything\nservices:\n  web:\n    image: x\n',
    });
    await checkInvalidCase(path.join(dir, 'good.yaml'));
    await expect(checkInvalidCase(path.join(dir, 'wrong-line.yaml'))).rejects.toThrow();
    await expect(checkInvalidCase(path.join(dir, 'valid.yaml'))).rejects.toThrow(/must be rejected/);
  });
});

const invalidCases = fs.existsSync(invalidDir) ? walk(invalidDir).filter((f) => f.endsWith('.yaml')) : [];

describe.skipIf(invalidCases.length === 0)('invalid corpus: every file is rejected at the announced line', () => {
  it.each(invalidCases.map((f) => [path.relative(invalidDir, f), f]))('%s', async (_name, file) => {
    await checkInvalidCase(file);
  });
});

const COMPOSE_FILE = /^(compose|docker-compose)\.ya?ml$|\.yaml$/;
const awesomeFiles = fs.existsSync(awesomeDir) ? walk(awesomeDir).filter((f) => COMPOSE_FILE.test(path.basename(f))) : [];

describe.skipIf(awesomeFiles.length === 0)('awesome-compose corpus: every stack loads', () => {
  it('has stacks', () => expect(awesomeFiles.length).toBeGreaterThan(20));

  it.each(awesomeFiles.map((f) => [path.relative(awesomeDir, f), f]))('%s', async (_name, file) => {
    const warnings: Diagnostic[] = [];
    const project = await loadProject({ cwd: path.dirname(file), files: [file], env: {}, onWarning: (w) => warnings.push(w) });
    expect(Object.keys(project.services).length).toBeGreaterThan(0);
    expect(project.working_dir).toBe(path.dirname(file));
    // Where the folder has a .env, it is what fills the variables.
    if (fs.existsSync(path.join(path.dirname(file), '.env'))) {
      expect(warnings.filter((w) => w.code === 'unset_variable')).toEqual([]);
    }
    for (const svc of Object.values(project.services)) {
      for (const v of svc.volumes) if (v.type === 'bind') expect(path.isAbsolute(v.source ?? '')).toBe(true);
      if (svc.build) expect(path.isAbsolute(svc.build.context) || /^[a-z]+:\/\//.test(svc.build.context)).toBe(true);
    }
  });

  it('.env next to the stack is used (pihole-cloudflared-DoH)', async () => {
    const file = path.join(awesomeDir, 'pihole-cloudflared-DoH/compose.yaml');
    if (!fs.existsSync(file)) return;
    const project = await loadProject({ cwd: path.dirname(file), files: [file], env: {} });
    expect(project.services.pihole?.environment.TZ).toBe('Etc/UTC');
    expect(project.services.pihole?.environment.WEBPASSWORD).toBe('changeit');
  });
});
