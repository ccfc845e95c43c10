import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import type { AgentRuntime } from '@colibri/spawner';

/** What locating the runtime reads from the file system; tests pass a stand-in. */
export type PathExists = (path: string) => boolean;

export interface LocateRuntimeOptions {
  /** This CLI's package directory (oclif's `config.root`): holds `bin/run.js`. */
  readonly cliRoot: string;
  /** This CLI's version: the runtime is pinned to it. */
  readonly version: string;
  /** `--runtime-dir`: another installation of the same version. */
  readonly runtimeDir?: string | undefined;
  readonly cwd: string;
  readonly exists?: PathExists;
}

/** Where an installation keeps the CLI entry, relative to its root, in the order tried. */
export const RUNTIME_ENTRY_CANDIDATES = [
  'bin/run.js',
  'apps/colibri/bin/run.js',
  'node_modules/@colibri/cli/bin/run.js',
] as const;

/**
 * The directory holding an installed CLI AND everything it loads: in a pnpm workspace the
 * workspace root (the nearest ancestor with `pnpm-workspace.yaml`: the packages are symlinks into
 * its `node_modules/.pnpm`); in an npm install the parent of the top-most `node_modules` above the
 * CLI; otherwise the CLI's own directory.
 */
export function installationRoot(cliRoot: string, exists: PathExists = existsSync): string {
  for (let dir = cliRoot; ; dir = dirname(dir)) {
    if (exists(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) break;
  }
  let topmost: string | undefined;
  for (let dir = cliRoot; dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === 'node_modules') topmost = dir;
  }
  return topmost === undefined ? cliRoot : dirname(topmost);
}

/**
 * The linux driver's runtime: this very colibri installation, bound read-only into the jail
 * (`root`), started through its `bin/run.js` (`entry`), pinned to this CLI's version (bootstrap
 * checks `<entry> --version` inside the jail). `--runtime-dir` names another installation root of
 * the same version; its entry is the first of {@link RUNTIME_ENTRY_CANDIDATES} present.
 */
export function locateLinuxRuntime(options: LocateRuntimeOptions): AgentRuntime {
  const exists = options.exists ?? existsSync;
  if (options.runtimeDir === undefined || options.runtimeDir.trim() === '') {
    return {
      version: options.version,
      root: installationRoot(options.cliRoot, exists),
      entry: join(options.cliRoot, 'bin', 'run.js'),
    };
  }
  const root = resolve(options.cwd, options.runtimeDir.trim());
  const entry = RUNTIME_ENTRY_CANDIDATES.map((candidate) => join(root, candidate)).find(exists);
  if (entry === undefined) {
    throw new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      `--runtime-dir ${root} holds no colibri installation (looked for ${RUNTIME_ENTRY_CANDIDATES.join(', ')}): ` +
        `install colibri ${options.version} there, or leave --runtime-dir out to use this CLI's own installation`,
      { runtimeDir: root },
    );
  }
  return { version: options.version, root, entry };
}
