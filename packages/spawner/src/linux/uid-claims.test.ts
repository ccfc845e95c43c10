import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimUid, idsInDatabase, releaseUid, uidClaimant } from './uid-claims.js';

let root: string;
/** The claim directory (beside the stand-in passwd/group files). */
let claims: string;
let system: { passwd: string; group: string };

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'colibri-uids-'));
  claims = join(root, 'claims');
  system = { passwd: join(root, 'passwd'), group: join(root, 'group') };
  await writeFile(system.passwd, 'root:x:0:0:root:/root:/bin/bash\nsvc:x:1000:1000::/home/svc:/bin/sh\n');
  await writeFile(system.group, 'root:x:0:\nsvc:x:1001:\n');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('uid claims', () => {
  it('reads ids from passwd/group text', () => {
    expect([...idsInDatabase('a:x:5:6::/:/bin/sh\nbroken\nb:x:7:\n')]).toEqual([5, 7]);
  });

  it('hands out distinct ids, skipping ids of host users and groups and never the probe id', async () => {
    const range = { first: 1000, last: 1004 };
    const first = await claimUid(claims, range, 'one', system);
    const second = await claimUid(claims, range, 'two', system);
    expect([first, second]).toEqual([1002, 1003]);
    // 1004 is the preflight probe's: the range is exhausted.
    await expect(claimUid(claims, range, 'three', system)).rejects.toMatchObject({
      code: 'COLIBRI_JAIL_DRIVER_FAILED',
    });
    expect(await uidClaimant(claims, first)).toBe('one');
  });

  it('two concurrent claims never get the same id', async () => {
    const range = { first: 2000, last: 2100 };
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, index) => claimUid(claims, range, `j${index}`, system)),
    );
    expect(new Set(ids).size).toBe(20);
    expect((await readdir(claims)).length).toBe(20);
  });

  it('releases an id only for the jail that holds it', async () => {
    const id = await claimUid(claims, { first: 3000, last: 3010 }, 'owner', system);
    expect(await releaseUid(claims, id, 'intruder')).toBe(false);
    expect(await uidClaimant(claims, id)).toBe('owner');
    expect(await releaseUid(claims, id, 'owner')).toBe(true);
    expect(await uidClaimant(claims, id)).toBeUndefined();
    expect(await claimUid(claims, { first: 3000, last: 3010 }, 'next', system)).toBe(id);
  });
});
