#!/usr/bin/env node
// Build step after `tsc`: esbuild bundles, each one CommonJS file, so bin/run.js loads one module
// where Node would otherwise resolve and compile a tree of them file by file:
//   dist/fast-path.bundle.cjs  src/fast-path.ts and what it imports (no oclif): --version, help, status
//   dist/cli.bundle.cjs        src/cli-entry.ts: @oclif/core, every command, the hook and the small
//                              workspace packages they import at once; package.json's oclif config
//                              finds the commands in it (explicit strategy, no directory scan)
// and V8's code cache for the CLI bundle (dist/cli.bundle.v8cache, see bin/require-cached.js).
// Packages that are heavy, native or find files next to their own modules stay outside the
// bundle and are imported lazily, as before, by the commands that use them.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
// The fast path asks `ansis` whether oclif would colour its help: take oclif's own copy.
const oclifRequire = createRequire(require.resolve('@oclif/core/package.json'));
const ansis = oclifRequire.resolve('ansis');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: [join(root, 'dist', 'fast-path.js')],
  outfile: join(root, 'dist', 'fast-path.bundle.cjs'),
  alias: { ansis },
});

/** Left outside the CLI bundle: loaded (lazily) from node_modules at run time, as before. */
const EXTERNAL = [
  // Imported lazily by the commands that need them; heavy (the MCP SDK, kysely, pg, bw) or
  // spawning files that sit next to their own modules (the keeper, the probe).
  '@colibri/join',
  '@colibri/mcp',
  '@colibri/mother',
  '@colibri/spawner',
  '@colibri/vault',
  '@colibri/vault/*',
  '@modelcontextprotocol/*',
  'better-sqlite3',
  'kysely',
  'pg',
  // oclif loads these only in development (TypeScript sources); never in a built CLI.
  'typescript',
  'ts-node',
  'tsx',
  // Plugins are loaded by oclif from their own packages (their package.json and manifest).
  '@oclif/plugin-*',
];
const cliBundle = join(root, 'dist', 'cli.bundle.cjs');
await build({
  ...common,
  entryPoints: [join(root, 'dist', 'cli-entry.js')],
  outfile: cliBundle,
  external: EXTERNAL,
});
// Every `import()` left in the bundle (the packages above, oclif's ESM plugins) goes through
// __colibriImport: bin/require-cached.js compiles the bundle with node:vm (for the code cache),
// and Node 20 has no working `import()` inside a vm script without flags, so it passes its own
// (`__import`); loaded by plain require (`oclif manifest` at build), the native one is used.
// An `import(` call, not a member (`.import(`), an identifier part or inside a string ("import()").
const DYNAMIC_IMPORT = /(?<![\w$."'`])import\(/g;
const STRICT = '"use strict";\n';
const bundled = readFileSync(cliBundle, 'utf8');
if (!bundled.startsWith(STRICT)) throw new Error('bundle: expected esbuild\'s "use strict" first');
const helper =
  'var __colibriImport = typeof __import === "function" ? __import : (specifier) => import(specifier);\n';
writeFileSync(
  cliBundle,
  `${STRICT}${helper}${bundled.slice(STRICT.length).replace(DYNAMIC_IMPORT, '__colibriImport(')}`,
);

// The code cache: V8 rejects it (and compiles afresh) when the source, Node or its flags differ.
const { writeCodeCache } = require('./bin/require-cached.js');
await writeCodeCache(cliBundle, join(root, 'dist', 'cli.bundle.v8cache'), async () => {});
