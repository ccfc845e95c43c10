import { chmod, lstat, mkdir, realpath } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ColibriError } from '@colibri/errors';

/** What {@link describeJailRoot} found about the configured root. */
export interface JailRootState {
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

function unsafe(path: string, why: string): never {
  throw new ColibriError('COLIBRI_UNSAFE_PATH', `${path} ${why}: refusing to use it`, { path });
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Checks an existing root directory: not a symlink, a directory, root-owned, not group/other-writable. */
async function checkRootDirectory(path: string): Promise<JailRootState> {
  const stats = await lstat(path);
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  if (stats.isSymbolicLink()) {
    return {
      ok: false,
      detail: `${path} is a symlink`,
      fix: `point jailRoot at the real directory, not ${path}`,
    };
  }
  if (!stats.isDirectory()) {
    return {
      ok: false,
      detail: `${path} is not a directory`,
      fix: `remove ${path} or choose another jailRoot`,
    };
  }
  if (stats.uid !== 0) {
    return { ok: false, detail: `${path} is owned by uid ${stats.uid}`, fix: `chown root:root ${path}` };
  }
  if ((stats.mode & 0o022) !== 0) {
    return { ok: false, detail: `${path} is mode ${mode} (group/other-writable)`, fix: `chmod 0711 ${path}` };
  }
  return { ok: true, detail: `${path} exists, root-owned, mode ${mode}` };
}

/**
 * Whether the configured jail root is usable: it exists and is safe, or it is missing and its
 * nearest existing ancestor is a directory (create makes it).
 */
export async function describeJailRoot(path: string): Promise<JailRootState> {
  try {
    return await checkRootDirectory(path);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      return { ok: false, detail: `${path}: ${(error as Error).message}`, fix: `check ${path}` };
    }
  }
  let ancestor = dirname(path);
  for (;;) {
    try {
      const stats = await lstat(ancestor);
      if (!stats.isDirectory() && !stats.isSymbolicLink()) {
        return { ok: false, detail: `${ancestor} is not a directory`, fix: `choose another jailRoot` };
      }
      return { ok: true, detail: `${path} is missing; it will be created (root, 0711) under ${ancestor}` };
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || ancestor === dirname(ancestor)) {
        return { ok: false, detail: `${ancestor}: ${(error as Error).message}`, fix: `check ${ancestor}` };
      }
      ancestor = dirname(ancestor);
    }
  }
}

/**
 * The allowed jail root R and every path under it. The root is resolved with realpath ONCE;
 * every path below it is built from single, validated components, and every existing component
 * is lstat-ed: a symlink anywhere below R is refused with `COLIBRI_UNSAFE_PATH`, so nothing the
 * driver does as root can be redirected outside R (or into another jail).
 */
export class JailRoot {
  readonly #configured: string;
  #real: string | undefined;

  constructor(configured: string) {
    this.#configured = configured;
  }

  /** The configured path (as given in the options). */
  get configured(): string {
    return this.#configured;
  }

  /** The real root path, or undefined when the root does not exist (yet). Checked on first use. */
  async existing(): Promise<string | undefined> {
    if (this.#real !== undefined) return this.#real;
    try {
      await lstat(this.#configured);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    return this.#resolve();
  }

  /** The real root path, creating the root (root-owned, 0711) when it is missing. */
  async ensure(): Promise<string> {
    const existing = await this.existing();
    if (existing !== undefined) return existing;
    await mkdir(dirname(this.#configured), { recursive: true, mode: 0o755 });
    try {
      await mkdir(this.#configured, { mode: 0o711 });
      // Explicit: the caller's umask (colibrid runs with 077) would leave it 0700, untraversable by jail uids.
      await chmod(this.#configured, 0o711);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    return this.#resolve();
  }

  async #resolve(): Promise<string> {
    const state = await checkRootDirectory(this.#configured);
    if (!state.ok) {
      throw new ColibriError('COLIBRI_UNSAFE_PATH', `jail root ${state.detail}: ${state.fix ?? 'fix it'}`, {
        path: this.#configured,
      });
    }
    this.#real = await realpath(this.#configured);
    return this.#real;
  }

  /**
   * `R/<segments...>` after checking each existing component below R is not a symlink. Missing
   * components are fine (the caller is about to create them). Each segment must be one plain
   * path component.
   */
  async path(root: string, ...segments: string[]): Promise<string> {
    let current = root;
    let missing = false;
    for (const segment of segments) {
      if (
        segment === '' ||
        segment === '.' ||
        segment === '..' ||
        segment.includes('/') ||
        segment.includes('\0')
      ) {
        unsafe(`${current}/${segment}`, 'is not a single path component');
      }
      current = join(current, segment);
      if (missing) continue;
      try {
        const stats = await lstat(current);
        if (stats.isSymbolicLink()) unsafe(current, 'is a symlink');
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
        missing = true;
      }
    }
    const rel = relative(root, current);
    if (rel.startsWith('..') || rel.startsWith(sep)) unsafe(current, `is outside the jail root ${root}`);
    return current;
  }
}
