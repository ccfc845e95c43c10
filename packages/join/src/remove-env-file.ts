import { lstat, realpath, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, sep } from 'node:path';
import { ColibriError } from '@colibri/errors';

/**
 * Removes a `.env` the join chain wrote (rollback). The file is unlinked, never opened, so a link
 * the jail user planted in its place is removed, not followed. Its directory must resolve to
 * itself (no symbolic link on the way) and lie strictly inside `allowedRoot`: otherwise
 * `COLIBRI_UNSAFE_PATH` and nothing is touched. `absent` when there is no file.
 */
export async function removeEnvFile(path: string, allowedRoot: string): Promise<'removed' | 'absent'> {
  if (!isAbsolute(path) || !isAbsolute(allowedRoot) || basename(path) !== '.env') {
    throw new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      `refusing to remove ${path}: not an absolute path to a .env`,
      {
        path,
      },
    );
  }
  const directory = dirname(path);
  let realDirectory: string;
  let realRoot: string;
  try {
    [realDirectory, realRoot] = await Promise.all([realpath(directory), realpath(allowedRoot)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  const inside = relative(realRoot, realDirectory);
  if (
    realDirectory !== directory ||
    inside === '' ||
    inside.startsWith(`..${sep}`) ||
    inside === '..' ||
    isAbsolute(inside)
  ) {
    throw new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      `refusing to remove ${path}: its directory is not a plain directory inside ${allowedRoot} (it resolves to ${realDirectory})`,
      { path, allowedRoot },
    );
  }
  try {
    await lstat(path);
    await unlink(path);
    return 'removed';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}
