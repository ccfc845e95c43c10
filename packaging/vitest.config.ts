import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A failure guard, not a speed check: these tests start real processes on shared CI
    // machines, where vitest's 5 s default could fail a correct run.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The files mostly wait on child processes (npm, pnpm, colibrid): run them all at once, so
    // the packed install (the slowest) overlaps the publish dry-run and the service-file checks.
    fileParallelism: true,
    maxWorkers: 4,
  },
});
