import { stat } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { ColibriError } from '@colibri/errors';
import type { AgentRuntime } from '../jail-driver.js';

/** A runtime as the bastille driver installs it, checked once. */
export interface BastilleRuntime {
  readonly version: string;
  /** The CLI inside the jail, e.g. `/usr/local/bin/colibri`. */
  readonly entry: string;
  /** The host directory holding the `.pkg` files. */
  readonly packageCache: string;
  readonly packages: ReadonlyArray<{ readonly name: string; readonly version: string }>;
}

/** A pinned package found in the cache: `file` is relative to the cache (`x-1.pkg` or `All/x-1.pkg`). */
export interface CachedPackage {
  readonly name: string;
  readonly version: string;
  readonly file: string;
}

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_,-]{0,63}$/;
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;
const JAIL_PATH = /^\/[A-Za-z0-9._/+-]+$/;

function invalid(message: string, field: string): never {
  throw new ColibriError('COLIBRI_INVALID_INPUT', `bastille runtime: ${message}`, { field });
}

/** Validates what bootstrap needs from an {@link AgentRuntime}: nothing from it reaches argv unchecked. */
export function checkBastilleRuntime(runtime: AgentRuntime): BastilleRuntime {
  if (typeof runtime !== 'object' || runtime === null) invalid('the runtime must be an object', 'runtime');
  if (typeof runtime.version !== 'string' || !VERSION.test(runtime.version)) {
    invalid(`version must be a version like 0.1.0, got ${JSON.stringify(runtime.version)}`, 'version');
  }
  const entry = runtime.entry;
  if (typeof entry !== 'string' || !JAIL_PATH.test(entry) || normalize(entry) !== entry) {
    invalid(
      `entry must be a normalized absolute path inside the jail like /usr/local/bin/colibri, got ${JSON.stringify(entry)}`,
      'entry',
    );
  }
  const cache = runtime.packageCache;
  if (typeof cache !== 'string' || !isAbsolute(cache) || cache.includes('\0') || /\s/.test(cache)) {
    invalid(
      `packageCache must be the absolute host directory of the pinned .pkg files (no spaces), got ${JSON.stringify(cache)}`,
      'packageCache',
    );
  }
  const packages = runtime.packages;
  if (!Array.isArray(packages) || packages.length === 0) {
    invalid(
      'packages must list the pinned packages to install, e.g. [{name: "colibri", version: "0.1.0"}]',
      'packages',
    );
  }
  packages.forEach((pkg, index) => {
    if (
      typeof pkg?.name !== 'string' ||
      !PACKAGE_NAME.test(pkg.name) ||
      typeof pkg.version !== 'string' ||
      !VERSION.test(pkg.version)
    ) {
      invalid(
        `packages[${index}] must be {name, version} with plain package names and versions, got ${JSON.stringify(pkg)}`,
        `packages[${index}]`,
      );
    }
  });
  return Object.freeze({
    version: runtime.version,
    entry,
    packageCache: normalize(cache).replace(/\/+$/, ''),
    packages: packages.map(({ name, version }) => Object.freeze({ name, version })),
  });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The cold-cache guard: every pinned package as `<cache>/<name>-<version>.pkg` (or under `All/`,
 * where `pkg fetch -o` puts them). Throws `COLIBRI_RUNTIME_UNAVAILABLE` listing every missing file
 * and the command that fills the cache — before anything in the jail is changed.
 */
export async function locateCachedPackages(runtime: BastilleRuntime, jail: string): Promise<CachedPackage[]> {
  const found: CachedPackage[] = [];
  const missing: string[] = [];
  for (const { name, version } of runtime.packages) {
    const file = `${name}-${version}.pkg`;
    const where = [file, `All/${file}`];
    let hit: string | undefined;
    for (const candidate of where) {
      if (await isFile(join(runtime.packageCache, candidate))) {
        hit = candidate;
        break;
      }
    }
    if (hit === undefined) missing.push(file);
    else found.push({ name, version, file: hit });
  }
  if (missing.length > 0) {
    const names = runtime.packages
      .filter(({ name, version }) => missing.includes(`${name}-${version}.pkg`))
      .map(({ name }) => name);
    throw new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      `the package cache ${runtime.packageCache} lacks ${missing.join(', ')}: fill it on a host with network access ` +
        `(\`pkg fetch -y -o ${runtime.packageCache} -d ${names.join(' ')}\`, the files land in ${runtime.packageCache}/All) ` +
        `and run again; nothing was changed in jail ${jail}`,
      { jail, packageCache: runtime.packageCache, missing },
    );
  }
  return found;
}

/** True when a package version is the pinned version, allowing a ports revision (`0.1.0_1`, `0.1.0,1`). */
export function isPinnedVersion(packageVersion: string, pinned: string): boolean {
  return (
    packageVersion === pinned ||
    packageVersion.startsWith(`${pinned}_`) ||
    packageVersion.startsWith(`${pinned},`)
  );
}

/**
 * The `colibri` package, when listed, must be the pinned runtime version: caught here, before the
 * jail is changed, instead of after installing the wrong CLI.
 */
export function checkColibriPackageVersion(runtime: BastilleRuntime, jail: string): void {
  const colibri = runtime.packages.find((pkg) => pkg.name === 'colibri');
  if (colibri !== undefined && !isPinnedVersion(colibri.version, runtime.version)) {
    throw new ColibriError(
      'COLIBRI_RUNTIME_UNAVAILABLE',
      `the runtime pins colibri ${runtime.version} but its packages list colibri ${colibri.version}: ` +
        `list colibri-${runtime.version}.pkg (and fetch it into ${runtime.packageCache}); nothing was changed in jail ${jail}`,
      { jail, expected: runtime.version, listed: colibri.version },
    );
  }
}
