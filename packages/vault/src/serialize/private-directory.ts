import { lstat, mkdir } from 'node:fs/promises';
import { ColibriError } from '@colibri/errors';

/**
 * Creates `path` (mode 0700) if missing, then requires it to be a real directory owned by this
 * process's user with no group or other permission bits: it will hold bw's data.json, which
 * stores the API client secret in plaintext. Throws `COLIBRI_UNSAFE_PATH` saying how to fix it.
 */
export async function ensurePrivateDirectory(path: string, what: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const stats = await lstat(path);
  if (!stats.isDirectory()) {
    throw new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      `${what} ${path} is not a directory (a symlink?); point it at a real directory`,
      { path },
    );
  }
  const uid = process.geteuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      `${what} ${path} is owned by uid ${stats.uid}, not by this process (uid ${uid}); ` +
        `chown it to uid ${uid} or use another directory`,
      { path, ownerUid: stats.uid },
    );
  }
  if ((stats.mode & 0o077) !== 0) {
    throw new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      `${what} ${path} is accessible to group or others (mode ${(stats.mode & 0o777).toString(8)}); ` +
        `run chmod 700 ${path}`,
      { path, mode: (stats.mode & 0o777).toString(8) },
    );
  }
}
