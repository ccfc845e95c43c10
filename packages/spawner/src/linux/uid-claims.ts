import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';

/**
 * The default directory of uid claim files. Host-wide, not per jail root: two jail roots on one
 * host must never hand out the same uid, or one jail's destroy (which reaps its uid's processes)
 * and process limit would reach into the other.
 */
export const DEFAULT_UID_CLAIM_DIR = '/var/lib/colibri/uid-claims';

/** Numeric ids listed in the third field of passwd/group-style text (uids or gids). */
export function idsInDatabase(text: string): Set<number> {
  const ids = new Set<number>();
  for (const line of text.split('\n')) {
    const field = line.split(':')[2];
    if (field !== undefined && /^\d+$/.test(field)) ids.add(Number(field));
  }
  return ids;
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Claims a free id for `jail` in `[first, last)` (the last id of the range is the preflight
 * probe's and never handed out): skips ids named in /etc/passwd or /etc/group, then creates the
 * claim file `<claimDir>/<id>` with O_EXCL, so two concurrent creates can never get the same id.
 * `jail` is what the claim file records (the linux driver passes the jail's directory, unique
 * across roots). The uid and the gid are the same number.
 */
export async function claimUid(
  claimDir: string,
  range: { readonly first: number; readonly last: number },
  jail: string,
  system: { readonly passwd: string; readonly group: string } = {
    passwd: '/etc/passwd',
    group: '/etc/group',
  },
): Promise<number> {
  const taken = idsInDatabase(await readOptional(system.passwd));
  for (const id of idsInDatabase(await readOptional(system.group))) taken.add(id);
  const dir = claimDir;
  await mkdir(dir, { mode: 0o700, recursive: true });
  for (let id = range.first; id < range.last; id += 1) {
    if (taken.has(id)) continue;
    try {
      const handle = await open(join(dir, String(id)), 'wx', 0o600);
      await handle.writeFile(`${jail}\n`);
      await handle.close();
      return id;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new ColibriError(
    'COLIBRI_JAIL_DRIVER_FAILED',
    `no free uid left in ${range.first}-${range.last - 1} for jail ${jail}: destroy unused jails or widen uidRange`,
    { jail, first: range.first, last: range.last },
  );
}

/** Which jail holds the claim on `uid`, or undefined when it is free. */
export async function uidClaimant(claimDir: string, uid: number): Promise<string | undefined> {
  try {
    return (await readFile(join(claimDir, String(uid)), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Releases `uid` only when `jail` holds it: never frees another jail's id. */
export async function releaseUid(claimDir: string, uid: number, jail: string): Promise<boolean> {
  if ((await uidClaimant(claimDir, uid)) !== jail) return false;
  await rm(join(claimDir, String(uid)), { force: true });
  return true;
}
