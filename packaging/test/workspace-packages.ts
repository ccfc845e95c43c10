import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One workspace package as its package.json declares it. */
export interface WorkspacePackage {
  /** The directory relative to the repository root, e.g. `packages/store`. */
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  /** Private packages (the test packages) are neither versioned nor published. */
  readonly private: boolean;
  readonly manifest: Readonly<Record<string, unknown>>;
}

/**
 * The packages `pnpm-workspace.yaml` lists (its `packages:` globs, `dir` or `dir/*`), read
 * from disk, so a package added by anyone is checked without touching the tests.
 */
export function listWorkspacePackages(root: string): WorkspacePackage[] {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\n((?:[ \t]+-.*\n?)+)/m.exec(yaml)?.[1] ?? '';
  const globs = [...block.matchAll(/^[ \t]+-[ \t]*["']?([^"'\n]+?)["']?[ \t]*$/gm)].map(
    (m) => m[1] as string,
  );
  const dirs = globs.flatMap((glob) =>
    glob.endsWith('/*')
      ? readdirSync(join(root, glob.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => `${glob.slice(0, -2)}/${entry.name}`)
      : [glob],
  );
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      return {
        dir,
        name: manifest.name as string,
        version: manifest.version as string,
        private: manifest.private === true,
        manifest,
      };
    })
    .sort((a, b) => a.dir.localeCompare(b.dir));
}
