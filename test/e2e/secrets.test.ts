/**
 * Secrets and configs reach the container from each kind of source: a file (bind-mounted
 * read-only), inline content and an environment variable (both copied in after create,
 * before start, with the mode asked for).
 */
import { describe, expect, it } from 'vitest';
import { up, type UpResult } from '../../src/run/up.js';
import { IMAGE, docker, dockerExec, e2eScope, load } from './helpers.js';

const scope = e2eScope({
  cli: false,
  setup: async () => {
    dir = await scope.stack(STACK, {
      'db_password.txt': 's3cret\n',
      'settings.ini': '[a]\nb=1\n',
      // Set only in the project's .env: read at load time, as compose-go does, not from the process.
      '.env': 'TUG_E2E_FROM_DOTENV=value-from-dotenv\n',
    });
    process.env.TUG_E2E_TOKEN = 'token-from-env';
    result = await up(engine, await load(dir), {});
  },
  beforeCleanup: async () => {
    delete process.env.TUG_E2E_TOKEN;
  },
});
const { engine } = scope;
const project = scope.project('secrets');

const STACK = `
name: ${project}
services:
  app:
    image: ${IMAGE}
    init: true
    command: ["sleep", "300"]
    secrets:
      - db_password
      - source: api_token
        target: token
        mode: 0400
    configs:
      - source: app_conf
        target: /etc/app.conf
      - settings
      - source: from_dotenv
        target: /etc/dotenv.conf
secrets:
  db_password:
    file: ./db_password.txt
  api_token:
    environment: TUG_E2E_TOKEN
configs:
  app_conf:
    content: |
      listen 8080
  settings:
    file: ./settings.ini
  from_dotenv:
    environment: TUG_E2E_FROM_DOTENV
`;

let dir: string;
let result: UpResult;

describe('secrets and configs', () => {
  const id = () => result.containers.app![0]!.id;

  it('mounts a file secret read-only at /run/secrets/<name>', async () => {
    expect(await dockerExec(id(), 'cat /run/secrets/db_password')).toBe('s3cret\n');
    const write = await docker(['exec', id(), 'sh', '-c', 'echo x > /run/secrets/db_password'], { allowFail: true });
    expect(write.code).not.toBe(0);
  });

  it('copies an environment secret in, at a relative target under /run/secrets, with its mode', async () => {
    expect(await dockerExec(id(), 'cat /run/secrets/token')).toBe('token-from-env');
    expect((await dockerExec(id(), 'stat -c %a /run/secrets/token')).trim()).toBe('400');
  });

  it('copies a config whose variable is set only in .env', async () => {
    expect(await dockerExec(id(), 'cat /etc/dotenv.conf')).toBe('value-from-dotenv');
  });

  it('copies inline config content to its target, and mounts a file config at /<name>', async () => {
    expect(await dockerExec(id(), 'cat /etc/app.conf')).toBe('listen 8080\n');
    expect(await dockerExec(id(), 'cat /settings')).toBe('[a]\nb=1\n');
  });
});
