import { chmod, chown, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeJailRoot, JailRoot } from './jail-root.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-root-'));
});
afterEach(() => rm(base, { recursive: true, force: true }));

describe('JailRoot', () => {
  it('creates a missing root as root 0711 and resolves it once', async () => {
    const root = new JailRoot(join(base, 'a', 'jails'));
    expect(await root.existing()).toBeUndefined();
    expect((await describeJailRoot(join(base, 'a', 'jails'))).ok).toBe(true);
    const real = await root.ensure();
    expect(real).toBe(join(base, 'a', 'jails'));
    expect((await describeJailRoot(real)).detail).toContain('mode 0711');
  });

  it('refuses a symlinked, group-writable or foreign-owned root', async () => {
    await mkdir(join(base, 'real'), { mode: 0o711 });
    await symlink(join(base, 'real'), join(base, 'link'));
    await expect(new JailRoot(join(base, 'link')).ensure()).rejects.toMatchObject({
      code: 'COLIBRI_UNSAFE_PATH',
    });
    expect(await describeJailRoot(join(base, 'link'))).toMatchObject({
      ok: false,
      detail: expect.stringContaining('symlink'),
    });

    await mkdir(join(base, 'open'));
    await chmod(join(base, 'open'), 0o777);
    await expect(new JailRoot(join(base, 'open')).ensure()).rejects.toMatchObject({
      code: 'COLIBRI_UNSAFE_PATH',
    });
    expect(await describeJailRoot(join(base, 'open'))).toMatchObject({
      ok: false,
      fix: expect.stringContaining('chmod 0711'),
    });

    await mkdir(join(base, 'theirs'), { mode: 0o711 });
    await chown(join(base, 'theirs'), 65534, 65534);
    expect(await describeJailRoot(join(base, 'theirs'))).toMatchObject({
      ok: false,
      fix: expect.stringContaining('chown root'),
    });
  });

  it('refuses a symlink anywhere below the root and any non-plain component', async () => {
    const root = new JailRoot(join(base, 'jails'));
    const real = await root.ensure();
    await mkdir(join(real, 'acme'));
    await symlink('/etc', join(real, 'acme', 'home'));
    await expect(root.path(real, 'acme', 'home', 'agent')).rejects.toMatchObject({
      code: 'COLIBRI_UNSAFE_PATH',
    });
    await symlink(join(real, 'acme'), join(real, 'evil'));
    await expect(root.path(real, 'evil')).rejects.toMatchObject({ code: 'COLIBRI_UNSAFE_PATH' });
    for (const bad of ['..', '.', '', 'a/b', 'x\0y']) {
      await expect(root.path(real, bad)).rejects.toMatchObject({ code: 'COLIBRI_UNSAFE_PATH' });
    }
    expect(await root.path(real, 'acme', 'run')).toBe(join(real, 'acme', 'run'));
    expect(await root.path(real, 'missing', 'deeper')).toBe(join(real, 'missing', 'deeper'));
  });
});
