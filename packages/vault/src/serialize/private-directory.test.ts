import { chmod, chown, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDirectory } from './private-directory.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-private-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refusal(path: string): Promise<ColibriError> {
  const error = await ensurePrivateDirectory(path, 'the bw appdata dir').catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ColibriError);
  expect((error as ColibriError).code).toBe('COLIBRI_UNSAFE_PATH');
  return error as ColibriError;
}

describe('ensurePrivateDirectory', () => {
  it('creates a missing directory with mode 0700 even under umask 000', async () => {
    const previous = process.umask(0);
    try {
      await ensurePrivateDirectory(join(base, 'bw'), 'the bw appdata dir');
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(base, 'bw'))).mode & 0o777).toBe(0o700);
  });

  it('refuses group/other bits, another owner and a symlink, saying how to fix it', async () => {
    const open = join(base, 'open');
    await mkdir(open);
    await chmod(open, 0o750);
    expect((await refusal(open)).message).toContain(`chmod 700 ${open}`);

    const foreign = join(base, 'foreign');
    await mkdir(foreign, { mode: 0o700 });
    await chown(foreign, 12345, 12345);
    expect((await refusal(foreign)).message).toContain('owned by uid 12345');

    const real = join(base, 'real');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, join(base, 'link'));
    expect((await refusal(join(base, 'link'))).message).toContain('not a directory');
  });
});
