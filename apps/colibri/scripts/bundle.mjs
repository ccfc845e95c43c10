#!/usr/bin/env node
// Build step after `tsc`: esbuild bundles, each one CommonJS file, so bin/run.js loads one module
// where Node would otherwise resolve and compile a tree of them file by file:
//   dist/fast-path.bundle.cjs  src/fast-path.ts and what it imports (no oclif): --version, help, status
//   dist/cli.bundle.cjs        src/cli-entry.ts: @oclif/core, every command, the hook and the small
//                              workspace packages they import at once; package.json's oclif config
//                              finds the commands in it (explicit strategy, no directory scan)
//   dist/mcp.bundle.cjs        @colibri/mcp and the MCP SDK, which only `colibri mcp` loads (mcpChunk)
// and V8's code cache for the CLI and MCP bundles (dist/*.bundle.v8cache, see bin/require-cached.js).
// Packages that are heavy, native or find files next to their own modules stay outside the
// bundle and are imported lazily, as before, by the commands that use them.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
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
  // Imported lazily by the commands that need them; heavy (kysely, pg, bw) or spawning files
  // that sit next to their own modules (the keeper, the probe). (`mcp`'s: {@link mcpChunk}.)
  '@colibri/join',
  '@colibri/mother',
  '@colibri/spawner',
  '@colibri/vault',
  '@colibri/vault/*',
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
/**
 * Modules the CLI bundle loads only when first used instead of at its start: @oclif/core (and
 * colibri's protocol package) require them at the top of modules every command initializes, but
 * use them only in functions that a command run rarely or never calls: command discovery by glob
 * (colibri lists its commands explicitly), plugin-name patterns, the spinner, help templates,
 * skill digests (node:crypto, ~6 ms), opening a browser or a shell (node:child_process), prompts.
 * Measured at 15–25 ms of a ~170 ms start (see the commit).
 */
const LAZY = [
  'tinyglobby',
  'minimatch',
  'cli-spinners',
  'ejs',
  'node:crypto',
  'node:child_process',
  'node:readline',
];

/**
 * esbuild plugin: each import of a {@link LAZY} module resolves to a stand-in whose exports are
 * getters over the real module, required at the first property read. Every consumer here reads
 * the exports at call time (`(0, mod.fn)(…)`, esbuild's own `__toESM` copies getters without
 * reading them), so nothing changes but when the module is loaded. The export names come from the
 * real module as resolved for that importer (the same file the bundle would have inlined).
 */
const lazyModules = {
  name: 'colibri-lazy-modules',
  setup(plugin) {
    const filter = new RegExp(`^(${LAZY.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);
    plugin.onResolve({ filter }, async (args) => {
      // The stand-in's own require of the real module: the module itself, built-in or inlined.
      if (args.pluginData?.lazyReal === true) {
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        return undefined;
      }
      if (args.path.startsWith('node:')) return { path: args.path, namespace: 'lazy' };
      const real = await plugin.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { lazyReal: true },
      });
      if (real.errors.length > 0) return { errors: real.errors };
      // Relative to the package, so the bundle does not name this checkout's directory.
      return { path: relative(root, real.path), namespace: 'lazy' };
    });
    plugin.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
      const real = args.path.startsWith('node:') ? args.path : join(root, args.path);
      const loaded = require(real);
      const names = Object.getOwnPropertyNames(loaded).filter((name) => name !== '__esModule');
      const specifier = JSON.stringify(real);
      return {
        resolveDir: root,
        pluginData: { lazyReal: true },
        loader: 'js',
        contents: [
          'let real;',
          `const load = () => (real ??= require(${specifier}));`,
          loaded.__esModule === true ? 'Object.defineProperty(exports, "__esModule", { value: true });' : '',
          ...names.map(
            (name) =>
              `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: ${Object.getOwnPropertyDescriptor(loaded, name).enumerable}, get: () => load()[${JSON.stringify(name)}] });`,
          ),
        ].join('\n'),
      };
    });
  },
};

/**
 * `colibri mcp`'s modules (@colibri/mcp and the MCP SDK with zod, ~1 MB) are one bundle of their
 * own, dist/mcp.bundle.cjs with its own code cache, which only `mcp` loads: imported from
 * node_modules as ES modules they took ~250 ms to resolve and compile on every `mcp` start, and
 * inside the CLI bundle they would make every other command's start read and deserialize twice
 * as much. The chunk takes @colibri/errors from the CLI bundle (the errors the client throws must
 * be the chunk's ColibriError for `isColibriError`), handed over in a global the CLI bundle sets
 * just before it requires the chunk.
 */
const MCP_CHUNK_MODULES = ['@colibri/mcp', '@modelcontextprotocol/server/stdio'];
const SHARED_ERRORS = "Symbol.for('colibri.cli.errors')";
const mcpBundle = join(root, 'dist', 'mcp.bundle.cjs');
const mcpChunk = {
  name: 'colibri-mcp-chunk',
  setup(plugin) {
    const filter = new RegExp(`^(${MCP_CHUNK_MODULES.join('|').replace(/[/.]/g, '\\$&')})$`);
    plugin.onResolve({ filter }, () => ({ path: 'mcp.bundle.cjs', namespace: 'mcp-chunk' }));
    plugin.onLoad({ filter: /.*/, namespace: 'mcp-chunk' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: `const { join } = require('node:path');
globalThis[${SHARED_ERRORS}] = require('@colibri/errors');
const { requireCached } = require(join(__dirname, '..', 'bin', 'require-cached.js'));
module.exports = requireCached(join(__dirname, 'mcp.bundle.cjs'), join(__dirname, 'mcp.bundle.v8cache'));`,
    }));
  },
};
const sharedErrors = {
  name: 'colibri-shared-errors',
  setup(plugin) {
    plugin.onResolve({ filter: /^@colibri\/errors$/ }, () => ({ path: 'errors', namespace: 'shared' }));
    plugin.onLoad({ filter: /.*/, namespace: 'shared' }, () => ({
      loader: 'js',
      contents: `module.exports = globalThis[${SHARED_ERRORS}];`,
    }));
  },
};
await build({
  ...common,
  stdin: {
    contents: MCP_CHUNK_MODULES.map((name) => `export * from '${name}';`).join('\n'),
    resolveDir: root,
    loader: 'js',
  },
  outfile: mcpBundle,
  plugins: [sharedErrors],
});

const cliBundle = join(root, 'dist', 'cli.bundle.cjs');
await build({
  ...common,
  entryPoints: [join(root, 'dist', 'cli-entry.js')],
  outfile: cliBundle,
  external: EXTERNAL,
  plugins: [lazyModules, mcpChunk],
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
// It holds what V8 has compiled when it is written: warmed by one `colibri --version` through
// oclif (its output dropped), it also holds what every invocation runs (oclif's Config.load, its
// plugin and command loading, the dispatch), not just the bundle's top level: ~10 ms less per start.
const { writeCodeCache } = require('./bin/require-cached.js');
globalThis[Symbol.for('colibri.cli.errors')] = await import('@colibri/errors');
await writeCodeCache(mcpBundle, join(root, 'dist', 'mcp.bundle.v8cache'), async () => {});
await writeCodeCache(cliBundle, join(root, 'dist', 'cli.bundle.v8cache'), async (cli) => {
  const write = process.stdout.write;
  process.stdout.write = (_chunk, encoding, callback) => {
    (typeof encoding === 'function' ? encoding : callback)?.();
    return true;
  };
  try {
    await cli.runCli(['--version'], root);
  } finally {
    process.stdout.write = write;
  }
});
