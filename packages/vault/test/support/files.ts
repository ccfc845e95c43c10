// Real-file helpers: what a directory tree holds, and what a real /bin/sh reads from a .env.
import { spawnSync } from 'node:child_process';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every entry under `root`, as sorted lines `path kind` (`d` directory, `f` file with its mode and
 * owner, `l -> target` symlink). Symlinks are listed, never followed.
 */
export async function listTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const shown = prefix === '' ? name : `${prefix}/${name}`;
      const stats = await lstat(path);
      if (stats.isSymbolicLink()) lines.push(`${shown} l -> ${await readlink(path)}`);
      else if (stats.isDirectory()) {
        lines.push(`${shown} d`);
        await walk(path, shown);
      } else lines.push(`${shown} f ${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid}`);
    }
  }
  await walk(root, '');
  return lines.sort();
}

/**
 * Sources `envPath` with a real POSIX sh running as `owner` (`set -a; . file; env -0`) in an empty
 * environment and returns the variables it exported.
 */
export function sourceWithSh(envPath: string, owner: { uid: number; gid: number }): Map<string, string> {
  const result = spawnSync('/bin/sh', ['-c', 'set -a; . "$1"; env -0', 'sh', envPath], {
    uid: owner.uid,
    gid: owner.gid,
    env: { PATH: '/usr/bin:/bin' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`sh could not source ${envPath}: ${result.stderr}`);
  const variables = new Map<string, string>();
  for (const entry of result.stdout.split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) variables.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return variables;
}
