/**
 * Remote engines, reached as users reach them: a second Docker Engine "on another machine"
 * (remote-engine.sh: a dockerd in the network namespace tugrm at 10.214.0.2) over TCP with TLS
 * client certificates, over SSH (the system's ssh and `docker system dial-stdio` there), and
 * through a Docker context made by the docker CLI itself. Each drives a stack with a built
 * image, a healthcheck and a relative bind mount through `up --wait`, `ps`, `logs` and `down`;
 * what the remote engine holds is checked with the docker CLI on its socket, not through tug.
 * Wrong certificates, an unknown host key and plain TCP fail with exit code 4 and a hint.
 *
 * ssh reads ~ from the password database, not $HOME, so the CLI runs with a PATH whose `ssh` is
 * a wrapper adding `-F` with the test's config (its key, its known_hosts).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { contextId } from '../../src/engine/connect.js';
import { LABEL } from '../../src/labels.js';
import { ROOT, ensureCli, rand, removeDir, setupOnce, tug, type CliResult } from './helpers.js';

const run = promisify(execFile);
const SCRIPT = join(ROOT, 'test', 'e2e', 'remote-engine.sh');
const STATE = '/run/tugrm';
const IP = '10.214.0.2';
const TLS_HOST = `tcp://${IP}:2376`;
const SSH_HOST = `ssh://root@${IP}:2222`;
/** The remote engine's own socket, for observing it without tug. */
const REMOTE = `unix://${STATE}/docker.sock`;
const CONTEXT = 'tugrm-tls';

/** A docker config dir of the test's own, so that the runner's ~/.docker cannot steer tug. */
const dockerConfig = mkdtempSync(join(tmpdir(), 'tug-remote-docker-'));
const emptyConfig = mkdtempSync(join(tmpdir(), 'tug-remote-empty-'));
const base = { DOCKER_HOST: '', DOCKER_CONTEXT: '', DOCKER_TLS_VERIFY: '', DOCKER_TLS: '', DOCKER_CERT_PATH: '', DOCKER_CONFIG: emptyConfig };
const withSsh = (kind: 'known' | 'unknown') => `${STATE}/bin-${kind}:${process.env.PATH}`;

const said = (r: CliResult): string => `exit ${r.code} after ${r.ms} ms\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

async function rdocker(args: string[]): Promise<string> {
  return (await run('docker', ['-H', REMOTE, ...args], { encoding: 'utf8' })).stdout;
}

/** Containers of a project on the remote engine, or on this machine's, as `name state` lines. */
async function containersOf(project: string, host = REMOTE): Promise<string[]> {
  const { stdout } = await run('docker', ['-H', host, 'ps', '-a', '--filter', `label=${LABEL.project}=${project}`, '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' });
  return stdout.split('\n').filter(Boolean).sort();
}

setupOnce(async () => {
  await ensureCli();
  await run('bash', [SCRIPT, 'up'], { encoding: 'utf8', timeout: 150_000 });
  // The context is made by the docker CLI, so tug reads the store as the docker CLI writes it.
  await run('docker', ['--config', dockerConfig, 'context', 'create', CONTEXT, '--docker',
    `host=${TLS_HOST},ca=${STATE}/tls/ca.pem,cert=${STATE}/tls/cert.pem,key=${STATE}/tls/key.pem`], { encoding: 'utf8' });
}, 180_000);

afterAll(async () => {
  await run('bash', [SCRIPT, 'down'], { encoding: 'utf8', timeout: 120_000 }).catch((e: unknown) => console.error(e));
  await removeDir(dockerConfig);
  await removeDir(emptyConfig);
}, 150_000);

function stack(project: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tug-remote-'));
  mkdirSync(join(dir, 'web'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'note.txt'), 'bound\n');
  writeFileSync(join(dir, 'web', 'index.html'), `built-for-${project}\n`);
  writeFileSync(join(dir, 'web', 'Dockerfile'), 'FROM busybox:latest\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n');
  writeFileSync(join(dir, 'compose.yaml'), `
name: ${project}
services:
  web:
    build: ./web
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 30
  worker:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "wget -q -O- http://web:8080/; echo remote-worker-up; exec sleep 300"]
    stop_grace_period: 2s
    volumes:
      - ./data:/data:ro
    depends_on:
      web: { condition: service_healthy }
`);
  return dir;
}

/** The same stack, up, listed, logged and down, through one way of naming the remote engine. */
const transports: { name: string; args: string[]; env: () => NodeJS.ProcessEnv }[] = [
  { name: 'tcp:// with TLS client certificates', args: [], env: () => ({ ...base, DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${STATE}/tls` }) },
  { name: 'ssh:// through the system ssh', args: [], env: () => ({ ...base, DOCKER_HOST: SSH_HOST, PATH: withSsh('known') }) },
  { name: 'a Docker context (--context) pointing at the TLS endpoint', args: ['--context', CONTEXT], env: () => ({ ...base, DOCKER_CONFIG: dockerConfig }) },
];

describe.each(transports)('the remote engine through $name', ({ args, env }) => {
  it('up --wait builds there, then ps, logs and down; relative bind mounts are warned about', async () => {
    const project = `tuge2e-remote-${rand()}`;
    const dir = stack(project);
    const t = (a: string[], timeoutMs = 120_000) => tug([...args, ...a], dir, { env: env(), timeoutMs });
    try {
      const up = await t(['up', '--wait', '--progress', 'plain']);
      expect(up.code, said(up)).toBe(0);
      expect(up.stderr).toMatch(/bind mount of \/data from \.\/data names \S+ on the engine's machine/);

      // On the remote engine, and not on this machine's.
      expect(await containersOf(project)).toEqual([`${project}-web-1 running`, `${project}-worker-1 running`]);
      expect(await containersOf(project, 'unix:///var/run/docker.sock')).toEqual([]);
      // The build context went over the wire: the file is in the image built there.
      expect(await rdocker(['exec', `${project}-web-1`, 'cat', '/www/index.html'])).toBe(`built-for-${project}\n`);

      const ps = await t(['ps']);
      expect(ps.code, said(ps)).toBe(0);
      expect(ps.stdout).toMatch(new RegExp(`${project}-web-1\\s+web\\s+running\\s+healthy`));
      expect(ps.stdout).toMatch(new RegExp(`${project}-worker-1\\s+worker\\s+running`));

      const logs = await t(['logs', '--no-color', 'worker']);
      expect(logs.code, said(logs)).toBe(0);
      expect(logs.stdout).toContain(`built-for-${project}`);
      expect(logs.stdout).toContain('remote-worker-up');

      const down = await t(['down']);
      expect(down.code, said(down)).toBe(0);
      expect(await containersOf(project)).toEqual([]);
    } finally {
      await run('docker', ['-H', REMOTE, 'ps', '-aq', '--filter', `label=${LABEL.project}=${project}`], { encoding: 'utf8' })
        .then(({ stdout }) => stdout.split('\n').filter(Boolean))
        .then((ids) => (ids.length ? rdocker(['rm', '-f', ...ids]) : ''))
        .catch(() => {});
      await removeDir(dir);
    }
  }, 240_000);
});

describe('which engine, as the docker CLI picks it', () => {
  const project = `tuge2e-remote-pick-${rand()}`;
  let dir: string;
  const ctxEnv = (extra: NodeJS.ProcessEnv = {}) => ({ ...base, DOCKER_CONFIG: dockerConfig, ...extra });
  /** Whether `tug ps` run with this environment sees the project (which runs on the remote engine only). */
  const sees = async (env: NodeJS.ProcessEnv, args: string[] = []): Promise<boolean> => {
    const r = await tug([...args, 'ps', '-a'], dir, { env });
    expect(r.code, said(r)).toBe(0);
    return r.stdout.includes(`${project}-worker-1`);
  };

  it('DOCKER_CONTEXT, currentContext, --context over DOCKER_HOST, DOCKER_HOST over DOCKER_CONTEXT, an ssh:// socket path', async () => {
    dir = stack(project);
    try {
      const up = await tug(['--context', CONTEXT, 'up', '-d', '--no-deps', 'worker'], dir, { env: ctxEnv(), timeoutMs: 120_000 });
      expect(up.code, said(up)).toBe(0);

      expect(await sees(ctxEnv({ DOCKER_CONTEXT: CONTEXT }))).toBe(true);
      expect(await sees(ctxEnv())).toBe(false); // no context in force: the local engine
      // `docker context use` writes config.json's currentContext.
      await run('docker', ['--config', dockerConfig, 'context', 'use', CONTEXT]);
      try {
        expect(JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')).currentContext).toBe(CONTEXT);
        expect(await sees(ctxEnv())).toBe(true);
        // DOCKER_HOST wins over the current context and DOCKER_CONTEXT...
        expect(await sees(ctxEnv({ DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_CONTEXT: CONTEXT }))).toBe(false);
        // ...and --context over DOCKER_HOST; DOCKER_CONTEXT=default is the local engine.
        expect(await sees(ctxEnv({ DOCKER_HOST: 'unix:///var/run/docker.sock' }), ['--context', CONTEXT])).toBe(true);
        expect(await sees(ctxEnv({ DOCKER_CONTEXT: 'default' }))).toBe(false);
      } finally {
        await run('docker', ['--config', dockerConfig, 'context', 'use', 'default']);
      }
      // A socket path in the ssh:// URL: `docker --host=unix://PATH system dial-stdio` there.
      expect(await sees({ ...base, DOCKER_HOST: `${SSH_HOST}${STATE}/docker.sock`, PATH: withSsh('known') })).toBe(true);

      const down = await tug(['--context', CONTEXT, 'down'], dir, { env: ctxEnv(), timeoutMs: 60_000 });
      expect(down.code, said(down)).toBe(0);
    } finally {
      await removeDir(dir);
    }
  }, 180_000);
});

describe('refusals, exit code 4 with the fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tug-remote-refuse-'));
  writeFileSync(join(dir, 'compose.yaml'), 'name: tuge2e-remote-refuse\nservices:\n  a:\n    image: busybox:latest\n');
  afterAll(() => removeDir(dir));
  const ps = (env: NodeJS.ProcessEnv, args: string[] = []) => tug([...args, 'ps'], dir, { env: { ...base, ...env }, timeoutMs: 60_000 });

  it('a CA that did not sign the engine\'s certificate', async () => {
    const r = await ps({ DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${STATE}/wrong-ca` });
    expect(r.code, said(r)).toBe(4);
    expect(r.stderr).toMatch(/presented a certificate tug does not trust/);
    expect(r.stderr).toMatch(/hint: ca\.pem in DOCKER_CERT_PATH .* must be the CA that signed the engine's certificate/);
  });

  it('a client certificate the engine\'s CA did not sign', async () => {
    const r = await ps({ DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${STATE}/wrong-client` });
    expect(r.code, said(r)).toBe(4);
    expect(r.stderr).toMatch(/TLS with the Docker engine at tcp:\/\/10\.214\.0\.2:2376 failed/);
    expect(r.stderr).toMatch(/hint: the engine refused tug's client certificate/);
  });

  it('no client certificate at all', async () => {
    const onlyCa = mkdtempSync(join(tmpdir(), 'tug-remote-ca-'));
    writeFileSync(join(onlyCa, 'ca.pem'), readFileSync(`${STATE}/tls/ca.pem`));
    try {
      const r = await ps({ DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: onlyCa });
      expect(r.code, said(r)).toBe(4);
      expect(r.stderr).toMatch(/hint: the engine refused tug's client certificate/);
    } finally {
      await removeDir(onlyCa);
    }
  });

  it('DOCKER_TLS_VERIFY without a CA', async () => {
    const r = await ps({ DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: emptyConfig });
    expect(r.code, said(r)).toBe(4);
    expect(r.stderr).toMatch(/DOCKER_TLS_VERIFY is set, but there is no CA certificate/);
    expect(r.stderr).toMatch(/hint: set DOCKER_CERT_PATH/);
  });

  it('an unknown ssh host key', async () => {
    const r = await ps({ DOCKER_HOST: SSH_HOST, PATH: withSsh('unknown') });
    expect(r.code, said(r)).toBe(4);
    expect(r.stderr).toMatch(/over ssh: ssh exited with code 255: Host key verification failed/);
    expect(r.stderr).toMatch(/hint: ssh does not know 10\.214\.0\.2's host key .*known_hosts/);
  });

  it('plain tcp:// to another machine, unless --insecure', async () => {
    const r = await ps({ DOCKER_HOST: `tcp://${IP}:2375` });
    expect(r.code, said(r)).toBe(4);
    expect(r.stderr).toMatch(/refusing to talk to the Docker engine at tcp:\/\/10\.214\.0\.2:2375 without TLS/);
    expect(r.stderr).toMatch(/hint: .*DOCKER_TLS_VERIFY=1.*ssh:\/\/user@10\.214\.0\.2.*--insecure/);
    // With --insecure tug tries: nothing listens there without TLS, so it cannot reach it.
    const anyway = await ps({ DOCKER_HOST: `tcp://${IP}:2375` }, ['--insecure']);
    expect(anyway.code, said(anyway)).toBe(4);
    expect(anyway.stderr).toMatch(/cannot reach the Docker engine at tcp:\/\/10\.214\.0\.2:2375: connect ECONNREFUSED/);
  });

  it('a context that does not exist, and --host with --context', async () => {
    const r = await ps({ DOCKER_CONFIG: dockerConfig, DOCKER_CONTEXT: 'no-such-context' });
    expect(r.code, said(r)).toBe(4);
    expect(r.stderr).toMatch(/Docker context "no-such-context" does not exist \(named by DOCKER_CONTEXT=no-such-context\)/);
    expect(r.stderr).toMatch(/hint: docker context ls/);
    const both = await ps({}, ['--host', TLS_HOST, '--context', CONTEXT]);
    expect(both.code, said(both)).toBe(2);
    expect(both.stderr).toMatch(/conflicting options/);
  });

  it('the context store is the docker CLI\'s: meta.json under sha256(name)', () => {
    const meta = JSON.parse(readFileSync(join(dockerConfig, 'contexts', 'meta', contextId(CONTEXT), 'meta.json'), 'utf8'));
    expect(meta.Endpoints.docker.Host).toBe(TLS_HOST);
  });
});
