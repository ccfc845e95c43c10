#!/usr/bin/env node
// Build step after `tsc`: bundles dist/run-agent-main.js (the light `run-agent` entry) with
// everything it imports into one CommonJS file, dist/run-agent.bundle.cjs. The linux jail driver
// starts the agent with it (`node dist/run-agent.bundle.cjs run-agent FLAGS…`): one module to
// resolve and load instead of a tree of packages in ES module form — in a jail the agent starts
// in about half the time, and with less private memory, than through dist/run-agent-main.js
// (BENCHMARKS.md, "Join the hive"). What it hands to the CLI, bin/run.js, stays outside the bundle.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'dist', 'run-agent-main.js')],
  outfile: join(root, 'dist', 'run-agent.bundle.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['../bin/run.js'],
  legalComments: 'none',
  logLevel: 'warning',
});
