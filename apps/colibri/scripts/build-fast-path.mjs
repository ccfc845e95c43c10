#!/usr/bin/env node
// Build step after scripts/bundle.mjs and `oclif manifest`: renders, with oclif itself, the help of
// the root and of every command as it comes out into a pipe, into dist/help.json, which the fast
// path (src/fast-path.ts) prints when oclif would print exactly that.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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
