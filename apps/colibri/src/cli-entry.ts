// The whole oclif side of the CLI as one module: bundled by esbuild with @oclif/core, the commands and
// the small workspace packages they import at once into dist/cli.bundle.cjs (scripts/bundle.mjs),
// which bin/run.js loads for every invocation the fast path declines. package.json's oclif config
// finds the commands here (`"strategy": "explicit"`, identifier COMMANDS) and the hook too, so
// oclif neither scans dist/commands nor resolves a tree of modules file by file. Heavy or
// path-relative dependencies (the spawner, mother, vault, MCP SDK, pg…) stay outside the bundle and
// are still imported lazily by the commands that use them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute } from '@oclif/core/execute';
import type { PJSON } from '@oclif/core/interfaces';
import { COMMANDS } from './command-classes.js';

export { default as commandNotFound } from './hooks/command-not-found.js';

export { COMMANDS };

/**
 * The package.json oclif loads for `argv`. oclif's own plugins (plugin-help's `help`,
 * plugin-autocomplete's `autocomplete`) matter only to their commands, to the root help that
 * lists them and to the unknown-command hook that suggests among them: when `argv` names one of
 * {@link COMMANDS} and asks for no help, they are left out, which spares resolving, reading and
 * loading two packages and their manifests on every start. No colibri command uses them.
 */
export function packageJsonFor(argv: readonly string[], pjson: PJSON): PJSON {
  const [id] = argv;
  const colibriCommand = id !== undefined && Object.hasOwn(COMMANDS, id);
  if (!colibriCommand || argv.includes('--help') || argv.includes('-h')) return pjson;
  return { ...pjson, oclif: { ...pjson.oclif, plugins: [] } };
}

/** Runs `argv` (without node and the script) with oclif, as `@oclif/core`'s `execute` does. */
export function runCli(argv: readonly string[], packageRoot: string): Promise<unknown> {
  // What oclif itself reads for a package.json that has an `oclif` section (readPjson).
  const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PJSON;
  return execute({
    args: [...argv],
    dir: packageRoot,
    loadOptions: { root: packageRoot, pjson: packageJsonFor(argv, pjson) },
  });
}
