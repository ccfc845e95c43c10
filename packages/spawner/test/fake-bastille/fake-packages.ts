/**
 * Packages for the fake pkg(8): JSON `{name, version, files: {jailPath: {content, mode}}}` in
 * `<cache>/<name>-<version>.pkg`. The fixture runtime's package installs `/usr/local/bin/colibri`
 * as a tiny sh script running the fixture's bin/run.js with the host's node (no chroot here).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FakePackage {
  readonly name: string;
  readonly version: string;
  readonly files: Readonly<Record<string, { readonly content: string; readonly mode?: number }>>;
}

/** The fixture runtime (test/fixtures/agent-runtime), as the host sees it. */
export const FIXTURE_RUN_JS = fileURLToPath(new URL('../fixtures/agent-runtime/bin/run.js', import.meta.url));
/** The version the fixture reports on `--version`. */
export const FIXTURE_VERSION = '0.1.0-fixture';
/** Where the fixture's package installs the CLI inside the jail. */
export const FIXTURE_ENTRY = '/usr/local/bin/colibri';

export async function writeFakePackage(dir: string, pkg: FakePackage): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${pkg.name}-${pkg.version}.pkg`);
  await writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`, { mode: 0o644 });
  return file;
}

/**
 * Fills `dir` with pkg, node20 and colibri packages for the fixture runtime. `colibriVersion` is
 * what the package CLAIMS (its file name and manifest); the installed CLI always reports
 * {@link FIXTURE_VERSION} — a different claim makes a package that lies about its version.
 */
export async function writeFixtureRuntimePackages(
  dir: string,
  options: { colibriVersion?: string } = {},
): Promise<Array<{ name: string; version: string }>> {
  const packages: FakePackage[] = [
    {
      name: 'pkg',
      version: '2.1.2',
      files: { '/usr/local/sbin/pkg-static': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 } },
    },
    {
      name: 'node20',
      version: '20.20.2',
      files: {
        '/usr/local/bin/node': { content: `#!/bin/sh\nexec '${process.execPath}' "$@"\n`, mode: 0o755 },
      },
    },
    {
      name: 'colibri',
      version: options.colibriVersion ?? FIXTURE_VERSION,
      files: {
        [FIXTURE_ENTRY]: {
          content: `#!/bin/sh\nexec '${process.execPath}' '${FIXTURE_RUN_JS}' "$@"\n`,
          mode: 0o755,
        },
      },
    },
  ];
  for (const pkg of packages) await writeFakePackage(dir, pkg);
  return packages.map(({ name, version }) => ({ name, version }));
}
