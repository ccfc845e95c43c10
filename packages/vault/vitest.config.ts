import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Failure guards only: every real `bw` call boots Node and a 3.7 MB bundle (1.5-4 s); no test asserts on time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
