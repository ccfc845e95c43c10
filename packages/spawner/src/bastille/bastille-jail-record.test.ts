import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isColibriError } from '@colibri/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { type BastilleJailRecord, readBastilleRecord, writeBastilleRecord } from './bastille-jail-record.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function jailBase(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'colibri-record-'));
  dirs.push(dir);
  return dir;
}

const record: BastilleJailRecord = {
  format: 1,
  driver: 'bastille',
  name: 'acme',
  agentName: 'acme-agent',
  tenant: 'acme',
  user: 'agent',
  uid: 1001,
  gid: 1001,
  home: '/home/agent',
  release: '14.3-RELEASE',
  address: '10.17.89.11',
  bastilleVersion: '1.4.4',
  runtime: null,
  createdAt: '2026-11-21T00:00:00.000Z',
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isColibriError(error) ? error.code : 'not a ColibriError';
  }
  return undefined;
}

describe('the colibri.json record of a bastille jail', () => {
  it('round-trips as root 0600, and is absent for a jail colibri did not create', async () => {
    const base = await jailBase();
    expect(await readBastilleRecord(base, 'acme')).toBeUndefined();
    await writeBastilleRecord(base, record);
    expect(((await stat(join(base, 'colibri.json'))).mode & 0o777).toString(8)).toBe('600');
    expect(await readBastilleRecord(base, 'acme')).toEqual(record);
  });

  it('refuses a symlinked record (COLIBRI_UNSAFE_PATH)', async () => {
    const base = await jailBase();
    const elsewhere = join(base, 'elsewhere.json');
    await writeFile(elsewhere, JSON.stringify(record), { mode: 0o600 });
    await symlink(elsewhere, join(base, 'colibri.json'));
    expect(await codeOf(readBastilleRecord(base, 'acme'))).toBe('COLIBRI_UNSAFE_PATH');
  });

  it('refuses a record others could read or write, a damaged one, and one naming another jail', async () => {
    const base = await jailBase();
    await writeBastilleRecord(base, record);
    await chmod(join(base, 'colibri.json'), 0o644);
    expect(await codeOf(readBastilleRecord(base, 'acme'))).toBe('COLIBRI_JAIL_DRIVER_FAILED');
    await chmod(join(base, 'colibri.json'), 0o600);
    expect(await codeOf(readBastilleRecord(base, 'other'))).toBe('COLIBRI_JAIL_DRIVER_FAILED');
    await writeFile(
      join(base, 'colibri.json'),
      (await readFile(join(base, 'colibri.json'), 'utf8')).slice(0, 20),
    );
    expect(await codeOf(readBastilleRecord(base, 'acme'))).toBe('COLIBRI_JAIL_DRIVER_FAILED');
  });
});
