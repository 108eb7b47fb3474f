/**
 * A vitest globalSetup: the webapp example comes up, healthy, before the first test file runs
 * and goes away (volumes too) after the last, even when tests fail. Tests read the web
 * service's address with `inject('webUrl')`.
 *
 *   // vitest.config.ts
 *   export default defineConfig({ test: { globalSetup: ['examples/api/global-setup.ts'] } });
 */
import { fileURLToPath } from 'node:url';
import { ps, startStack } from 'tug';
// In scope for the augmentation below, which types what `inject('webUrl')` returns.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    webUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startStack({
    files: [fileURLToPath(new URL('../webapp/compose.yaml', import.meta.url))],
    // Not the file's own name, so a developer's running `webapp` stack is left alone.
    projectName: 'webapp-test',
    wait: true,
    waitTimeoutSeconds: 120,
    onProgress: (e) => {
      if (e.state === 'error') console.error(`tug: ${e.resource} ${e.name} ${e.action} failed: ${e.error?.message}`);
    },
  });
  const [web] = await ps(stack.engine, stack.project.name, { services: ['web'] });
  const port = web?.ports.find((p) => p.privatePort === 80)?.publicPort;
  if (!port) {
    await stack.stop();
    throw new Error('the web service publishes no port for 80');
  }
  project.provide('webUrl', `http://127.0.0.1:${port}`);
  return () => stack.stop();
}
