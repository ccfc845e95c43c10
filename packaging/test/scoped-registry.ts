import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';

/** One packed tarball and the manifest inside it (workspace ranges already rewritten by pnpm). */
export interface PackedPackage {
  readonly file: string;
  readonly manifest: { readonly name: string; readonly version: string } & Record<string, unknown>;
}

/** Reads `package/package.json` out of a tarball `pnpm pack` wrote. */
export function readPacked(file: string): PackedPackage {
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }),
  );
  return { file, manifest };
}

/** A running registry for one scope; `url` goes into `--@scope:registry=`. */
export interface ScopedRegistry {
  readonly url: string;
  /** Every path npm asked for, to prove nothing of the scope came from elsewhere. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * The smallest npm registry that serves the packed tarballs: one packument per package, the
 * tarballs with their sha512 integrity. npm is pointed at it for the `@colibri` scope only
 * (everything else comes from the real registry), so the packed packages resolve each other
 * exactly as they will once published, and never a same-named package of someone else's.
 */
export async function startScopedRegistry(packages: readonly PackedPackage[]): Promise<ScopedRegistry> {
  const requests: string[] = [];
  const byName = new Map<string, PackedPackage[]>();
  for (const pkg of packages) byName.set(pkg.manifest.name, [...(byName.get(pkg.manifest.name) ?? []), pkg]);
  const files = new Map(packages.map((pkg) => [basename(pkg.file), pkg.file]));
  let base = '';
  const server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0] as string);
    requests.push(path);
    const tarball = /^\/-\/(.+\.tgz)$/.exec(path)?.[1];
    if (tarball !== undefined && files.has(tarball)) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(readFileSync(files.get(tarball) as string));
      return;
    }
    const versions = byName.get(path.slice(1));
    if (versions === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":"not found"}');
      return;
    }
    const packument = {
      name: path.slice(1),
      'dist-tags': { latest: versions.at(-1)?.manifest.version },
      versions: Object.fromEntries(
        versions.map((pkg) => {
          const body = readFileSync(pkg.file);
          return [
            pkg.manifest.version,
            {
              ...pkg.manifest,
              _id: `${pkg.manifest.name}@${pkg.manifest.version}`,
              dist: {
                tarball: `${base}/-/${basename(pkg.file)}`,
                integrity: `sha512-${createHash('sha512').update(body).digest('base64')}`,
                shasum: createHash('sha1').update(body).digest('hex'),
              },
            },
          ];
        }),
      ),
    };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
