import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError, isColibriError } from '@colibri/errors';
import { openJailHome, type VerifiedDirectory } from './open-jail-home.js';

/** The name of the secrets file in the jail home. */
export const ENV_FILE_NAME = '.env';
/** The only mode the file ever has: read-write for its owner, nothing for anyone else. */
export const ENV_FILE_MODE = 0o600;
const MAX_UID = 2 ** 32 - 2;
/** An existing `.env` larger than this is simply replaced instead of compared. */
const MAX_COMPARE_BYTES = 4 * 1024 * 1024;

/** The jail user who will own the `.env`. */
export interface EnvFileOwner {
  readonly uid: number;
  readonly gid: number;
}

export interface WriteEnvFileOptions {
  /** Every jail home must be strictly inside this directory; its real path is taken once. */
  readonly allowedRoot: string;
  /** The absolute jail home directory that receives `.env`. */
  readonly jailHome: string;
  readonly owner: EnvFileOwner;
  /** The full file content, as `renderEnvFile` returns it. */
  readonly content: string;
}

/** Points in the write where a test can look (or interfere). Not part of the package API. */
export interface WriteEnvFileHooks {
  /** false: do not pin the directory through /proc (exercises the non-Linux re-walk). */
  readonly pin?: boolean;
  /** After the jail home was checked and opened, before anything is created in it. */
  afterDirectoryOpened?(directory: VerifiedDirectory): Promise<void>;
  /** Right after the temp file was created (empty, owned by the writer). */
  afterTempCreated?(tempPath: string): Promise<void>;
  /** After the temp file was written, synced and chowned; just before the rename. */
  beforeRename?(tempPath: string): Promise<void>;
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function describeType(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function checkOwner(owner: EnvFileOwner): void {
  for (const field of ['uid', 'gid'] as const) {
    const id = (owner as unknown as Record<string, unknown> | undefined)?.[field];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_UID) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `the .env owner's ${field} must be an integer from 0 to ${MAX_UID}, got ${JSON.stringify(id)}`,
        { field },
      );
    }
  }
}

/**
 * Whether the existing `.env` already is exactly what we would write: same bytes, same owner,
 * mode 0600, one link. Absent → false. Anything but a regular file → `COLIBRI_UNSAFE_PATH`.
 */
async function isUnchanged(
  envPath: string,
  shownPath: string,
  content: Buffer,
  owner: EnvFileOwner,
): Promise<boolean> {
  let seen: Stats;
  try {
    seen = await lstat(envPath);
  } catch (error) {
    if (errno(error) === 'ENOENT') return false;
    throw error;
  }
  if (!seen.isFile()) {
    throw new ColibriError(
      'COLIBRI_UNSAFE_PATH',
      `refusing to replace ${shownPath}: it is ${describeType(seen)}, not a regular file (a jail user may have ` +
        'planted it); remove it and provision again',
      { path: shownPath },
    );
  }
  if (
    seen.uid !== owner.uid ||
    seen.gid !== owner.gid ||
    (seen.mode & 0o7777) !== ENV_FILE_MODE ||
    seen.nlink !== 1 ||
    seen.size !== content.length ||
    seen.size > MAX_COMPARE_BYTES
  ) {
    return false;
  }
  // O_NONBLOCK: should the entry be swapped for a FIFO since the lstat, open must not hang.
  let handle: FileHandle;
  try {
    handle = await open(envPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== seen.ino || opened.dev !== seen.dev) return false;
    return (await handle.readFile()).equals(content);
  } finally {
    await handle.close();
  }
}

/** Wraps an unexpected file-system error with the path and what to check; keeps ColibriErrors. */
function toWriteError(error: unknown, shownPath: string): ColibriError {
  if (isColibriError(error)) return error;
  const code = errno(error) ?? 'error';
  const hint =
    code === 'EPERM' || code === 'EACCES'
      ? " (writing a jail user's .env needs root: it is chowned to the jail user)"
      : code === 'ENOSPC' || code === 'EROFS' || code === 'EDQUOT'
        ? ' (the file system is full or read-only)'
        : '';
  return new ColibriError(
    'COLIBRI_VAULT_WRITE_FAILED',
    `cannot write ${shownPath}: ${code}${hint}`,
    { path: shownPath, errno: code },
    { cause: error },
  );
}

/**
 * `writeEnvFile` with test hooks. Order of operations, each for a reason:
 * 1. check and open the jail home (see `openJailHome`); all later paths go through that open
 *    directory, so a parent swapped for a symlink after the check is not followed;
 * 2. an identical file (bytes, owner, mode 0600, one link) → `unchanged`, nothing is touched;
 * 3. create a temp file beside it with `O_CREAT|O_EXCL|O_NOFOLLOW` and mode 0600 (a umask can
 *    only narrow it; `fchmod` then sets exactly 0600), write, fsync, fchown to the jail user;
 * 4. rename over `.env` (atomic: readers see the old file or the new, never half of one), fsync
 *    the directory, and check the `.env` now is our inode.
 * On any failure the temp file is removed.
 */
export async function writeEnvFileWithHooks(
  options: WriteEnvFileOptions,
  hooks: WriteEnvFileHooks,
): Promise<'written' | 'unchanged'> {
  checkOwner(options.owner);
  if (typeof options.content !== 'string') {
    throw new ColibriError('COLIBRI_INVALID_INPUT', 'the .env content must be a string', {
      field: 'content',
    });
  }
  const content = Buffer.from(options.content, 'utf8');
  const directory = await openJailHome(options.allowedRoot, options.jailHome, {
    ...(hooks.pin === undefined ? {} : { pin: hooks.pin }),
  });
  const shownPath = join(directory.path, ENV_FILE_NAME);
  const envPath = join(directory.ref, ENV_FILE_NAME);
  let tempPath: string | undefined;
  let renamed = false;
  try {
    await hooks.afterDirectoryOpened?.(directory);
    if (await isUnchanged(envPath, shownPath, content, options.owner)) return 'unchanged';

    await directory.reverify();
    tempPath = join(directory.ref, `${ENV_FILE_NAME}.colibri-${randomBytes(8).toString('hex')}.tmp`);
    const temp = await open(
      tempPath,
      constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY,
      ENV_FILE_MODE,
    );
    let written: Stats;
    try {
      await hooks.afterTempCreated?.(tempPath);
      await temp.chmod(ENV_FILE_MODE);
      await temp.writeFile(content);
      await temp.sync();
      await temp.chown(options.owner.uid, options.owner.gid);
      written = await temp.stat();
    } finally {
      await temp.close();
    }
    await hooks.beforeRename?.(tempPath);

    await directory.reverify();
    await rename(tempPath, envPath);
    renamed = true;
    await directory.handle.sync();
    const now = await lstat(envPath);
    if (now.ino !== written.ino || now.dev !== written.dev) {
      throw new ColibriError(
        'COLIBRI_UNSAFE_PATH',
        `${shownPath} was replaced by someone else right after colibri wrote it; check the jail and provision again`,
        { path: shownPath },
      );
    }
    return 'written';
  } catch (error) {
    throw toWriteError(error, shownPath);
  } finally {
    if (tempPath !== undefined && !renamed) await unlink(tempPath).catch(() => undefined);
    await directory.close();
  }
}

/**
 * Writes `content` to `<jailHome>/.env`, mode 0600, owned by `owner`, atomically and without ever
 * following a symlink or leaving the allowed root. Returns `unchanged` (and writes nothing) when
 * the file already has exactly this content, owner and mode.
 *
 * Throws `COLIBRI_UNSAFE_PATH` (outside the root, a symlinked component, a `.env` that is not a
 * regular file, a swap during the write), `COLIBRI_INVALID_INPUT` (bad owner, missing jail home)
 * or `COLIBRI_VAULT_WRITE_FAILED` (an I/O error, e.g. not running as root).
 */
export function writeEnvFile(options: WriteEnvFileOptions): Promise<'written' | 'unchanged'> {
  return writeEnvFileWithHooks(options, {});
}
