import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A failure guard, not a speed check: property tests run hundreds of cases and CI machines
    // are shared, so vitest's 5 s default could fail a correct run.
    testTimeout: 60_000,
  },
});
