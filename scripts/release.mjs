#!/usr/bin/env node
// The release, in two steps a maintainer runs on a clean `main`:
//   node scripts/release.mjs version     apply the changesets: bump versions, write CHANGELOGs,
//                                        refresh the lockfile; review and commit the result
//   node scripts/release.mjs publish     check, build, run the packaging tests (pack, npm install -g
//                                        from the tarballs, a hive from the install), then
//                                        `pnpm -r publish` every package whose version is new
//   add --dry-run to publish to do everything but the upload (any branch, dirty tree allowed)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { $, argv, spinner } from 'zx';

const root = new URL('..', import.meta.url).pathname;
$.cwd = root;
$.env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' };
const [command] = argv._;
const dryRun = Boolean(argv['dry-run']);
const say = (line) => process.stderr.write(`release: ${line}\n`);
function step(title, callback) {
  if (process.stderr.isTTY) return spinner(title, callback);
  say(title);
  return callback();
}
const pending = () =>
  readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');

async function checkTree() {
  const branch = (await $`git rev-parse --abbrev-ref HEAD`).stdout.trim();
  const dirty = (await $`git status --porcelain`).stdout.trim();
  if (dryRun) return;
  if (branch !== 'main') throw new Error(`release from main (this is ${branch}), or pass --dry-run`);
  if (dirty !== '') throw new Error(`the tree has uncommitted changes:\n${dirty}`);
}

if (command === 'version') {
  await checkTree();
  if (pending().length === 0) throw new Error('no changesets to apply (pnpm changeset adds one)');
  await step('changeset version', () => $`pnpm -s changeset version`);
  await step('refreshing the lockfile', () => $`pnpm install --lockfile-only --reporter=silent`);
  const versions = await $`pnpm -r --json ls --depth -1`;
  for (const pkg of JSON.parse(versions.stdout)) if (!pkg.private) say(`${pkg.name}@${pkg.version}`);
  say('review the versions and CHANGELOGs, commit, then: node scripts/release.mjs publish');
} else if (command === 'publish') {
  await checkTree();
  if (pending().length > 0 && !dryRun) {
    throw new Error(
      `unapplied changesets (${pending().join(', ')}): run node scripts/release.mjs version first`,
    );
  }
  await step('building', () => $`pnpm -s turbo run build --output-logs=errors-only`);
  await step(
    'packaging tests (pack, npm install -g, a hive from the install)',
    () => $`pnpm --filter @colibri/packaging test`,
  );
  const flags = dryRun ? ['--dry-run', '--no-git-checks'] : [];
  const published = await step(
    dryRun ? 'pnpm -r publish --dry-run' : 'pnpm -r publish',
    () => $`pnpm -r publish --access public ${flags}`,
  );
  for (const line of `${published.stdout}`.split('\n')) if (line.startsWith('+ ')) say(line.slice(2));
} else {
  say('usage: node scripts/release.mjs version | publish [--dry-run]');
  process.exitCode = 2;
}
