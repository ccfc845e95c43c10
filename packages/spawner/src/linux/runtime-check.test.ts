import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRuntimeFiles, unreadableByOthers, versionFromOutput } from './runtime-check.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-runtime-'));
  await chmod(base, 0o755);
});
afterEach(() => rm(base, { recursive: true, force: true }));

async function runtimeAt(root: string, manifest: object) {
  await mkdir(join(root, 'bin'), { recursive: true });
  await writeFile(join(root, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(root, 'bin', 'run.js'), '');
  return { version: '1.2.3', root, entry: join(root, 'bin', 'run.js') };
}

describe('checkRuntimeFiles (the cold-cache guard)', () => {
  it('accepts a complete runtime and returns real paths', async () => {
    const runtime = await runtimeAt(join(base, 'rt'), { dependencies: { dep: '1' } });
    await mkdir(join(base, 'rt', 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(base, 'rt', 'node_modules', 'dep', 'package.json'), '{}');
    expect(await checkRuntimeFiles(runtime, '/var/lib/colibri/jails')).toEqual({
      version: '1.2.3',
      root: join(base, 'rt'),
      entry: join(base, 'rt', 'bin', 'run.js'),
      // The package.json the dependency check read (a fact a remembered bootstrap run depends on).
      manifest: join(base, 'rt', 'package.json'),
    });
  });

  it('names what is missing and how to fill it', async () => {
    const missingRoot = {
      version: '1.2.3',
      root: join(base, 'nope'),
      entry: join(base, 'nope', 'bin', 'run.js'),
    };
    await expect(checkRuntimeFiles(missingRoot, '/j')).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringMatching(/nope is missing: install colibri 1\.2\.3 at .*nope/),
    });
    const cold = await runtimeAt(join(base, 'cold'), { dependencies: { '@oclif/core': '4', valibot: '1' } });
    await expect(checkRuntimeFiles(cold, '/j')).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringContaining('lacks node_modules for @oclif/core, valibot'),
    });
    const noEntry = { ...cold, entry: join(base, 'cold', 'bin', 'missing.js') };
    await expect(checkRuntimeFiles(noEntry, '/j')).rejects.toMatchObject({
      message: expect.stringContaining('missing.js is missing'),
    });
    const outside = { ...cold, entry: join(base, 'elsewhere.js') };
    await writeFile(outside.entry, '');
    await expect(checkRuntimeFiles(outside, '/j')).rejects.toMatchObject({
      message: expect.stringContaining('not inside'),
    });
    await expect(checkRuntimeFiles({ version: '1', entry: '/x' }, '/j')).rejects.toMatchObject({
      message: expect.stringContaining('needs runtime.root'),
    });
  });

  it('refuses a runtime inside the jail root (a jail user could rewrite it)', async () => {
    const runtime = await runtimeAt(join(base, 'jails', 'rt'), {});
    await expect(checkRuntimeFiles(runtime, join(base, 'jails'))).rejects.toMatchObject({
      message: expect.stringContaining('overlaps the jail root'),
    });
  });
});

describe('unreadableByOthers', () => {
  it('finds the first directory others cannot traverse or a file they cannot read', async () => {
    const runtime = await runtimeAt(join(base, 'rt'), {});
    await chmod(join(base, 'rt'), 0o755);
    await chmod(runtime.entry, 0o644);
    expect(await unreadableByOthers(runtime.entry)).toBeUndefined();
    await chmod(join(base, 'rt'), 0o750);
    expect(await unreadableByOthers(runtime.entry)).toEqual({ path: join(base, 'rt'), mode: '0750' });
    await chmod(join(base, 'rt'), 0o755);
    await chmod(runtime.entry, 0o600);
    expect(await unreadableByOthers(runtime.entry)).toEqual({ path: runtime.entry, mode: '0600' });
  });
});

describe('versionFromOutput', () => {
  it('reads oclif and bare versions', () => {
    expect(versionFromOutput('colibri/0.1.0 linux-x64 node-v20.20.2\n')).toBe('0.1.0');
    expect(versionFromOutput('colibri/0.1.0-fixture linux-x64 node-v20.20.2')).toBe('0.1.0-fixture');
    expect(versionFromOutput('@colibri/cli/0.0.0 linux-x64 node-v20.20.2\n')).toBe('0.0.0');
    expect(versionFromOutput('\n  v1.4.4\n')).toBe('1.4.4');
    expect(versionFromOutput('colibri/not-a-version linux-x64')).toBeUndefined();
    expect(versionFromOutput('0.2.0\n')).toBe('0.2.0');
    expect(versionFromOutput('command not found')).toBeUndefined();
  });
});

describe('checkRuntimeFiles and symlinked dependencies', () => {
  it('refuses dependencies linked outside the root (pnpm workspaces), naming them', async () => {
    const runtime = await runtimeAt(join(base, 'app'), { dependencies: { dep: '1' } });
    await mkdir(join(base, 'store', 'dep'), { recursive: true });
    await writeFile(join(base, 'store', 'dep', 'package.json'), '{}');
    await mkdir(join(base, 'app', 'node_modules'));
    const { symlink } = await import('node:fs/promises');
    await symlink(join(base, 'store', 'dep'), join(base, 'app', 'node_modules', 'dep'));
    await expect(checkRuntimeFiles(runtime, '/j')).rejects.toMatchObject({
      code: 'COLIBRI_RUNTIME_UNAVAILABLE',
      message: expect.stringContaining(
        `links dependencies outside itself, which the sandbox cannot see (dep -> ${join(base, 'store', 'dep')})`,
      ),
    });
    // With the directory holding the links as the root, the same tree is fine.
    expect((await checkRuntimeFiles({ ...runtime, root: base }, '/j')).root).toBe(base);
  });
});
