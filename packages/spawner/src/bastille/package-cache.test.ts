import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkBastilleRuntime,
  checkColibriPackageVersion,
  isPinnedVersion,
  locateCachedPackages,
} from './package-cache.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const packages = [
  { name: 'pkg', version: '2.1.2' },
  { name: 'node20', version: '20.20.2' },
  { name: 'colibri', version: '0.1.0' },
];
const runtime = (cache: string) =>
  checkBastilleRuntime({ version: '0.1.0', entry: '/usr/local/bin/colibri', packageCache: cache, packages });

describe('checkBastilleRuntime', () => {
  it.each([
    ['a relative entry', { entry: 'usr/local/bin/colibri' }],
    ['an entry with ..', { entry: '/usr/local/../bin/colibri' }],
    ['no package cache', { packageCache: undefined }],
    ['a relative package cache', { packageCache: 'cache' }],
    ['no packages', { packages: [] }],
    ['an option-like package', { packages: [{ name: '-f', version: '1' }] }],
    ['a version with a slash', { version: '0.1/0' }],
  ])('refuses %s with COLIBRI_INVALID_INPUT', (_what, override) => {
    const input = {
      version: '0.1.0',
      entry: '/usr/local/bin/colibri',
      packageCache: '/var/cache/colibri',
      packages,
      ...override,
    };
    try {
      checkBastilleRuntime(input as never);
      expect.unreachable();
    } catch (error) {
      expect(isColibriError(error, 'COLIBRI_INVALID_INPUT')).toBe(true);
    }
  });
});

describe('locateCachedPackages (the cold-cache guard)', () => {
  it('finds files at the top of the cache or under All/ (where pkg fetch -o puts them)', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'colibri-cache-'));
    dirs.push(cache);
    await mkdir(join(cache, 'All'));
    await writeFile(join(cache, 'pkg-2.1.2.pkg'), '');
    await writeFile(join(cache, 'All', 'node20-20.20.2.pkg'), '');
    await writeFile(join(cache, 'All', 'colibri-0.1.0.pkg'), '');
    expect(await locateCachedPackages(runtime(cache), 'acme')).toEqual([
      { name: 'pkg', version: '2.1.2', file: 'pkg-2.1.2.pkg' },
      { name: 'node20', version: '20.20.2', file: 'All/node20-20.20.2.pkg' },
      { name: 'colibri', version: '0.1.0', file: 'All/colibri-0.1.0.pkg' },
    ]);
  });

  it('lists every missing file and the pkg fetch that fills the cache', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'colibri-cache-'));
    dirs.push(cache);
    await writeFile(join(cache, 'pkg-2.1.2.pkg'), '');
    try {
      await locateCachedPackages(runtime(cache), 'acme');
      expect.unreachable();
    } catch (error) {
      expect(isColibriError(error, 'COLIBRI_RUNTIME_UNAVAILABLE')).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain('node20-20.20.2.pkg, colibri-0.1.0.pkg');
      expect(message).toContain(`pkg fetch -y -o ${cache} -d node20 colibri`);
      expect(message).toContain('nothing was changed in jail acme');
    }
  });
});

describe('the colibri package pin', () => {
  it('accepts the pinned version and a ports revision of it', () => {
    expect(isPinnedVersion('0.1.0', '0.1.0')).toBe(true);
    expect(isPinnedVersion('0.1.0_1', '0.1.0')).toBe(true);
    expect(isPinnedVersion('0.1.0,1', '0.1.0')).toBe(true);
    expect(isPinnedVersion('0.1.01', '0.1.0')).toBe(false);
    expect(isPinnedVersion('0.2.0', '0.1.0')).toBe(false);
  });

  it('refuses a runtime whose colibri package is another version, naming both', () => {
    const pinned = checkBastilleRuntime({
      version: '0.2.0',
      entry: '/usr/local/bin/colibri',
      packageCache: '/var/cache/colibri',
      packages,
    });
    try {
      checkColibriPackageVersion(pinned, 'acme');
      expect.unreachable();
    } catch (error) {
      expect(isColibriError(error, 'COLIBRI_RUNTIME_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toContain('pins colibri 0.2.0 but its packages list colibri 0.1.0');
    }
  });
});
