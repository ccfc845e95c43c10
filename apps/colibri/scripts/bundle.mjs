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
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * skill digests (node:crypto, ~6 ms), opening a browser or a shell (node:child_process), prompts,
 * oclif's file and directory flags (node:fs/promises, which the direct path never needs).
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
  'node:fs/promises',
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
/** `mcpChunk(dir)`: the plugin for a bundle written to dist/`dir` ('' or 'direct'). */
const mcpChunk = (dir = '') => ({
  name: 'colibri-mcp-chunk',
  setup(plugin) {
    const filter = new RegExp(`^(${MCP_CHUNK_MODULES.join('|').replace(/[/.]/g, '\\$&')})$`);
    const dist = dir === '' ? '__dirname' : `join(__dirname, '..')`;
    plugin.onResolve({ filter }, () => ({ path: 'mcp.bundle.cjs', namespace: 'mcp-chunk' }));
    plugin.onLoad({ filter: /.*/, namespace: 'mcp-chunk' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: `const { join } = require('node:path');
globalThis[${SHARED_ERRORS}] = require('@colibri/errors');
const { requireCached } = require(join(${dist}, '..', 'bin', 'require-cached.js'));
module.exports = requireCached(join(${dist}, 'mcp.bundle.cjs'), join(${dist}, 'mcp.bundle.v8cache'));`,
    }));
  },
});
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

/**
 * The direct path's bundles (src/direct.ts) leave out, besides {@link EXTERNAL}, what the path never
 * runs but the modules it runs require at their top: @oclif/core's configuration loader (which
 * the direct path replaces; it brings tinyglobby, minimatch, lilconfig…), its help (for `--help`,
 * which the direct path declines, and for errors that ask for help, which colibri's never do) and
 * its `main`, and the help templates and spinner frames oclif's ux loads. Each is a stand-in as
 * {@link lazyModules} makes, whose first property read requires the installed module (@oclif/core's
 * own, by its public subpath, or its dependency as @oclif/core resolves it): the direct bundles are
 * half the size, and cli-bundle.e2e.test.ts checks that a direct run loads none of them.
 */
const DIRECT_LEFT_OUT = {
  'lib/config/index.js': '@oclif/core/config',
  'lib/help/index.js': '@oclif/core/help',
  'lib/main.js': '@oclif/core/run',
};
const DIRECT_LEFT_OUT_DEPENDENCIES = ['ejs', 'cli-spinners'];
const oclifRoot = dirname(require.resolve('@oclif/core/package.json'));
const leftOut = {
  name: 'colibri-direct-left-out',
  setup(plugin) {
    plugin.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.leftOut === true || !args.importer.startsWith(`${oclifRoot}/`)) return undefined;
      if (DIRECT_LEFT_OUT_DEPENDENCIES.includes(args.path)) {
        return { path: args.path, namespace: 'left-out', pluginData: { dependency: true } };
      }
      if (!args.path.startsWith('.')) return undefined;
      const real = await plugin.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { leftOut: true },
      });
      if (real.errors.length > 0) return { errors: real.errors };
      const subpath = DIRECT_LEFT_OUT[relative(oclifRoot, real.path)];
      return subpath === undefined ? { path: real.path } : { path: subpath, namespace: 'left-out' };
    });
    plugin.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => {
      const dependency = args.pluginData?.dependency === true;
      const loaded = dependency ? oclifRequire(args.path) : require(args.path);
      const names = Object.getOwnPropertyNames(loaded).filter((name) => name !== '__esModule');
      const specifier = JSON.stringify(args.path);
      const load = dependency
        ? // A variable: esbuild would otherwise try to bundle the package.json it names.
          `require('node:module').createRequire(require.resolve(oclifPackage))(${specifier})`
        : `require(${specifier})`;
      return {
        resolveDir: root,
        pluginData: { leftOut: true },
        loader: 'js',
        contents: [
          "const oclifPackage = '@oclif/core/package.json';",
          'let real;',
          `const load = () => (real ??= ${load});`,
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

const cliBundle = join(root, 'dist', 'cli.bundle.cjs');
await build({
  ...common,
  entryPoints: [join(root, 'dist', 'cli-entry.js')],
  outfile: cliBundle,
  external: EXTERNAL,
  plugins: [lazyModules, mcpChunk()],
});
// The direct path: one bundle per command (dist/direct/<id>.cjs), holding that command, what it
// imports at once and the part of @oclif/core that runs it (src/direct.ts).
const { COMMANDS } = await import(join(root, 'dist', 'command-classes.js'));
const commandIds = Object.keys(COMMANDS);
const directDir = join(root, 'dist', 'direct');
rmSync(directDir, { recursive: true, force: true });
mkdirSync(directDir);
const directBundles = commandIds.map((id) => join(directDir, `${id}.cjs`));
// And one for a word that is no command (the command_not_found hook), with every command id and
// topic of oclif's full config (its plugins' too) as oclif itself loads them now.
const { Config } = require('@oclif/core/config');
const fullConfig = await Config.load({
  root,
  pjson: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')),
});
const known = { commandIDs: fullConfig.commandIDs, topics: fullConfig.topics.map((topic) => topic.name) };
const unknownBundle = join(directDir, '_unknown.cjs');
await Promise.all([
  build({
    ...common,
    stdin: {
      contents: `'use strict';
import hook from './dist/hooks/command-not-found.js';
import { runUnknown } from './dist/direct.js';
const known = ${JSON.stringify(known)};
export const runDirect = (argv, packageRoot) => runUnknown(hook, known, argv, packageRoot);`,
      resolveDir: root,
      loader: 'js',
    },
    outfile: unknownBundle,
    external: [...EXTERNAL, '@oclif/core/config', '@oclif/core/help', '@oclif/core/run'],
    plugins: [leftOut, lazyModules, mcpChunk('direct')],
  }),
  ...commandIds.map((id, index) =>
    build({
      ...common,
      stdin: {
        contents: `'use strict';
import Command from './dist/commands/${id}.js';
import { runDirect as run } from './dist/direct.js';
const ids = ${JSON.stringify(commandIds)};
export const runDirect = (argv, packageRoot) => run({ ${JSON.stringify(id)}: Command }, ids, argv, packageRoot);`,
        resolveDir: root,
        loader: 'js',
      },
      outfile: directBundles[index],
      external: [...EXTERNAL, '@oclif/core/config', '@oclif/core/help', '@oclif/core/run'],
      plugins: [leftOut, lazyModules, mcpChunk('direct')],
    }),
  ),
]);
directBundles.push(unknownBundle);
// Every `import()` left in the bundle (the packages above, oclif's ESM plugins) goes through
// __colibriImport: bin/require-cached.js compiles the bundle with node:vm (for the code cache),
// and Node 20 has no working `import()` inside a vm script without flags, so it passes its own
// (`__import`); loaded by plain require (`oclif manifest` at build), the native one is used.
// An `import(` call, not a member (`.import(`), an identifier part or inside a string ("import()").
const DYNAMIC_IMPORT = /(?<![\w$."'`])import\(/g;
const STRICT = '"use strict";\n';
const helper =
  'var __colibriImport = typeof __import === "function" ? __import : (specifier) => import(specifier);\n';
for (const bundle of [cliBundle, ...directBundles]) {
  const bundled = readFileSync(bundle, 'utf8');
  if (!bundled.startsWith(STRICT)) throw new Error('bundle: expected esbuild\'s "use strict" first');
  writeFileSync(
    bundle,
    `${STRICT}${helper}${bundled.slice(STRICT.length).replace(DYNAMIC_IMPORT, '__colibriImport(')}`,
  );
}

// The code cache: V8 rejects it (and compiles afresh) when the source, Node or its flags differ.
// It holds what V8 has compiled when it is written: warmed by one `colibri --version` through
// oclif (its output dropped), it also holds what every invocation runs (oclif's Config.load, its
// plugin and command loading, the dispatch), not just the bundle's top level: ~10 ms less per start.
const { writeCodeCache } = require('./bin/require-cached.js');
globalThis[Symbol.for('colibri.cli.errors')] = await import('@colibri/errors');
// `mcp`'s cache holds what a client's first message runs too, not just the bundle's top level:
// the server built for every toolset (each tool registered with its schemas) answering one
// `initialize` over an in-memory transport; no hive is reached.
await writeCodeCache(mcpBundle, join(root, 'dist', 'mcp.bundle.v8cache'), async (mcp) => {
  const server = mcp.createColibriMcpServer({
    hive: {},
    toolsets: mcp.parseToolsets('all'),
    readOnly: false,
    agentId: undefined,
    version: '0.0.0',
  });
  let answered;
  const answer = new Promise((resolve) => {
    answered = resolve;
  });
  const transport = {
    async start() {},
    async send(message) {
      answered(message);
    },
    async close() {},
  };
  await server.connect(transport);
  transport.onmessage({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'build', version: '0' } },
  });
  const reply = await answer;
  if (reply.result?.serverInfo?.name !== 'colibri')
    throw new Error(`bundle: mcp warm-up answered ${JSON.stringify(reply)}`);
  await server.close();
});
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

// The direct path's command list, for bin/run.js (which reads it before loading any bundle), and
// each direct bundle's code cache, warmed by one run of its command through it that oclif's parser
// refuses (an unknown flag): the parser, the base command's init and catch, the error report. Its
// output is dropped and oclif's `handle` kept from exiting this process.
writeFileSync(join(directDir, 'commands.json'), `${JSON.stringify(commandIds)}\n`);
const saved = { stdout: process.stdout.write, stderr: process.stderr.write, exit: process.exit };
const savedEnv = { COLIBRI_NO_DIRECT: process.env.COLIBRI_NO_DIRECT, DEBUG: process.env.DEBUG };
const drop = (_chunk, encoding, callback) => {
  (typeof encoding === 'function' ? encoding : callback)?.();
  return true;
};
delete process.env.COLIBRI_NO_DIRECT;
delete process.env.DEBUG;
try {
  // The unknown-word bundle's warm-up: a word that is no command.
  for (const [index, id] of [...commandIds, 'colibri-build-warm-up'].entries()) {
    const bundle = directBundles[index];
    await writeCodeCache(bundle, bundle.replace(/\.cjs$/, '.v8cache'), async (direct) => {
      process.stdout.write = drop;
      process.stderr.write = drop;
      process.exit = () => undefined;
      try {
        if (!(await direct.runDirect([id, '--colibri-build-warm-up'], root))) {
          throw new Error(`bundle: the direct path declined ${id}'s warm-up run`);
        }
      } finally {
        process.stdout.write = saved.stdout;
        process.stderr.write = saved.stderr;
        process.exit = saved.exit;
        process.exitCode = undefined;
      }
    });
  }
} finally {
  for (const [name, value] of Object.entries(savedEnv)) if (value !== undefined) process.env[name] = value;
}
