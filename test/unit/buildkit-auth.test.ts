/**
 * Registry credentials on the BuildKit session: the look-up in the docker config, in the docker
 * CLI's order (a host's credHelpers entry, the credsStore, the auths entry), with a real
 * `docker-credential-*` program on PATH; and the session's Auth service answering BuildKit's
 * `Credentials` call over HTTP/2 with what the look-up found.
 *
 * The end-to-end proof, a FROM on a registry that challenges for credentials and receives
 * the config's, is in test/e2e/buildkit.test.ts (a registry of the test's own: the shared one
 * at 10.213.0.1:5000 asks for none).
 */
import { chmodSync } from 'node:fs';
import http2 from 'node:http2';
import { createServer, Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialLookupError, lookupCredentials, type HelperRunner } from '../../src/engine/docker/buildkit/auth.js';
import { codec } from '../../src/engine/docker/buildkit/proto.js';
import { openSession } from '../../src/engine/docker/buildkit/session.js';
import type { DockerClient } from '../../src/engine/docker/client.js';
import { tempDirs } from '../support.js';

const makeDir = tempDirs();
const b64 = (s: string) => Buffer.from(s).toString('base64');
const configDir = (config: unknown) => makeDir({ 'config.json': JSON.stringify(config) });

describe('registry credentials from the docker config', () => {
  it('reads an auths entry\'s base64 user:password, the password keeping its colons', async () => {
    const dir = configDir({ auths: { 'reg.example:5000': { auth: b64('alice:pa:ss') }, other: { auth: b64('bob:x') } } });
    expect(await lookupCredentials('reg.example:5000', { configDir: dir })).toEqual({ username: 'alice', secret: 'pa:ss' });
  });

  it('hands an identity token over as the secret, with no user name', async () => {
    const dir = configDir({ auths: { 'reg.example': { auth: b64('alice:pw'), identitytoken: 'tok-123' } } });
    expect(await lookupCredentials('reg.example', { configDir: dir })).toEqual({ username: '', secret: 'tok-123' });
  });

  it('answers Docker Hub\'s registry host from the entry `docker login` writes for the Hub', async () => {
    const dir = configDir({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpw') } } });
    expect(await lookupCredentials('registry-1.docker.io', { configDir: dir })).toEqual({ username: 'hubuser', secret: 'hubpw' });
  });

  it('finds an old-style key (scheme and path) by its host', async () => {
    const dir = configDir({ auths: { 'https://reg.example:5000/v1/': { username: 'u', password: 'p' } } });
    expect(await lookupCredentials('reg.example:5000', { configDir: dir })).toEqual({ username: 'u', secret: 'p' });
  });

  it('is anonymous for a host with no entry, an entry without credentials, or no config file', async () => {
    const dir = configDir({ auths: { 'reg.example': { auth: b64('alice:pw') }, empty: {} } });
    expect(await lookupCredentials('elsewhere.example', { configDir: dir })).toEqual({ username: '', secret: '' });
    expect(await lookupCredentials('empty', { configDir: dir })).toEqual({ username: '', secret: '' });
    expect(await lookupCredentials('reg.example', { configDir: makeDir() })).toEqual({ username: '', secret: '' });
  });

  it('refuses an unreadable config or a malformed auth with the file named, rather than pulling anonymously', async () => {
    const dir = makeDir({ 'config.json': '{ not json' });
    await expect(lookupCredentials('reg.example', { configDir: dir })).rejects.toThrow(path.join(dir, 'config.json'));
    const bad = configDir({ auths: { 'reg.example': { auth: b64('no-colon-here') } } });
    await expect(lookupCredentials('reg.example', { configDir: bad })).rejects.toBeInstanceOf(CredentialLookupError);
  });

  it('asks a host\'s credHelpers entry before the credsStore, and either before auths', async () => {
    const asked: string[] = [];
    const runHelper: HelperRunner = async (helper, host) => {
      asked.push(`${helper} ${host}`);
      return JSON.stringify({ ServerURL: host, Username: `${helper}-user`, Secret: `${helper}-secret` });
    };
    const dir = configDir({
      credsStore: 'store', credHelpers: { 'special.example': 'special' }, auths: { 'special.example': { auth: b64('file:pw') } },
    });
    expect(await lookupCredentials('special.example', { configDir: dir, runHelper })).toEqual({ username: 'special-user', secret: 'special-secret' });
    expect(await lookupCredentials('reg.example', { configDir: dir, runHelper })).toEqual({ username: 'store-user', secret: 'store-secret' });
    expect(asked).toEqual(['special special.example', 'store reg.example']);
  });

  it('treats a helper\'s "credentials not found" as anonymous and its `<token>` user as an identity token; other failures are errors', async () => {
    const dir = configDir({ credsStore: 'store' });
    const notFound: HelperRunner = async () => {
      throw new Error('credentials not found in native keychain');
    };
    expect(await lookupCredentials('reg.example', { configDir: dir, runHelper: notFound })).toEqual({ username: '', secret: '' });
    const token: HelperRunner = async () => JSON.stringify({ Username: '<token>', Secret: 'id-token' });
    expect(await lookupCredentials('reg.example', { configDir: dir, runHelper: token })).toEqual({ username: '', secret: 'id-token' });
    const broken: HelperRunner = async () => {
      throw new Error('the keychain is locked');
    };
    await expect(lookupCredentials('reg.example', { configDir: dir, runHelper: broken })).rejects.toThrow('docker-credential-store get reg.example: the keychain is locked');
  });

  describe('with a real docker-credential-* program on PATH', () => {
    const savedPath = process.env.PATH;
    afterEach(() => {
      process.env.PATH = savedPath;
    });

    it('runs `docker-credential-<name> get` with the host on stdin and reads its JSON', async () => {
      const bin = makeDir({
        // Answers for reg.example only, as a real helper does, and says so otherwise.
        'docker-credential-tugtest': '#!/bin/sh\nread host\nif [ "$host" = reg.example ]; then\n' +
          '  printf \'{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pw"}\' "$host"\n' +
          'else\n  echo "credentials not found in native keychain"; exit 1\nfi\n',
      });
      chmodSync(path.join(bin, 'docker-credential-tugtest'), 0o755);
      process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
      const dir = configDir({ credsStore: 'tugtest' });
      expect(await lookupCredentials('reg.example', { configDir: dir })).toEqual({ username: 'helper-user', secret: 'helper-pw' });
      expect(await lookupCredentials('elsewhere.example', { configDir: dir })).toEqual({ username: '', secret: '' });
    });

    it('names a helper that is not installed', async () => {
      const dir = configDir({ credsStore: 'tug-no-such-helper' });
      await expect(lookupCredentials('reg.example', { configDir: dir })).rejects.toThrow('docker-credential-tug-no-such-helper is not on PATH');
    });
  });
});

describe('the session\'s Auth service', () => {
  const savedConfig = process.env.DOCKER_CONFIG;
  afterEach(() => {
    if (savedConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedConfig;
  });

  /**
   * Opens a session over a local socket in place of the engine's `/session`, and calls
   * `Credentials` on it as BuildKit does: gRPC over HTTP/2, tug being the server.
   */
  async function askCredentials(host: string): Promise<{ status: string | undefined; message?: string; body?: { Username: string; Secret: string } }> {
    const dir = makeDir();
    const sockPath = path.join(dir, 'session.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((s) => {
        server.close();
        resolve(s);
      });
      server.listen(sockPath);
    });
    const client = { dial: async () => new Promise<Socket>((resolve) => {
      const s = new Socket();
      s.connect(sockPath, () => resolve(s));
    }) } as unknown as DockerClient;
    const session = await openSession(client);
    const engineSide = await accepted;
    const h2 = http2.connect('http://session', { createConnection: () => engineSide });
    try {
      const c = codec<{ Host: string }, { Username: string; Secret: string }>('CredentialsRequest', 'CredentialsResponse');
      const msg = c.requestSerialize({ Host: host });
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), msg]);
      frame.writeUInt32BE(msg.length, 1);
      const req = h2.request({ ':method': 'POST', ':path': '/moby.filesync.v1.Auth/Credentials', 'content-type': 'application/grpc', te: 'trailers' });
      req.end(frame);
      const chunks: Buffer[] = [];
      let trailers: http2.IncomingHttpHeaders = {};
      // A failed call answers "trailers-only": its status is in the response's headers.
      req.on('response', (h) => (trailers = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', (d: Buffer) => chunks.push(d));
      await new Promise((resolve) => req.on('end', resolve));
      const data = Buffer.concat(chunks);
      const status = trailers['grpc-status'] as string | undefined;
      const message = trailers['grpc-message'] ? decodeURIComponent(String(trailers['grpc-message'])) : undefined;
      return { status, message, ...(data.length ? { body: c.responseDeserialize(data.subarray(5)) } : {}) };
    } finally {
      h2.close();
      session.close();
    }
  }

  it('answers BuildKit\'s Credentials call with the docker config\'s entry for the host, anonymously for others', async () => {
    process.env.DOCKER_CONFIG = configDir({ auths: { 'reg.example:5000': { auth: b64('alice:s3cret') } } });
    expect(await askCredentials('reg.example:5000')).toEqual({ status: '0', message: 'OK', body: { Username: 'alice', Secret: 's3cret' } });
    expect(await askCredentials('other.example')).toEqual({ status: '0', message: 'OK', body: { Username: '', Secret: '' } });
  });

  it('fails the call with the reason when the config cannot be read', async () => {
    process.env.DOCKER_CONFIG = makeDir({ 'config.json': '{ broken' });
    const r = await askCredentials('reg.example');
    expect(r.status).not.toBe('0');
    expect(r.message).toContain('config.json');
  });
});
