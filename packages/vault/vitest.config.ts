import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Failure guards only: every real `bw` call boots Node and a 3.7 MB bundle (1.5-5 s); no test asserts on time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The test/ files spend their time waiting on bw child processes, each with its own server and
    // appdata dir: two at a time instead of vitest's default (CPUs - 1, i.e. one on a 2-core machine).
    maxWorkers: 2,
  },
});
