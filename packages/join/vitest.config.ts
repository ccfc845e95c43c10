import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A failure guard, not a speed check: the chain's tests start real processes (a fake agent's
    // log, timers) on shared CI machines, so vitest's 5 s default could fail a correct run.
    testTimeout: 60_000,
  },
});
