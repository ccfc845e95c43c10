#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts it without its ES module loader. Three ways in, each one
// CommonJS bundle, the first that answers wins:
// - the fast path (dist/fast-path.bundle.cjs, src/fast-path.ts): `--version`, `--help` into a pipe
//   and `status`, hand-answered without oclif; loaded only for argv it may answer;
// - the direct path (dist/direct/<command>.cjs, src/direct.ts): a colibri command that asks for no
//   help, its class run by oclif's Command and parser without oclif's configuration loader, from
//   a bundle that holds only that command; a word that is no command, colibri's unknown-command
//   hook, from one more (dist/direct/_unknown.cjs);
// - oclif (dist/cli.bundle.cjs, src/cli-entry.ts): everything, as oclif's `execute` runs it.
// The last two are compiled with the V8 code cache the build wrote beside them (require-cached.js).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { requireCached } = require('./require-cached.js');

const packageRoot = join(__dirname, '..');
const dist = join(packageRoot, 'dist');
const argv = process.argv.slice(2);

/** Whether the fast path could answer `argv` (it checks everything itself; this only spares loading it). */
const mayAnswerFast =
  argv.length === 0 ||
  argv.at(-1) === '--help' ||
  (argv.length === 1 && argv[0] === '--version') ||
  argv[0] === 'status';

function fast() {
  if (!mayAnswerFast) return Promise.resolve(false);
  return require(join(dist, 'fast-path.bundle.cjs')).answerFast(argv, {
    packageRoot,
    env: process.env,
    stdoutIsTty: process.stdout.isTTY === true,
    writeStdout: (text) => process.stdout.write(text),
    writeStderr: (text) => process.stderr.write(text),
    setExitCode: (code) => {
      process.exitCode = code;
    },
  });
}

function direct() {
  let ids;
  try {
    ids = JSON.parse(readFileSync(join(dist, 'direct', 'commands.json'), 'utf8'));
  } catch {
    return Promise.resolve(false);
  }
  const [id] = argv;
  // A word that is no colibri command: the unknown-command bundle, which declines oclif's own.
  const bundle = ids.includes(id) ? id : id !== undefined && !id.startsWith('-') ? '_unknown' : undefined;
  if (bundle === undefined) return Promise.resolve(false);
  return requireCached(
    join(dist, 'direct', `${bundle}.cjs`),
    join(dist, 'direct', `${bundle}.v8cache`),
  ).runDirect(argv, packageRoot);
}

fast()
  .then((answered) => answered || direct())
  .then((answered) =>
    answered
      ? undefined
      : requireCached(join(dist, 'cli.bundle.cjs'), join(dist, 'cli.bundle.v8cache')).runCli(
          argv,
          packageRoot,
        ),
  );
