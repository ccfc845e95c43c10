// Loads a CommonJS bundle as `require` would, but compiled with V8's code cache: Node 20 has no
// `module.enableCompileCache()` (it came with Node 22.1), so a ~1 MB bundle is parsed and compiled
// on every start (~20 ms of a ~60 ms budget). The build writes the cache next to the bundle
// (scripts/bundle.mjs, `writeCodeCache`); V8 checks it against the source and its own version and
// flags and silently compiles afresh when it does not match (another Node, --cpu-prof…), so a
// stale or missing cache only costs the time it would have saved.
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const vm = require('node:vm');

/**
 * Module.wrap's wrapper plus `__import`: Node 20 gives code compiled by node:vm no `import()`
 * without flags (or with an ExperimentalWarning on stderr), so the bundle calls this one, which
 * is an ordinary module's: bare names resolve from this package's node_modules, as from dist/,
 * and file URLs (oclif's ESM plugins) as they are. scripts/bundle.mjs rewrites the bundle's
 * `import()` calls to it.
 */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname, __import) { ', '\n});'];
const dynamicImport = (specifier) => import(specifier);

/** Compiles `filename` with `cacheFile` (if readable) and registers it in require.cache, unrun. */
function compile(filename, cacheFile) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(`${WRAPPER[0]}${readFileSync(filename, 'utf8')}${WRAPPER[1]}`, {
    filename,
    cachedData,
  });
  const module = new Module(filename, require.main);
  module.filename = filename;
  module.paths = Module._nodeModulePaths(dirname(filename));
  // oclif requires the bundle again by path (its explicit command target): it must get this one.
  Module._cache[filename] = module;
  return { script, module };
}

function run({ script, module }) {
  const wrapper = script.runInThisContext({ displayErrors: true });
  const require = Module.createRequire(module.filename);
  try {
    wrapper.call(
      module.exports,
      module.exports,
      require,
      module,
      module.filename,
      dirname(module.filename),
      dynamicImport,
    );
  } catch (error) {
    delete Module._cache[module.filename];
    throw error;
  }
  module.loaded = true;
  return module.exports;
}

/** `require(filename)`, compiled with the V8 code cache in `cacheFile` when it fits. */
function requireCached(filename, cacheFile) {
  const cached = Module._cache[filename];
  if (cached !== undefined) return cached.exports;
  return run(compile(filename, cacheFile));
}

/**
 * Build time: loads `filename` afresh (no cache), lets `warm(exports)` exercise it so the functions
 * it runs are compiled too, and writes V8's code cache for it to `cacheFile`.
 */
async function writeCodeCache(filename, cacheFile, warm) {
  const compiled = compile(filename, `${cacheFile}.none`);
  await warm(run(compiled));
  writeFileSync(cacheFile, compiled.script.createCachedData());
}

module.exports = { requireCached, writeCodeCache };
