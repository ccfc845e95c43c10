import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError, type ErrorCode } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeEnvFile, writeEnvFileWithHooks } from './write-env-file.js';

// Real files in a temp dir. The tests run as root (chown to an unused uid must work), like the
// orchestrator that writes jail users' files.
const OWNER = { uid: 12345, gid: 12346 };
const CONTENT = "API_KEY='abc'\nDB_URL='postgres://x'\n";

let base: string;
let root: string;
let home: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-vault-write-'));
  root = join(base, 'jails');
  home = join(root, 'tenant-a', 'home', 'agent');
  await mkdir(home, { recursive: true });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function expectRefused(promise: Promise<unknown>, code: ErrorCode): Promise<ColibriError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ColibriError);
  expect((error as ColibriError).code).toBe(code);
  return error as ColibriError;
}

async function expectOnlyEnvOrNothing(directory: string): Promise<void> {
  const names = await readdir(directory);
  expect(names.filter((name) => name !== '.env')).toEqual([]);
}

describe('writeEnvFile', () => {
  it('writes the content, mode 0600, owned by the jail user; then reports unchanged without writing', async () => {
    expect(await writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT })).toBe(
      'written',
    );
    const path = join(home, '.env');
    const first = await stat(path);
    expect(first.mode & 0o7777).toBe(0o600);
    expect([first.uid, first.gid]).toEqual([OWNER.uid, OWNER.gid]);
    expect(await readFile(path, 'utf8')).toBe(CONTENT);

    expect(await writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT })).toBe(
      'unchanged',
    );
    const second = await stat(path);
    expect(second.ino).toBe(first.ino); // not replaced
    await expectOnlyEnvOrNothing(home);
  });

  it('rewrites when the content, the owner or the mode differ', async () => {
    await writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT });
    expect(await writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: "A='1'\n" })).toBe(
      'written',
    );
    expect(await readFile(join(home, '.env'), 'utf8')).toBe("A='1'\n");
    expect(
      await writeEnvFile({
        allowedRoot: root,
        jailHome: home,
        owner: { uid: 23456, gid: 23456 },
        content: "A='1'\n",
      }),
    ).toBe('written');
    expect((await stat(join(home, '.env'))).uid).toBe(23456);
  });

  it('replaces an existing world-readable .env with the same content by a 0600 one (not unchanged)', async () => {
    const { chown, chmod } = await import('node:fs/promises');
    const path = join(home, '.env');
    await writeFile(path, CONTENT, { mode: 0o644 });
    await chmod(path, 0o644);
    await chown(path, OWNER.uid, OWNER.gid);
    expect(await writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT })).toBe(
      'written',
    );
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
  });

  it('refuses a symlink planted as .env and leaves its target untouched', async () => {
    const target = join(base, 'host-file');
    await writeFile(target, 'host data\n', { mode: 0o644 });
    await symlink(target, join(home, '.env'));
    const error = await expectRefused(
      writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT }),
      'COLIBRI_UNSAFE_PATH',
    );
    expect(error.message).toContain('symbolic link');
    expect(await readFile(target, 'utf8')).toBe('host data\n');
    const after = await stat(target);
    expect([after.uid, after.mode & 0o777]).toEqual([0, 0o644]);
    expect((await lstat(join(home, '.env'))).isSymbolicLink()).toBe(true);
    await expectOnlyEnvOrNothing(home);
  });

  it('refuses a .env that is a directory or a FIFO', async () => {
    await mkdir(join(home, '.env'));
    await expectRefused(
      writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT }),
      'COLIBRI_UNSAFE_PATH',
    );
    await rm(join(home, '.env'), { recursive: true });
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(home, '.env')]);
    const error = await expectRefused(
      writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT }),
      'COLIBRI_UNSAFE_PATH',
    );
    expect(error.message).toContain('FIFO');
  });

  it('refuses a symlinked parent directory anywhere below the allowed root', async () => {
    const elsewhere = join(base, 'elsewhere');
    await mkdir(join(elsewhere, 'agent'), { recursive: true });
    await rm(join(root, 'tenant-a', 'home'), { recursive: true });
    await symlink(elsewhere, join(root, 'tenant-a', 'home'));
    const error = await expectRefused(
      writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT }),
      'COLIBRI_UNSAFE_PATH',
    );
    expect(error.message).toContain(join(root, 'tenant-a', 'home'));
    expect(await readdir(join(elsewhere, 'agent'))).toEqual([]);
  });

  it('refuses a jail home that is itself a symlink', async () => {
    const elsewhere = join(base, 'elsewhere');
    await mkdir(elsewhere);
    const linked = join(root, 'tenant-b');
    await symlink(elsewhere, linked);
    await expectRefused(
      writeEnvFile({ allowedRoot: root, jailHome: linked, owner: OWNER, content: CONTENT }),
      'COLIBRI_UNSAFE_PATH',
    );
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a jail home outside the allowed root, also via .. and the root itself', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    for (const jailHome of [
      outside,
      join(root, '..', 'outside'),
      join(home, '..', '..', '..', '..', 'outside'),
      root,
      '/',
    ]) {
      await expectRefused(
        writeEnvFile({ allowedRoot: root, jailHome, owner: OWNER, content: CONTENT }),
        'COLIBRI_UNSAFE_PATH',
      );
    }
    expect(await readdir(outside)).toEqual([]);
  });

  it('accepts a jail home spelled through a symlinked allowed root (the root is resolved once)', async () => {
    const alias = join(base, 'alias');
    await symlink(root, alias);
    expect(
      await writeEnvFile({
        allowedRoot: alias,
        jailHome: join(alias, 'tenant-a', 'home', 'agent'),
        owner: OWNER,
        content: CONTENT,
      }),
    ).toBe('written');
    expect(await readFile(join(home, '.env'), 'utf8')).toBe(CONTENT);
  });

  it('refuses a missing jail home, relative paths and a bad owner', async () => {
    await expectRefused(
      writeEnvFile({
        allowedRoot: root,
        jailHome: join(root, 'nope', 'home'),
        owner: OWNER,
        content: CONTENT,
      }),
      'COLIBRI_INVALID_INPUT',
    );
    await expectRefused(
      writeEnvFile({ allowedRoot: 'jails', jailHome: home, owner: OWNER, content: CONTENT }),
      'COLIBRI_INVALID_INPUT',
    );
    await expectRefused(
      writeEnvFile({ allowedRoot: root, jailHome: home, owner: { uid: -1, gid: 0 }, content: CONTENT }),
      'COLIBRI_INVALID_INPUT',
    );
    await expectRefused(
      writeEnvFile({ allowedRoot: root, jailHome: home, owner: { uid: 1.5, gid: 0 }, content: CONTENT }),
      'COLIBRI_INVALID_INPUT',
    );
    await expectOnlyEnvOrNothing(home);
  });

  it('creates the temp file 0600 even under umask 000, and it is complete and chowned before the rename', async () => {
    const previous = process.umask(0);
    const seen: {
      created?: number;
      beforeRename?: { mode: number; uid: number; gid: number; text: string };
    } = {};
    try {
      await writeEnvFileWithHooks(
        { allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT },
        {
          async afterTempCreated(tempPath) {
            seen.created = (await stat(tempPath)).mode & 0o7777;
          },
          async beforeRename(tempPath) {
            const stats = await stat(tempPath);
            seen.beforeRename = {
              mode: stats.mode & 0o7777,
              uid: stats.uid,
              gid: stats.gid,
              text: await readFile(tempPath, 'utf8'),
            };
          },
        },
      );
    } finally {
      process.umask(previous);
    }
    expect(seen.created).toBe(0o600);
    expect(seen.beforeRename).toEqual({ mode: 0o600, uid: OWNER.uid, gid: OWNER.gid, text: CONTENT });
  });

  it('leaves no temp file behind when the write fails, and keeps the old .env', async () => {
    await writeEnvFile({ allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT });
    await expectRefused(
      writeEnvFileWithHooks(
        { allowedRoot: root, jailHome: home, owner: OWNER, content: "NEW='x'\n" },
        {
          async beforeRename() {
            throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
          },
        },
      ),
      'COLIBRI_VAULT_WRITE_FAILED',
    );
    expect(await readFile(join(home, '.env'), 'utf8')).toBe(CONTENT);
    await expectOnlyEnvOrNothing(home);
  });

  it('keeps writing into the checked directory when a parent is swapped for a symlink after the check', async () => {
    // The attack: between the check and the write, a jail user replaces a path component with a
    // link to a host directory. The write must land in the directory that was checked (held
    // open), never in the link's target.
    const hostDir = join(base, 'host', 'agent');
    await mkdir(hostDir, { recursive: true });
    const moved = join(base, 'moved-home');
    let pinned: boolean | undefined;
    const result = await writeEnvFileWithHooks(
      { allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT },
      {
        async afterDirectoryOpened(directory) {
          pinned = directory.pinned;
          await rename(join(root, 'tenant-a', 'home'), moved);
          await symlink(join(base, 'host'), join(root, 'tenant-a', 'home'));
        },
      },
    ).catch((error: unknown) => error);
    expect(await readdir(hostDir)).toEqual([]);
    // Linux pins the directory through /proc/self/fd; elsewhere the re-walk refuses instead.
    expect(pinned).toBe(process.platform === 'linux');
    if (pinned) {
      expect(result).toBe('written');
      expect(await readFile(join(moved, 'agent', '.env'), 'utf8')).toBe(CONTENT);
    } else {
      expect((result as ColibriError).code).toBe('COLIBRI_UNSAFE_PATH');
    }
  });

  it('without /proc pinning (FreeBSD), refuses when a parent is swapped for a symlink during the write', async () => {
    const hostDir = join(base, 'host', 'agent');
    await mkdir(hostDir, { recursive: true });
    const error = await expectRefused(
      writeEnvFileWithHooks(
        { allowedRoot: root, jailHome: home, owner: OWNER, content: CONTENT },
        {
          pin: false,
          async afterDirectoryOpened(directory) {
            expect(directory.pinned).toBe(false);
            await rename(join(root, 'tenant-a', 'home'), join(base, 'moved-home'));
            await symlink(join(base, 'host'), join(root, 'tenant-a', 'home'));
          },
        },
      ),
      'COLIBRI_UNSAFE_PATH',
    );
    expect(error.message).toContain('symbolic link');
    expect(await readdir(hostDir)).toEqual([]);
    expect(await readdir(join(base, 'moved-home', 'agent'))).toEqual([]);
  });
});
