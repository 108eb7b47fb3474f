import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/generate.ts', 'test/setup/volume-leaks.ts'],
    testTimeout: 60_000,
  },
});
