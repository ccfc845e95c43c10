import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSecretsDirectory } from './check-secrets-directory.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-secrets-dir-'));
  await writeFile(join(base, 'a-file'), '');
});
afterAll(() => rm(base, { recursive: true, force: true }));

const refusal = (directory: string) =>
  checkSecretsDirectory({ kind: 'directory', directory }).then(
    () => undefined,
    (error: { code: string; message: string }) => error,
  );

describe('checkSecretsDirectory', () => {
  it('accepts a readable directory (with or without tenant files) and any Bitwarden source', async () => {
    await expect(checkSecretsDirectory({ kind: 'directory', directory: base })).resolves.toBeUndefined();
    await expect(
      checkSecretsDirectory({ kind: 'bitwarden' } as unknown as Parameters<typeof checkSecretsDirectory>[0]),
    ).resolves.toBeUndefined();
  });

  it('refuses a missing directory, a file, and a path through a file as invalid input naming the flag', async () => {
    for (const [path, why] of [
      [join(base, 'nonexistent'), 'does not exist'],
      [join(base, 'a-file'), 'is not a directory'],
      [join(base, 'a-file', 'below'), 'does not exist'],
    ] as const) {
      const error = await refusal(path);
      expect(error?.code).toBe('COLIBRI_INVALID_INPUT');
      expect(error?.message).toContain(`--secrets-dir ${path} ${why}`);
    }
  });

  it('refuses a directory this process cannot read (as a non-root user)', async () => {
    if (process.geteuid?.() === 0) {
      // Root reads every mode; the unreadable case is then proven by a real non-root process below.
      const { spawnSync } = await import('node:child_process');
      const locked = join(base, 'locked');
      await writeFile(join(base, 'probe.mjs'), '');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(locked, { mode: 0o700 });
      await chmod(base, 0o711);
      const script = `import(${JSON.stringify(new URL('../../dist/provision/check-secrets-directory.js', import.meta.url).href)}).then((m) => m.checkSecretsDirectory({ kind: 'directory', directory: ${JSON.stringify(locked)} })).then(() => console.log('accepted'), (e) => console.log(e.code, e.message));`;
      const result = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          '--input-type=module',
          '-e',
          script,
        ],
        { encoding: 'utf8' },
      );
      expect(result.stdout).toMatch(
        /^COLIBRI_INVALID_INPUT --secrets-dir .*locked cannot be read \(EACCES\)/,
      );
      return;
    }
    const locked = join(base, 'locked');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(locked, { mode: 0o000 });
    expect((await refusal(locked))?.message).toMatch(/cannot be read/);
  });
});
