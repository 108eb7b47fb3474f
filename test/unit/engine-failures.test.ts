/**
 * Engine failures as tug errors: the engine's words classified (Docker 20.10 to 28 and Podman
 * phrasings), placed on the service and line of the key that asked for what failed, the
 * summary of a failed up, and one abort listener per long-lived signal however many wait.
 */
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineApiError, bindSource, classifyRefusal } from '../../src/engine/api-error.js';
import { TugError, ExitCode } from '../../src/errors.js';
import { placeFailure, ServiceError } from '../../src/run/failure-site.js';
import { formatUpSummary } from '../../src/run/up-summary.js';
import { loadProject } from '../../src/stack/load.js';
import { abortable, childSignal, onAbort } from '../../src/util/abortable.js';
import { tempDirs } from '../support.js';

const dirs = tempDirs();

describe('classifyRefusal', () => {
  it.each([
    ['invalid mount config for type "bind": bind source path does not exist: /srv/data', 'bind_source_invalid', '/srv/data'],
    ['OCI runtime create failed: error mounting "/etc/hostname" to rootfs at "/etc": not a directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type', 'bind_source_invalid', '/etc/hostname'],
    ["error while creating mount source path '/ro/x': mkdir /ro/x: read-only file system", 'bind_source_invalid', '/ro/x'],
    ['statfs /srv/missing: no such file or directory', 'bind_source_invalid', '/srv/missing'],
    ['failed to register layer: write /usr/lib/x.so: no space left on device', 'no_space', undefined],
    ['could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', 'address_pools_exhausted', undefined],
  ])('%s → %s', (message, code, source) => {
    const r = classifyRefusal(400, message);
    expect(r?.code).toBe(code);
    expect(r?.exitCode).toBe(ExitCode.serviceFailed);
    expect(bindSource(message)).toBe(source);
    if (source) expect(r?.hint).toContain(`the host path ${source} must exist`);
  });

  it('leaves an unknown refusal unclassified (exit 1, a bug until known)', () => {
    expect(classifyRefusal(500, 'something else entirely')).toBeUndefined();
  });
});

describe('placeFailure', () => {
  const yaml = [
    'services:',
    '  web:',
    '    image: example/web:1',
    '    container_name: the-web',
    '    ports:',
    '      - "8080:80"',
    '      - target: 443',
    '        published: "8443"',
    '    volumes:',
    '      - ./cache:/cache',
    '      - /srv/data:/data',
    '',
  ].join('\n');

  async function project() {
    const dir = dirs({ 'compose.yaml': yaml });
    return { p: await loadProject({ cwd: dir, env: {} }), file: join(dir, 'compose.yaml') };
  }

  const placed = (err: unknown): ServiceError => {
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  };

  it('a port in use: the ports entry that publishes it, short or long syntax, without the engine\'s ids', async () => {
    const { p, file } = await project();
    const short = placed(placeFailure(p, 'web', new EngineApiError(
      'starting container 39c3f49e34f0: driver failed programming external connectivity on endpoint x (6bb32ba82da0): Bind for 0.0.0.0:8080 failed: port is already allocated', 500)));
    expect(short.code).toBe('port_allocated');
    expect(short.exitCode).toBe(ExitCode.serviceFailed);
    expect(short.location).toMatchObject({ file, line: 6 });
    expect(short.message).toBe('service "web" cannot start: host port 8080 is already in use (engine: Bind for 0.0.0.0:8080 failed: port is already allocated)');
    const long = placed(placeFailure(p, 'web', new EngineApiError('listen tcp4 0.0.0.0:8443: bind: address already in use', 500)));
    expect(long.location).toMatchObject({ file, line: 7 });
  });

  it('a name held by another container: the container_name line', async () => {
    const { p } = await project();
    const e = placed(placeFailure(p, 'web', new EngineApiError('Conflict. The container name "/the-web" is already in use by container "0123456789ab0123"', 409)));
    expect(e.code).toBe('name_conflict');
    expect(e.location?.line).toBe(4);
  });

  it('a bad bind source: the volume entry naming that host path', async () => {
    const { p } = await project();
    const e = placed(placeFailure(p, 'web', new EngineApiError('creating container x: invalid mount config for type "bind": bind source path does not exist: /srv/data', 400)));
    expect(e.code).toBe('bind_source_invalid');
    expect(e.location?.line).toBe(11);
    expect(e.message).toMatch(/^service "web" cannot be created: /);
  });

  it('an image the registry does not have: the image line; an unreachable registry is told apart', async () => {
    const { p } = await project();
    const missing = placed(placeFailure(p, 'web', new TugError('pull_failed', 'pulling example/web:1: manifest for example/web:1 not found: manifest unknown: manifest unknown', { exitCode: ExitCode.serviceFailed })));
    expect(missing.code).toBe('image_not_found');
    expect(missing.location?.line).toBe(3);
    const offline = placed(placeFailure(p, 'web', new TugError('pull_failed', 'pulling example/web:1: dial tcp: lookup registry-1.docker.io: no such host', { exitCode: ExitCode.serviceFailed })));
    expect(offline.code).toBe('pull_failed');
    expect(offline.hint).toMatch(/cannot be reached/);
  });

  it('a pull the registry denies: image_not_found at the image line; no space left: the service, exit 5', async () => {
    const { p } = await project();
    const denied = placed(placeFailure(p, 'web', new TugError('pull_failed',
      "pulling example/web:1: pull access denied for example/web, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
      { exitCode: ExitCode.serviceFailed })));
    expect([denied.code, denied.location?.line, denied.exitCode]).toEqual(['image_not_found', 3, ExitCode.serviceFailed]);
    expect(denied.hint).toContain('docker login');
    const full = placed(placeFailure(p, 'web', new EngineApiError('failed to register layer: write /usr/lib/x.so: no space left on device', 500)));
    expect([full.code, full.location?.line, full.exitCode]).toEqual(['no_space', 2, ExitCode.serviceFailed]);
    expect(full.message).toMatch(/^service "web": the engine has no space left on its disk/);
  });

  it('leaves what it cannot place as it is', async () => {
    const { p } = await project();
    const other = new TugError('internal', 'boom');
    expect(placeFailure(p, 'web', other)).toBe(other);
    expect(placeFailure(p, 'nosuch', new EngineApiError('no space left on device', 500))).toBeInstanceOf(EngineApiError);
  });
});

describe('formatUpSummary', () => {
  it('one line of counts, then each service where it ended', () => {
    expect(formatUpSummary({
      up: ['db', 'cache'],
      failed: [{ service: 'web', code: 'port_allocated', at: 'compose.yaml:11:9', message: 'service "web" cannot start: host port 80 is already in use\n  more' }],
      notStarted: [{ service: 'worker', waitingOn: ['web'] }, { service: 'cron', waitingOn: [] }],
    })).toBe([
      'summary: 2 up, 1 failed, 2 never started',
      '  up:            db, cache',
      '  failed:        web at compose.yaml:11:9 (port_allocated: cannot start: host port 80 is already in use)',
      '  never started: worker (waits for web)',
      '  never started: cron',
      '',
    ].join('\n'));
  });
});

describe('onAbort', () => {
  it('gives a signal one listener however many wait on it, and reaches each of them', () => {
    const ctl = new AbortController();
    const children = Array.from({ length: 50 }, () => childSignal(ctl.signal));
    const waits = Array.from({ length: 50 }, () => abortable(ctl.signal, () => {}, () => {}).catch((e: unknown) => e));
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(1);
    children[0]!.release();
    ctl.abort(new Error('stop'));
    expect(children[0]!.signal.aborted).toBe(false);
    expect(children.slice(1).every((c) => c.signal.aborted && (c.signal.reason as Error).message === 'stop')).toBe(true);
    return Promise.all(waits).then((rs) => expect(rs.every((r) => (r as Error).message === 'stop')).toBe(true));
  });

  it('forgets a callback once released, and calls it at once on a signal already aborted', () => {
    const ctl = new AbortController();
    let calls = 0;
    const forget = onAbort(ctl.signal, () => calls++);
    forget();
    ctl.abort();
    expect(calls).toBe(0);
    onAbort(ctl.signal, () => calls++);
    expect(calls).toBe(1);
  });
});
