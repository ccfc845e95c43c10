#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts it without its ES module loader. The hot invocations
// (`--version`, `--help` into a pipe, `status`) are answered by one small bundle
// without loading oclif (src/fast-path.ts); everything else goes to oclif, bundled with every
// command into dist/cli.bundle.cjs (src/cli-entry.ts, scripts/bundle.mjs) and compiled with the
// V8 code cache the build wrote beside it (require-cached.js).
const { join } = require('node:path');
const { answerFast } = require('../dist/fast-path.bundle.cjs');
const { requireCached } = require('./require-cached.js');

const packageRoot = join(__dirname, '..');
const argv = process.argv.slice(2);
answerFast(argv, {
  packageRoot,
  env: process.env,
  stdoutIsTty: process.stdout.isTTY === true,
  writeStdout: (text) => process.stdout.write(text),
  writeStderr: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
}).then((answered) =>
  answered
    ? undefined
    : requireCached(
        join(packageRoot, 'dist', 'cli.bundle.cjs'),
        join(packageRoot, 'dist', 'cli.bundle.v8cache'),
      ).runCli(argv, packageRoot),
);
