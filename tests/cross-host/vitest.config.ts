import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The namespace tests share the machine's network stack: run files one after another.
    fileParallelism: false,
  },
});
