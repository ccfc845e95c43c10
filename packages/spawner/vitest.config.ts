import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Failure guards only: sandboxes and jails start real processes; no test asserts on time.
    // The fake Bastille starts a Node process per command: one driver test runs dozens of them,
    // which took over 60 s on a loaded 2-core machine, so the guard is generous.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
