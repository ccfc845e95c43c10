import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeBastilleRecord } from './bastille/bastille-jail-record.js';
import { jailHomePath, readJailOwner } from './jail-layout.js';
import { writeJailRecord } from './linux/jail-record.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-jail-layout-'));
});
afterEach(() => rm(base, { recursive: true, force: true }));

describe('jailHomePath', () => {
  it('linux: <root>/<jail>/home/agent; bastille: <prefix>/jails/<jail>/root/home/<user>', () => {
    expect(jailHomePath('linux', '/var/lib/colibri-jails', 'acme')).toBe(
      '/var/lib/colibri-jails/acme/home/agent',
    );
    expect(jailHomePath('bastille', '/usr/local/bastille/jails', 'acme')).toBe(
      '/usr/local/bastille/jails/acme/root/home/agent',
    );
    expect(jailHomePath('bastille', '/pool/jails', 'acme', 'svc')).toBe('/pool/jails/acme/root/home/svc');
  });

  it('refuses a jail name that is not one (no path games)', () => {
    for (const bad of ['../x', 'a/b', '', 'ALL']) {
      expect(() => jailHomePath('linux', '/j', bad)).toThrow(
        expect.objectContaining({ code: 'COLIBRI_INVALID_NAME' }),
      );
    }
  });
});

describe('readJailOwner', () => {
  it("reads the jail user's ids from either driver's record; none without a record", async () => {
    const linux = join(base, 'linux');
    await mkdir(join(linux, 'acme'), { recursive: true });
    await writeJailRecord(join(linux, 'acme'), {
      format: 1,
      driver: 'linux',
      name: 'acme',
      agentName: 'acme-agent',
      tenant: 'acme',
      uid: 470005,
      gid: 470005,
      runtime: null,
      createdAt: new Date().toISOString(),
    });
    expect(await readJailOwner('linux', linux, 'acme')).toEqual({ uid: 470005, gid: 470005 });
    expect(await readJailOwner('linux', linux, 'globex')).toBeUndefined();

    const bastille = join(base, 'bastille-jails');
    await mkdir(join(bastille, 'acme', 'root'), { recursive: true });
    await writeBastilleRecord(join(bastille, 'acme'), {
      format: 1,
      driver: 'bastille',
      name: 'acme',
      agentName: 'acme-agent',
      tenant: 'acme',
      uid: 1001,
      gid: 1002,
      user: 'agent',
      home: '/home/agent',
      release: '14.3-RELEASE',
      address: '10.0.0.2',
      bastilleVersion: '1.4.4',
      runtime: null,
      createdAt: new Date().toISOString(),
    });
    expect(await readJailOwner('bastille', bastille, 'acme')).toEqual({ uid: 1001, gid: 1002 });
    // The linux layout does not read a bastille record, and the other way round.
    expect(await readJailOwner('linux', bastille, 'acme')).toBeUndefined();
  });
});
