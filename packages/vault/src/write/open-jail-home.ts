import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ColibriError } from '@colibri/errors';

/**
 * A jail home directory that was checked (under the allowed root, no symlinked component) and is
 * held open, so that later steps act on that very directory even if a path component is swapped.
 */
export interface VerifiedDirectory {
  /** The checked absolute path, for messages. */
  readonly path: string;
  /**
   * The prefix to join entry names to. On Linux it is `/proc/self/fd/<fd>`: the kernel resolves it
   * to the open directory itself, whatever happened to its path since the check. Elsewhere it is
   * {@link path}, and {@link reverify} must run before each step (see the README's residual risk).
   */
  readonly ref: string;
  /** True when {@link ref} goes through the open descriptor (Linux). */
  readonly pinned: boolean;
  /** The open directory (for fsync). */
  readonly handle: FileHandle;
  /** Re-walks the path and checks it still leads to the open directory; a no-op when pinned. */
  reverify(): Promise<void>;
  close(): Promise<void>;
}

function unsafe(message: string, details: Record<string, unknown>): ColibriError {
  return new ColibriError('COLIBRI_UNSAFE_PATH', message, details);
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** `path` relative to `root` when strictly inside it, else undefined. */
function inside(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel;
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** lstat every component below the (trusted) root: each must exist and be a real directory. */
async function walk(root: string, components: readonly string[], jailHome: string): Promise<Stats> {
  let current = root;
  let last = await lstat(root);
  for (const component of components) {
    current = join(current, component);
    try {
      last = await lstat(current);
    } catch (error) {
      if (errno(error) === 'ENOENT') {
        throw new ColibriError(
          'COLIBRI_INVALID_INPUT',
          `jail home ${jailHome} does not exist (${current} is missing): create the jail first, or pass the right --jail-home`,
          { jailHome, missing: current },
        );
      }
      throw error;
    }
    if (last.isSymbolicLink()) {
      throw unsafe(
        `refusing to write into ${jailHome}: ${current} is a symbolic link (colibri never writes through links; ` +
          'a jail user may have planted it)',
        { jailHome, symlink: current },
      );
    }
    if (!last.isDirectory()) {
      throw unsafe(`refusing to write into ${jailHome}: ${current} is not a directory`, {
        jailHome,
        notDirectory: current,
      });
    }
  }
  return last;
}

/**
 * Canonicalizes `jailHome`, requires it strictly under `allowedRoot` (whose real path is taken
 * once), refuses any symlinked component, then opens it with `O_DIRECTORY|O_NOFOLLOW` and checks
 * the open descriptor is the directory that was checked (same device and inode). `pin: false`
 * (tests only) skips the `/proc/self/fd` pinning to exercise the re-walk used elsewhere.
 *
 * Throws `COLIBRI_UNSAFE_PATH` for a path outside the root, a symlink, a non-directory or a swap
 * during the check; `COLIBRI_INVALID_INPUT` when the root or the jail home does not exist.
 */
export async function openJailHome(
  allowedRoot: string,
  jailHome: string,
  options: { readonly pin?: boolean } = {},
): Promise<VerifiedDirectory> {
  if (!isAbsolute(allowedRoot) || !isAbsolute(jailHome)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `the allowed jail root and the jail home must be absolute paths (got ${JSON.stringify(allowedRoot)} and ${JSON.stringify(jailHome)})`,
      { allowedRoot, jailHome },
    );
  }
  let root: string;
  try {
    root = await realpath(allowedRoot);
  } catch (error) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `the allowed jail root ${allowedRoot} cannot be resolved (${errno(error) ?? 'error'}): create it or pass the right --jail-root`,
      { allowedRoot },
    );
  }
  if (!(await stat(root)).isDirectory()) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `the allowed jail root ${allowedRoot} is not a directory`,
      {
        allowedRoot,
      },
    );
  }
  // resolve() removes `..` lexically; that equals the kernel's answer below the root because no
  // component there may be a symlink. A jail home spelled through the unresolved root is rebased.
  const target = resolve(jailHome);
  const rel = inside(root, target) ?? inside(resolve(allowedRoot), target);
  if (rel === undefined) {
    throw unsafe(
      `refusing to write into ${jailHome}: it is not inside the allowed jail root ${allowedRoot}` +
        (root === resolve(allowedRoot) ? '' : ` (${root})`),
      { jailHome, allowedRoot },
    );
  }
  const components = rel.split(sep);
  const path = join(root, ...components);
  const checked = await walk(root, components, jailHome);

  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    throw unsafe(`refusing to write into ${jailHome}: it changed while being checked (${errno(error)})`, {
      jailHome,
    });
  }
  try {
    const opened = await handle.stat();
    if (!sameFile(opened, checked)) {
      throw unsafe(`refusing to write into ${jailHome}: it was replaced while being checked`, { jailHome });
    }
    const procRef = `/proc/self/fd/${handle.fd}`;
    const pinned =
      options.pin !== false &&
      (await stat(procRef).then(
        (viaProc) => sameFile(viaProc, opened),
        () => false,
      ));
    return {
      path,
      ref: pinned ? procRef : path,
      pinned,
      handle,
      async reverify() {
        if (pinned) return;
        const again = await walk(root, components, jailHome);
        if (!sameFile(again, opened)) {
          throw unsafe(`refusing to write into ${jailHome}: it was replaced during the write`, { jailHome });
        }
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
