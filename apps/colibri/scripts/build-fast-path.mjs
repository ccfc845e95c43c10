#!/usr/bin/env node
// Build step after `tsc` and `oclif manifest`: (1) bundles dist/fast-path.js with everything it
// imports into one CommonJS file, dist/fast-path.bundle.cjs, so bin/run.js resolves and loads a single module
// for the hot commands instead of oclif and a tree of packages; (2) renders, with oclif itself, the
// help of the root and of every command as it comes out into a pipe, into dist/help.json, which
// the fast path prints when oclif would print exactly that.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
// The fast path asks `ansis` whether oclif would colour its help: take oclif's own copy.
const oclifRequire = createRequire(require.resolve('@oclif/core/package.json'));
const ansis = oclifRequire.resolve('ansis');

await build({
  entryPoints: [join(root, 'dist', 'fast-path.js')],
  outfile: join(root, 'dist', 'fast-path.bundle.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  alias: { ansis },
  legalComments: 'none',
  logLevel: 'warning',
});

// A child with its stdout on a pipe and no colour or width settings: oclif renders for a pipe.
const env = { ...process.env };
for (const name of [
  'FORCE_COLOR',
  'OCLIF_COLUMNS',
  'COLORTERM',
  'CI',
  'TF_BUILD',
  'PM2_HOME',
  'NEXT_RUNTIME',
])
  delete env[name];
const rendered = spawnSync(process.execPath, [join(root, 'scripts', 'render-help.mjs')], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (rendered.status !== 0) {
  process.stderr.write(`build-fast-path: rendering help failed (exit ${rendered.status})\n`);
  process.exit(1);
}
