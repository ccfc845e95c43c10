import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeEnvFile } from './remove-env-file.js';

let base: string;
let root: string;
let home: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-remove-env-'));
  root = join(base, 'jails');
  home = join(root, 'acme', 'home', 'agent');
  await mkdir(home, { recursive: true });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );

describe('removeEnvFile', () => {
  it('removes the file; again: absent', async () => {
    await writeFile(join(home, '.env'), "A='1'\n", { mode: 0o600 });
    expect(await removeEnvFile(join(home, '.env'), root)).toBe('removed');
    expect(await removeEnvFile(join(home, '.env'), root)).toBe('absent');
    expect(await removeEnvFile(join(root, 'gone', 'home', '.env'), root)).toBe('absent');
  });

  it('a planted link is removed, its target untouched', async () => {
    const target = join(base, 'host-file');
    await writeFile(target, 'host data\n');
    await symlink(target, join(home, '.env'));
    expect(await removeEnvFile(join(home, '.env'), root)).toBe('removed');
    expect(await readFile(target, 'utf8')).toBe('host data\n');
  });

  it('refuses a directory reached through a link, one outside the root, and anything not a .env', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, '.env'), 'keep\n');
    await symlink(outside, join(root, 'acme', 'home', 'linked'));
    expect(await code(removeEnvFile(join(root, 'acme', 'home', 'linked', '.env'), root))).toBe(
      'COLIBRI_UNSAFE_PATH',
    );
    expect(await code(removeEnvFile(join(outside, '.env'), root))).toBe('COLIBRI_UNSAFE_PATH');
    expect(await code(removeEnvFile(join(root, '.env'), root))).toBe('COLIBRI_UNSAFE_PATH');
    expect(await code(removeEnvFile(join(home, 'other'), root))).toBe('COLIBRI_UNSAFE_PATH');
    expect(await code(removeEnvFile('.env', root))).toBe('COLIBRI_UNSAFE_PATH');
    expect((await stat(join(outside, '.env'))).isFile()).toBe(true);
  });
});
