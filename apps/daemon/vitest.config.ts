import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // Failure guards only: no test asserts on elapsed time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
