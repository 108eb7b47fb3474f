/**
 * Which engine tug talks to and how: the docker CLI's precedence (--context, --host,
 * DOCKER_HOST, DOCKER_CONTEXT, currentContext), its context store read from a temp
 * DOCKER_CONFIG, TLS settings, the refusal of plain tcp:// to another machine, ssh:// URLs and
 * the ssh transport (a stand-in `ssh` joining its stdin/stdout to a stub engine's socket), and
 * the warning for relative bind mounts on a remote engine. The real thing, over TLS and ssh to
 * an engine in another network namespace, is test/e2e/remote.test.ts.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { contextId, resolveHost, selectEngine } from '../../src/engine/connect.js';
import { dockerEngine } from '../../src/engine/docker/engine.js';
import { parseSshUrl, sshArgs } from '../../src/engine/docker/ssh.js';
import { containerSpec } from '../../src/engine/request/index.js';
import { isLoopback, isRemoteHost } from '../../src/engine/target.js';
import { EngineUnreachableError } from '../../src/errors.js';
import type { Project, Service } from '../../src/stack/model.js';
import { makeService } from '../support.js';

const dirs: string[] = [];
const temp = (what: string): string => {
  const d = mkdtempSync(join(tmpdir(), `tug-${what}-`));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => selectEngine({}));

/** A DOCKER_CONFIG as the docker CLI leaves it: config.json and contexts written by `docker context create`. */
function dockerConfig(opts: { current?: string; contexts?: Record<string, { host?: string; skipTLSVerify?: boolean; tls?: ('ca' | 'cert' | 'key')[] }> } = {}): string {
  const dir = temp('docker-config');
  if (opts.current !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: {}, currentContext: opts.current }));
  for (const [name, c] of Object.entries(opts.contexts ?? {})) {
    const id = contextId(name);
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({
      Name: name, Metadata: { Description: '' },
      Endpoints: { docker: { ...(c.host !== undefined ? { Host: c.host } : {}), SkipTLSVerify: c.skipTLSVerify ?? false } },
    }));
    if (c.tls?.length) {
      mkdirSync(join(dir, 'contexts', 'tls', id, 'docker'), { recursive: true });
      for (const f of c.tls) writeFileSync(join(dir, 'contexts', 'tls', id, 'docker', `${f}.pem`), `${f}\n`);
    }
  }
  return dir;
}

describe('which engine: the docker CLI\'s precedence', () => {
  const config = dockerConfig({
    current: 'cur',
    contexts: {
      cur: { host: 'tcp://current.example:2376', tls: ['ca', 'cert', 'key'] },
      envctx: { host: 'ssh://me@envctx.example' },
      flag: { host: 'unix:///run/flag.sock' },
    },
  });
  const env = (extra: Record<string, string> = {}) => ({ DOCKER_CONFIG: config, ...extra });

  it('the context store\'s directory is the sha256 of the name', () => {
    expect(contextId('default')).toBe('37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f');
  });

  it('config.json\'s currentContext when nothing else says', () => {
    const t = resolveHost({}, env());
    expect(t).toMatchObject({ host: 'tcp://current.example:2376', source: 'context', context: { name: 'cur', from: 'currentContext' } });
    expect(t.tls).toEqual({ verify: true, ...Object.fromEntries(['ca', 'cert', 'key'].map((k) => [k, join(config, 'contexts', 'tls', contextId('cur'), 'docker', `${k}.pem`)])) });
    expect(t.problem).toBeUndefined();
  });

  it('DOCKER_CONTEXT over currentContext', () => {
    expect(resolveHost({}, env({ DOCKER_CONTEXT: 'envctx' }))).toMatchObject({ host: 'ssh://me@envctx.example', context: { name: 'envctx', from: 'DOCKER_CONTEXT' } });
  });

  it('DOCKER_HOST over DOCKER_CONTEXT and currentContext', () => {
    expect(resolveHost({}, env({ DOCKER_HOST: 'unix:///run/x.sock', DOCKER_CONTEXT: 'envctx' }))).toEqual({ host: 'unix:///run/x.sock', source: 'env' });
  });

  it('--host over DOCKER_HOST and every context', () => {
    expect(resolveHost({ host: 'unix:///run/opt.sock' }, env({ DOCKER_HOST: 'unix:///run/x.sock', DOCKER_CONTEXT: 'envctx' })))
      .toEqual({ host: 'unix:///run/opt.sock', source: 'option' });
  });

  it('--context over DOCKER_HOST and DOCKER_CONTEXT', () => {
    expect(resolveHost({ context: 'flag' }, env({ DOCKER_HOST: 'unix:///run/x.sock', DOCKER_CONTEXT: 'envctx' })))
      .toMatchObject({ host: 'unix:///run/flag.sock', source: 'context', context: { name: 'flag', from: '--context' } });
  });

  it('the choice of the global options (selectEngine) applies to every later resolution, the lock\'s too', () => {
    selectEngine({ context: 'flag' });
    expect(resolveHost({}, env({ DOCKER_HOST: 'unix:///run/x.sock' })).host).toBe('unix:///run/flag.sock');
    selectEngine({ host: 'unix:///run/opt.sock' });
    expect(resolveHost({}, env()).host).toBe('unix:///run/opt.sock');
  });

  it('--host with --context is a conflict', () => {
    expect(resolveHost({ host: 'unix:///a.sock', context: 'flag' }, env()).problem?.message).toMatch(/conflicting options/);
  });

  it('the context named default is the default engine', () => {
    expect(resolveHost({ context: 'default' }, env({ DOCKER_HOST: 'unix:///run/x.sock' }))).toEqual({ host: 'unix:///run/x.sock', source: 'env' });
    expect(resolveHost({}, env({ DOCKER_CONTEXT: 'default' })).source).toBe('default');
  });

  it('an unknown context is reported on first use, not thrown', () => {
    const t = resolveHost({}, env({ DOCKER_CONTEXT: 'nope' }));
    expect(t.problem?.message).toBe('Docker context "nope" does not exist (named by DOCKER_CONTEXT=nope)');
    expect(t.problem?.hint).toMatch(/docker context ls/);
  });

  it('a context without a host is the default socket; an unreadable one is reported', () => {
    const cfg = dockerConfig({ contexts: { empty: {} } });
    expect(resolveHost({ context: 'empty' }, { DOCKER_CONFIG: cfg }).host).toBe('unix:///var/run/docker.sock');
    writeFileSync(join(cfg, 'contexts', 'meta', contextId('empty'), 'meta.json'), '{not json');
    expect(resolveHost({ context: 'empty' }, { DOCKER_CONFIG: cfg }).problem?.message).toMatch(/cannot read Docker context "empty"/);
  });

  it('an unreadable config.json counts as no current context', () => {
    const cfg = temp('bad-config');
    writeFileSync(join(cfg, 'config.json'), '{');
    expect(resolveHost({}, { DOCKER_CONFIG: cfg, HOME: cfg }).source).toBe('default');
  });
});

describe('TLS and plain TCP', () => {
  const certs = temp('certs');
  for (const f of ['ca', 'cert', 'key']) writeFileSync(join(certs, `${f}.pem`), f);
  const noConfig = { DOCKER_CONFIG: temp('empty-config') };

  it('DOCKER_TLS_VERIFY: TLS, verified, with the files in DOCKER_CERT_PATH', () => {
    const t = resolveHost({}, { ...noConfig, DOCKER_HOST: 'tcp://10.1.2.3:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
    expect(t.tls).toEqual({ verify: true, ca: join(certs, 'ca.pem'), cert: join(certs, 'cert.pem'), key: join(certs, 'key.pem') });
    expect(t.problem).toBeUndefined();
  });

  it('DOCKER_TLS_VERIFY without a CA file is refused with where it looked', () => {
    const t = resolveHost({}, { ...noConfig, DOCKER_HOST: 'tcp://10.1.2.3:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: noConfig.DOCKER_CONFIG });
    expect(t.problem?.message).toMatch(/DOCKER_TLS_VERIFY is set, but there is no CA certificate/);
  });

  it('DOCKER_TLS alone: TLS without verification; port 2376: TLS', () => {
    expect(resolveHost({}, { ...noConfig, DOCKER_HOST: 'tcp://10.1.2.3:9999', DOCKER_TLS: '1', DOCKER_CERT_PATH: certs }).tls?.verify).toBe(false);
    expect(resolveHost({}, { ...noConfig, DOCKER_HOST: 'tcp://10.1.2.3:2376' }).tls).toEqual({ verify: true });
  });

  it('a context\'s SkipTLSVerify is TLS without verification; without TLS material it is plain', () => {
    const cfg = dockerConfig({ contexts: { skip: { host: 'tcp://10.1.2.3:2376', skipTLSVerify: true }, plain: { host: 'tcp://127.0.0.1:2375' } } });
    expect(resolveHost({ context: 'skip' }, { DOCKER_CONFIG: cfg }).tls).toEqual({ verify: false });
    expect(resolveHost({ context: 'plain' }, { DOCKER_CONFIG: cfg })).toEqual({ host: 'tcp://127.0.0.1:2375', source: 'context', context: { name: 'plain', from: '--context' } });
  });

  it('plain tcp:// to another machine is refused unless --insecure; loopback is not', () => {
    for (const host of ['tcp://10.1.2.3:2375', '10.1.2.3:2375', 'http://engine.lan']) {
      const t = resolveHost({}, { ...noConfig, DOCKER_HOST: host });
      expect(t.problem?.message, host).toMatch(/^refusing to talk to the Docker engine at .* without TLS/);
      expect(t.problem?.hint).toMatch(/--insecure/);
      expect(resolveHost({ insecure: true }, { ...noConfig, DOCKER_HOST: host }).problem, host).toBeUndefined();
    }
    for (const host of ['tcp://127.0.0.1:2375', 'tcp://localhost:2375', 'tcp://[::1]:2375', 'unix:///x.sock', 'ssh://me@far.example']) {
      expect(resolveHost({}, { ...noConfig, DOCKER_HOST: host }).problem, host).toBeUndefined();
    }
    const cfg = dockerConfig({ contexts: { far: { host: 'tcp://far.example:2375' } } });
    expect(resolveHost({ context: 'far' }, { DOCKER_CONFIG: cfg }).problem?.hint).toMatch(/docker context update far/);
  });

  it('the refusal is exit code 4 on the first call', async () => {
    const engine = dockerEngine(resolveHost({}, { ...noConfig, DOCKER_HOST: 'tcp://10.1.2.3:2375' }));
    const err = await engine.system.info().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineUnreachableError);
    expect((err as EngineUnreachableError).exitCode).toBe(4);
  });
});

describe('local and remote addresses', () => {
  it('loopback', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', 'a.localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', '::2']) expect(isLoopback(h), h).toBe(false);
  });

  it('remote: tcp:// and ssh:// to another machine', () => {
    for (const h of ['tcp://10.0.0.1:2376', 'ssh://me@host', 'ssh://host:2222/run/docker.sock', 'https://engine.lan']) expect(isRemoteHost(h), h).toBe(true);
    for (const h of ['unix:///var/run/docker.sock', 'npipe:////./pipe/docker_engine', 'tcp://127.0.0.1:2375', 'ssh://me@localhost', 'context://x']) expect(isRemoteHost(h), h).toBe(false);
  });
});

describe('ssh:// URLs, as the docker CLI reads them', () => {
  it('user, port and a socket path become ssh arguments and the remote command', () => {
    expect(sshArgs(parseSshUrl('ssh://me@host.lan'))).toEqual(['-l', 'me', '-o', 'ConnectTimeout=30', '-T', '--', 'host.lan', 'docker system dial-stdio']);
    expect(sshArgs(parseSshUrl('ssh://host.lan:2222/run/user/1000/docker.sock')))
      .toEqual(['-p', '2222', '-o', 'ConnectTimeout=30', '-T', '--', 'host.lan', 'docker --host=unix:///run/user/1000/docker.sock system dial-stdio']);
    expect(parseSshUrl('ssh://[fe80::1]:22').host).toBe('fe80::1');
  });

  it('refuses what the docker CLI refuses, and what could become an ssh option or shell code', () => {
    expect(() => parseSshUrl('ssh://me:secret@host')).toThrow(/password is not supported/);
    expect(() => parseSshUrl('ssh://host?x=1')).toThrow(/query parameters/);
    expect(() => parseSshUrl('ssh://host#x')).toThrow(/fragments/);
    expect(() => parseSshUrl('ssh://-oProxyCommand=x@host')).toThrow(/not allowed/);
    expect(() => parseSshUrl('ssh://host/run/$(reboot).sock')).toThrow(/socket path/);
  });
});

describe('the ssh transport', () => {
  let server: Server;
  let bin: string;
  let sock: string;
  const savedPath = process.env.PATH;
  const calls: string[] = [];

  beforeAll(async () => {
    const dir = temp('ssh-stub');
    sock = join(dir, 'engine.sock');
    server = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      if (req.url === '/_ping') {
        res.writeHead(200, { 'Api-Version': '1.41' });
        return void res.end('OK');
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ NCPU: 2, MemTotal: 1, ServerVersion: '20.10' }));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    // A stand-in for ssh: logs its arguments, then does what `docker system dial-stdio` does
    // on the far side (stdin/stdout joined to the engine's socket) - or fails as ssh does.
    bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh
echo "$*" >> ${join(dir, 'ssh.log')}
case "$*" in *unknown.example*) echo "Host key verification failed." >&2; exit 255;; esac
exec ${process.execPath} -e 'const s=require("net").connect(process.argv[1]);process.stdin.pipe(s);s.pipe(process.stdout);s.on("close",()=>process.exit(0))' ${sock}
`);
    chmodSync(join(bin, 'ssh'), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
  });

  afterAll(async () => {
    process.env.PATH = savedPath;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('speaks HTTP through `ssh ... docker system dial-stdio`, reusing connections', async () => {
    const engine = dockerEngine({ host: 'ssh://me@far.example:2222', source: 'env' });
    expect(await engine.system.apiVersion()).toBe('1.41');
    // More requests at once than connections are set up at once (4), then more in sequence.
    await Promise.all(Array.from({ length: 10 }, () => engine.system.info()));
    for (let i = 0; i < 5; i++) await engine.system.info();
    expect(calls.filter((c) => c === 'GET /v1.41/info')).toHaveLength(15);
    const log = readFileSync(join(bin, '..', 'ssh.log'), 'utf8').trim().split('\n');
    expect(log[0]).toBe('-l me -p 2222 -o ConnectTimeout=30 -T -- far.example docker system dial-stdio');
    // Kept-alive connections are reused: far fewer ssh processes than requests.
    expect(log.length).toBeLessThanOrEqual(11);
  });

  it('ssh\'s failure is exit code 4 with its words and a hint', async () => {
    const engine = dockerEngine({ host: 'ssh://me@unknown.example', source: 'env' });
    const err = await engine.system.info().catch((e: unknown) => e) as EngineUnreachableError;
    expect(err).toBeInstanceOf(EngineUnreachableError);
    expect(err.exitCode).toBe(4);
    expect(err.message).toBe('cannot reach the Docker engine at ssh://me@unknown.example over ssh: ssh exited with code 255: Host key verification failed.');
    expect(err.hint).toMatch(/known_hosts/);
  });
});

describe('bind mounts on a remote engine', () => {
  const project = (services: Service[]): Project => ({
    name: 'shop', working_dir: '/src/shop', config_files: ['/src/shop/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])), disabled_services: {},
    networks: { default: { name: 'shop_default' } }, volumes: {}, configs: {},
    secrets: { key: { name: 'shop_key', file: '/src/shop/secrets/key.txt' } }, profiles: [],
  });
  const web = makeService('web', {
    image: 'nginx',
    volumes: [
      { type: 'bind', source: '/src/shop/html', target: '/usr/share/nginx/html' },
      { type: 'bind', source: '/src/shop/conf', target: '/etc/nginx/conf.d', bind: { create_host_path: true } },
      { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
    ],
    secrets: [{ source: 'key' }],
  });
  const warnings = (remoteEngine?: string) => containerSpec(project([web]), web,
    { number: 1, apiVersion: '1.41', hash: 'h', resolveContainer: (s) => s, version: '0', remoteEngine }).warnings;

  it('paths in the project directory (relative in the file) are warned about; absolute ones elsewhere are meant for that machine', () => {
    const w = warnings('ssh://me@far.example');
    expect(w).toHaveLength(3);
    expect(w[0]).toBe('service "web": bind mount of /usr/share/nginx/html from ./html names /src/shop/html on the engine\'s machine (ssh://me@far.example), not on this one: '
      + 'the files there are mounted, or an empty directory is made. Copy the files there, or use a volume');
    expect(w[1]).toMatch(/bind mount of \/etc\/nginx\/conf.d from \.\/conf/);
    expect(w[2]).toMatch(/secret "key" \(a file, bind-mounted\) from \.\/secrets\/key.txt/);
  });

  it('nothing on a local engine', () => {
    expect(warnings(undefined)).toEqual([]);
  });
});
