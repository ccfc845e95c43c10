import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ColibriError } from '@colibri/errors';
import type { AgentRuntime } from '@colibri/spawner';

/** Where an installation keeps the colibri CLI entry, relative to its root, in the order tried. */
export const RUNTIME_ENTRY_CANDIDATES = [
  'apps/colibri/bin/run.js',
  'node_modules/@colibri/cli/bin/run.js',
  'bin/run.js',
] as const;

/** What locating reads from the file system; tests pass stand-ins. */
export interface RuntimeFileSystem {
  exists(path: string): boolean;
  readText(path: string): string;
}

const realFileSystem: RuntimeFileSystem = {
  exists: existsSync,
  readText: (path) => readFileSync(path, 'utf8'),
};

/**
 * The root of the installation colibrid runs from: the nearest ancestor holding
 * `pnpm-workspace.yaml` (a workspace checkout), else the parent of the top-most `node_modules`
 * above colibrid (an npm install), else colibrid's own package directory.
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
 * its CLI entry (`entry`, the first of {@link RUNTIME_ENTRY_CANDIDATES} under the root) and the
 * version that CLI's package.json declares (bootstrap checks `<entry> --version` against it).
 * `runtimeDir` undefined = the installation colibrid itself runs from. Resolved once at start:
 * a missing CLI is `COLIBRI_RUNTIME_UNAVAILABLE` naming where it looked.
 */
export function locateLinuxRuntime(
  runtimeDir: string | undefined,
  fs: RuntimeFileSystem = realFileSystem,
  daemonPackageDir: string = fileURLToPath(new URL('../..', import.meta.url)),
): AgentRuntime {
  const root = runtimeDir ?? installationRoot(daemonPackageDir.replace(/\/+$/, ''), fs);
  const entry = RUNTIME_ENTRY_CANDIDATES.map((candidate) => join(root, candidate)).find((path) =>
    fs.exists(path),
  );
  const where =
    runtimeDir === undefined
      ? `the installation colibrid runs from (${root})`
      : `--spawn-runtime-dir ${root}`;
  if (entry === undefined) {
    throw new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      `${where} holds no colibri CLI (looked for ${RUNTIME_ENTRY_CANDIDATES.join(', ')}): install @colibri/cli there or point --spawn-runtime-dir at an installation`,
      { runtimeDir: root },
    );
  }
  const manifest = join(dirname(dirname(entry)), 'package.json');
  let version: unknown;
  try {
    version = (JSON.parse(fs.readText(manifest)) as { version?: unknown }).version;
  } catch (error) {
    throw new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      `${where}: cannot read the CLI's version from ${manifest} (${(error as Error).message})`,
      { runtimeDir: root },
    );
  }
  if (typeof version !== 'string' || version === '') {
    throw new ColibriError('COLIBRI_RUNTIME_UNAVAILABLE', `${where}: ${manifest} declares no version`, {
      runtimeDir: root,
    });
  }
  return Object.freeze({ version, root, entry });
}
