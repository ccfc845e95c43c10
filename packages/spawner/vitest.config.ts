import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Failure guards only: sandboxes and jails start real processes; no test asserts on time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
