/**
 * A shell script written for `docker compose` (config's listings through jq and awk, a
 * --dry-run before the real `up`, ps and ls as JSON through jq and as a template, ps
 * --services, a flag tug lacks), run with `docker compose` replaced by tug, gets the answers
 * Compose v2's documentation shows.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, e2eScope, IMAGE } from './helpers.js';
import { listContainers } from '../../src/run/observe.js';

const run = promisify(execFile);
const scope = e2eScope({
  setup: async () => {
    dir = await scope.stack(STACK, { '.env': 'DB_PASSWORD=secret\n' });
  },
});
const { engine } = scope;
const project = scope.project('script');
let dir: string;

const STACK = `
name: ${project}
services:
  web:
    image: \${WEB_IMAGE:-${IMAGE}}
    init: true
    command: ["sleep", "600"]
    depends_on: [db]
  db:
    image: ${IMAGE}
    init: true
    command: ["sleep", "600"]
    environment:
      PASSWORD: \${DB_PASSWORD:?set it}
`;

// As a user's deploy script would write it; `compose` is the only line that names the tool.
const SCRIPT = `
set -euo pipefail
compose() { node ${JSON.stringify(BIN)} "$@"; }
echo "services: $(compose config --services | tr '\\n' ' ')"
echo "images: $(compose config --images | sort -u | tr '\\n' ' ')"
echo "required: $(compose config --variables --format json | jq -r 'to_entries[] | select(.value.Required) | .key')"
echo "web image: $(compose config --format json | jq -r '.services.web.image')"
planned=$(compose --dry-run up -d 2>&1 | grep -c 'DRY-RUN MODE -  Container .* Created')
echo "planned creates: $planned"
echo "running after dry run: $(docker ps -q --filter label=com.docker.compose.project=${project} | wc -l)"
compose up -d --quiet-pull 2>/dev/null
echo "running after up: $(docker ps -q --filter label=com.docker.compose.project=${project} | wc -l)"
echo "ps services: $(compose ps --services | sort | tr '\n' ' ')"
echo "ps json: $(compose ps --format json | jq -r '.Service + "=" + .State' | sort | tr '\n' ' ')"
echo "ls json: $(compose ls --format json | jq -r '.[] | select(.Name == "${project}") | .Status')"
echo "ps name template: $(compose ps --format '{{.Name}}' | sort | tr '\n' ' ')"
set +e
compose up -d --menu 2>/tmp/${project}.err
echo "unsupported flag exit: $? ($(head -1 /tmp/${project}.err))"
`;

describe('a script written for docker compose, run against tug', () => {
  it('gets Compose\'s answers', async () => {
    const { stdout } = await run('bash', ['-c', SCRIPT], { cwd: dir, env: cliEnv() });
    expect(stdout.split('\n')).toEqual([
      'services: db web ',
      `images: ${IMAGE} `,
      'required: DB_PASSWORD',
      `web image: ${IMAGE}`,
      'planned creates: 2',
      'running after dry run: 0',
      'running after up: 2',
      'ps services: db web ',
      'ps json: db=running web=running ',
      'ls json: running(2)',
      `ps name template: ${project}-db-1 ${project}-web-1 `,
      'unsupported flag exit: 2 (error: tug does not support --menu of docker compose up)',
      '',
    ]);
    expect((await listContainers(engine, { project })).map((c) => c.service).sort()).toEqual(['db', 'web']);
  });
});
