import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A failure guard only: the round-trip tests start real sh, node and python processes.
    testTimeout: 60_000,
  },
});
