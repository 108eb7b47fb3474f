/**
 * Registry credentials for the engine's BuildKit, as the docker CLI answers them on its build
 * session: from the docker config ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), so
 * that a `FROM` of a private image pulls with what `docker login` stored.
 *
 * Where the docker CLI looks, in its order: a `credHelpers` entry for the host, else the
 * `credsStore`, each through its `docker-credential-<name> get` program; else the `auths`
 * entry for the host (its `auth` field is base64 `user:password`; an `identitytoken` is
 * handed over as the secret, with no user name). Docker Hub's registry host asks for the
 * `https://index.docker.io/v1/` entry, under which `docker login` stores Hub credentials.
 * A host nobody stored credentials for is answered anonymously (empty), never an error.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerConfigDir } from '../../docker-config.js';

export interface RegistryCredentials {
  username: string;
  secret: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Runs `docker-credential-<helper> get` with the host on stdin; resolves with its stdout. */
export type HelperRunner = (helper: string, host: string) => Promise<string>;

/** The host BuildKit asks for Docker Hub, and the key `docker login` stores Hub credentials under. */
const HUB_HOST = 'registry-1.docker.io';
const HUB_KEY = 'https://index.docker.io/v1/';

/** What a credential helper prints when it holds nothing for the host: anonymous, not a failure. */
const NOT_FOUND = /credentials not found/i;

const ANONYMOUS: RegistryCredentials = { username: '', secret: '' };

export class CredentialLookupError extends Error {}

/** `https://host:5000/v1/` → `host:5000`: how an old-style `auths` key names its host. */
export function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0]!;
}

function fromEntry(e: AuthEntry | undefined): RegistryCredentials | undefined {
  if (!e) return undefined;
  if (e.identitytoken) return { username: '', secret: e.identitytoken };
  let { username = '', password = '' } = e;
  if (e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new CredentialLookupError('an auths entry of the docker config has an "auth" that is not base64 user:password');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return username || password ? { username, secret: password } : undefined;
}

/** The credentials the docker config holds for `host` (as BuildKit names it), or anonymous ones. */
export async function lookupCredentials(
  host: string, opts: { configDir?: string; runHelper?: HelperRunner } = {},
): Promise<RegistryCredentials> {
  const key = host === HUB_HOST ? HUB_KEY : host;
  const file = join(opts.configDir ?? dockerConfigDir(), 'config.json');
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as DockerConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ANONYMOUS;
    throw new CredentialLookupError(`reading ${file}: ${(e as Error).message}`);
  }
  if (config === null || typeof config !== 'object') return ANONYMOUS;
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  if (helper) return fromHelper(helper, key, opts.runHelper ?? runCredentialHelper);
  const auths = config.auths ?? {};
  // An exact key first, then old-style keys (`https://host/v1/`) that name the same host.
  const entry = auths[key] ?? Object.entries(auths).find(([k]) => hostOf(k) === key)?.[1];
  return fromEntry(entry) ?? ANONYMOUS;
}

async function fromHelper(helper: string, host: string, run: HelperRunner): Promise<RegistryCredentials> {
  let out: string;
  try {
    out = await run(helper, host);
  } catch (e) {
    if (NOT_FOUND.test((e as Error).message)) return ANONYMOUS;
    throw new CredentialLookupError(`docker-credential-${helper} get ${host}: ${(e as Error).message.trim()}`);
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    throw new CredentialLookupError(`docker-credential-${helper} get ${host} printed no JSON`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  // A helper stores an identity token under the user name `<token>`.
  return username === '<token>' ? { username: '', secret } : { username, secret };
}

/** The helper program, as the docker CLI runs it: the host on stdin, JSON on stdout. */
const runCredentialHelper: HelperRunner = (helper, host) =>
  new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        const why = (stdout || stderr).trim() || ((err as NodeJS.ErrnoException).code === 'ENOENT' ? `docker-credential-${helper} is not on PATH` : err.message);
        reject(new Error(why));
      } else resolve(stdout);
    });
    child.stdin?.end(host);
  });
