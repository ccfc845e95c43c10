import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ColibriError } from '@colibri/errors';
import type { AgentRuntime } from '../jail-driver.js';

/** Where an installation keeps the colibri CLI entry, relative to its root, in the order tried. */
export const RUNTIME_ENTRY_CANDIDATES = [
  'apps/colibri/bin/run.js',
  'node_modules/@colibri/cli/bin/run.js',
  'bin/run.js',
] as const;

/**
 * The CLI's light `run-agent` entry, relative to its package directory (one bundle that starts the
 * agent without loading the CLI framework: apps/colibri/scripts/build-run-agent.mjs).
 */
export const RUNTIME_AGENT_ENTRY = 'dist/run-agent.bundle.cjs';

/** What locating reads from the file system; tests pass stand-ins. */
export interface RuntimeFileSystem {
  /** True when something exists at `path` (links followed). */
  exists(path: string): boolean;
  /** The file's text (UTF-8); throws when it cannot be read. */
  readText(path: string): string;
}

const realFileSystem: RuntimeFileSystem = {
  exists: existsSync,
  readText: (path) => readFileSync(path, 'utf8'),
};

export interface LocateColibriRuntimeOptions {
  /**
   * The calling app's package directory, absolute (the CLI's oclif `config.root`, colibrid's
   * package): without `runtimeDir`, the runtime is the installation this directory belongs to.
   */
  readonly packageDir: string;
  /**
   * Another installation's root, absolute (the app resolves its flag against its working
   * directory); undefined or blank = the caller's own installation.
   */
  readonly runtimeDir?: string | undefined;
  /** The app's flag for `runtimeDir` (`--runtime-dir`, `--spawn-runtime-dir`): errors name it. */
  readonly runtimeDirFlag: string;
  /**
   * The version the runtime is pinned to (the CLI pins it to itself): a CLI found declaring
   * another is refused. Undefined = whatever the found CLI declares.
   */
  readonly version?: string | undefined;
  readonly fs?: RuntimeFileSystem;
}

/**
 * The directory holding an installed colibri AND everything it loads: in a pnpm workspace the
 * workspace root (the nearest ancestor with `pnpm-workspace.yaml`: the packages are symlinks into
 * its `node_modules/.pnpm`); in an npm install the parent of the top-most `node_modules` above
 * `packageDir`; otherwise `packageDir` itself.
 */
export function installationRoot(packageDir: string, fs: RuntimeFileSystem = realFileSystem): string {
  for (let dir = packageDir; ; dir = dirname(dir)) {
    if (fs.exists(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) break;
  }
  let topmost: string | undefined;
  for (let dir = packageDir; dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === 'node_modules') topmost = dir;
  }
  return topmost === undefined ? packageDir : dirname(topmost);
}

/**
 * The linux driver's runtime: a colibri installation bound read-only into each jail (`root`),
 * its CLI entry (`entry`, the first of {@link RUNTIME_ENTRY_CANDIDATES} under the root), the CLI's
 * light run-agent entry when it has one (`agentEntry`, {@link RUNTIME_AGENT_ENTRY}) and the
 * version that CLI's package.json declares (bootstrap checks `<entry> --version` inside the jail
 * against it). A missing CLI, an unreadable version or one that differs from the pinned
 * `version` is `COLIBRI_RUNTIME_UNAVAILABLE` saying where it looked and what to do.
 */
export function locateColibriRuntime(options: LocateColibriRuntimeOptions): AgentRuntime {
  const fs = options.fs ?? realFileSystem;
  const flag = options.runtimeDirFlag;
  const packageDir = absolute(options.packageDir, 'packageDir');
  const runtimeDir = options.runtimeDir?.trim() || undefined;
  const root = runtimeDir === undefined ? installationRoot(packageDir, fs) : absolute(runtimeDir, flag);
  const where =
    runtimeDir === undefined ? `the installation ${packageDir} belongs to (${root})` : `${flag} ${root}`;
  const unavailable = (message: string): ColibriError =>
    new ColibriError('COLIBRI_RUNTIME_UNAVAILABLE', `${where}${message}`, { runtimeDir: root });
  const wanted = options.version === undefined ? '@colibri/cli' : `@colibri/cli ${options.version}`;
  const remedy =
    runtimeDir === undefined
      ? `install ${wanted} there, or name an installation with ${flag} DIR`
      : `install ${wanted} there, or leave ${flag} out to use the installation ${packageDir} belongs to`;

  const entry = RUNTIME_ENTRY_CANDIDATES.map((candidate) => join(root, candidate)).find((path) =>
    fs.exists(path),
  );
  if (entry === undefined) {
    throw unavailable(` holds no colibri CLI (looked for ${RUNTIME_ENTRY_CANDIDATES.join(', ')}): ${remedy}`);
  }
  const manifest = join(dirname(dirname(entry)), 'package.json');
  let version: unknown;
  try {
    version = (JSON.parse(fs.readText(manifest)) as { version?: unknown } | null)?.version;
  } catch (error) {
    throw unavailable(`: cannot read the CLI's version from ${manifest} (${(error as Error).message})`);
  }
  if (typeof version !== 'string' || version === '') {
    throw unavailable(`: ${manifest} declares no version`);
  }
  if (options.version !== undefined && version !== options.version) {
    // Bootstrap would refuse it inside every jail anyway; say so once, before anything is touched.
    throw unavailable(
      ` holds colibri ${version} (${manifest}), but the runtime is pinned to ${options.version}: ${remedy}`,
    );
  }
  const agentEntry = join(dirname(dirname(entry)), RUNTIME_AGENT_ENTRY);
  return Object.freeze({ version, root, entry, ...(fs.exists(agentEntry) ? { agentEntry } : {}) });
}

/** `path` normalised (no trailing slash); a relative one is a caller's mistake, refused. */
function absolute(path: string, what: string): string {
  if (!isAbsolute(path)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `${what} must be an absolute path, got ${JSON.stringify(path)}`,
      { field: what },
    );
  }
  return resolve(path);
}
