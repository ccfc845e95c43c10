import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDirectorySource } from '../directory/create-directory-source.js';
import type { FetchOutcome, SecretSource, TenantSecretRequest } from '../secret-source.js';
import { type ProvisionProgressEvent, type ProvisionTarget, provisionTenants } from './provision-tenants.js';

const OWNER = { uid: 12345, gid: 12345 };
let base: string;
let root: string;
let secrets: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-provision-'));
  root = join(base, 'jails');
  secrets = join(base, 'secrets');
  await mkdir(secrets, { mode: 0o700 });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function jail(tenantId: string): Promise<ProvisionTarget> {
  const jailHome = join(root, tenantId, 'home', 'agent');
  await mkdir(jailHome, { recursive: true });
  return { tenantId, collectionName: tenantId, cachedCollectionId: null, jailHome, owner: OWNER };
}

/** A source answering from a fixed table, recording what it was asked. */
function stubSource(
  outcomes: Record<string, FetchOutcome>,
): SecretSource & { asked: TenantSecretRequest[][] } {
  const asked: TenantSecretRequest[][] = [];
  return {
    kind: 'bitwarden',
    asked,
    async fetchMany(requests) {
      asked.push([...requests]);
      return new Map(
        requests.map((request) => [request.tenantId, outcomes[request.tenantId] as FetchOutcome]),
      );
    },
  };
}

describe('provisionTenants', () => {
  it('writes, reports unchanged, and reports no-bucket, with the directory source', async () => {
    await writeFile(join(secrets, 'tenant-a.env'), "TOKEN='a'\n", { mode: 0o600 });
    const a = await jail('tenant-a');
    const b = await jail('tenant-b');
    const source = createDirectorySource({ directory: secrets });
    const events: ProvisionProgressEvent[] = [];
    const first = await provisionTenants({
      source,
      allowedRoot: root,
      tenants: [a, b],
      onProgress: (e) => events.push(e),
    });
    expect(first).toEqual([
      { tenantId: 'tenant-a', outcome: 'written', path: join(a.jailHome, '.env') },
      { tenantId: 'tenant-b', outcome: 'no-bucket' },
    ]);
    expect(await readFile(join(a.jailHome, '.env'), 'utf8')).toBe("TOKEN='a'\n");
    expect(await readdir(b.jailHome)).toEqual([]);
    expect(events.filter((e) => e.kind === 'tenant-provisioned')).toHaveLength(2);

    const second = await provisionTenants({ source, allowedRoot: root, tenants: [a] });
    expect(second[0]?.outcome).toBe('unchanged');
  });

  it("one tenant's failure never stops or half-writes another; invalid values fail before any byte is written", async () => {
    const a = await jail('tenant-a');
    const b = await jail('tenant-b');
    const c = await jail('tenant-c');
    await writeFile(join(b.jailHome, '.env'), "OLD='kept'\n", { mode: 0o600 });
    const source = stubSource({
      'tenant-a': { kind: 'secrets', collectionId: 'id-a', variables: [['GOOD', '1']] },
      // Valid first variable, unencodable second: nothing at all may be written for b.
      'tenant-b': {
        kind: 'secrets',
        collectionId: 'id-b',
        variables: [
          ['FIRST', 'ok'],
          ['SECOND', "it's"],
        ],
      },
      'tenant-c': {
        kind: 'failed',
        error: new ColibriError('COLIBRI_VAULT_COLLECTION_AMBIGUOUS', 'tenant-c: 2 collections', {}),
      },
    });
    const results = await provisionTenants({ source, allowedRoot: root, tenants: [a, b, c] });
    expect(results.map((r) => [r.tenantId, r.outcome, r.code])).toEqual([
      ['tenant-a', 'written', undefined],
      ['tenant-b', 'failed', 'COLIBRI_VAULT_SECRET_INVALID'],
      ['tenant-c', 'failed', 'COLIBRI_VAULT_COLLECTION_AMBIGUOUS'],
    ]);
    expect(results[1]?.reason).toContain('SECOND');
    expect(results[1]?.reason).not.toContain("it's");
    expect(await readFile(join(b.jailHome, '.env'), 'utf8')).toBe("OLD='kept'\n");
    expect(await readdir(b.jailHome)).toEqual(['.env']);
    expect(await readdir(c.jailHome)).toEqual([]);
    expect((await stat(join(a.jailHome, '.env'))).uid).toBe(OWNER.uid);
  });

  it('validates tenant ids before any path: an invalid id fails and reaches neither the source nor the disk', async () => {
    const a = await jail('tenant-a');
    const source = stubSource({
      'tenant-a': { kind: 'secrets', collectionId: null, variables: [['A', '1']] },
    });
    const evil = { ...a, tenantId: '../../etc' };
    const results = await provisionTenants({ source, allowedRoot: root, tenants: [evil, a, a] });
    expect(results.map((r) => [r.tenantId, r.outcome, r.code])).toEqual([
      ['../../etc', 'failed', 'COLIBRI_INVALID_NAME'],
      ['tenant-a', 'written', undefined],
      ['tenant-a', 'failed', 'COLIBRI_INVALID_INPUT'],
    ]);
    expect(source.asked).toEqual([
      [{ tenantId: 'tenant-a', collectionName: 'tenant-a', cachedCollectionId: null }],
    ]);
  });

  it('asks the source once for the whole batch', async () => {
    const tenants = await Promise.all(['tenant-a', 'tenant-b', 'tenant-c'].map(jail));
    const source = stubSource(
      Object.fromEntries(tenants.map((t) => [t.tenantId, { kind: 'no-bucket' } as const])),
    );
    await provisionTenants({ source, allowedRoot: root, tenants });
    expect(source.asked).toHaveLength(1);
    expect(source.asked[0]).toHaveLength(3);
  });

  it('pins a newly resolved collection id before writing; a failing pin writes nothing', async () => {
    const a = await jail('tenant-a');
    const b = await jail('tenant-b');
    const pinned: string[] = [];
    const source = stubSource({
      'tenant-a': { kind: 'secrets', collectionId: 'id-a', variables: [['A', '1']] },
      'tenant-b': { kind: 'secrets', collectionId: 'id-b', variables: [['B', '1']] },
    });
    const results = await provisionTenants({
      source,
      allowedRoot: root,
      tenants: [a, { ...b, cachedCollectionId: null }],
      onCollectionResolved: async (tenantId, collectionId) => {
        if (tenantId === 'tenant-b') throw new ColibriError('COLIBRI_DAEMON_UNREACHABLE', 'daemon down', {});
        expect(await readdir(a.jailHome)).toEqual([]); // before the write
        pinned.push(`${tenantId}=${collectionId}`);
      },
    });
    expect(pinned).toEqual(['tenant-a=id-a']);
    expect(results[0]).toMatchObject({ outcome: 'written', collectionId: 'id-a' });
    expect(results[1]).toMatchObject({
      outcome: 'failed',
      code: 'COLIBRI_DAEMON_UNREACHABLE',
      collectionId: 'id-b',
    });
    expect(await readdir(b.jailHome)).toEqual([]);

    // Already cached: no second pin.
    pinned.length = 0;
    await provisionTenants({
      source,
      allowedRoot: root,
      tenants: [{ ...a, cachedCollectionId: 'id-a' }],
      onCollectionResolved: async (tenantId) => {
        pinned.push(tenantId);
      },
    });
    expect(pinned).toEqual([]);
  });

  it('reports an unsafe jail home as failed without touching it', async () => {
    const a = await jail('tenant-a');
    const outside = join(base, 'outside');
    await mkdir(outside);
    const source = stubSource({
      'tenant-a': { kind: 'secrets', collectionId: null, variables: [['A', '1']] },
    });
    const [result] = await provisionTenants({
      source,
      allowedRoot: root,
      tenants: [{ ...a, jailHome: outside }],
    });
    expect(result).toMatchObject({ outcome: 'failed', code: 'COLIBRI_UNSAFE_PATH' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('turns a throwing source into failed results (nothing written)', async () => {
    const a = await jail('tenant-a');
    const source: SecretSource = {
      kind: 'directory',
      async fetchMany() {
        throw new Error('boom with details that must not leak');
      },
    };
    const [result] = await provisionTenants({ source, allowedRoot: root, tenants: [a] });
    expect(result).toMatchObject({ outcome: 'failed', code: 'COLIBRI_INTERNAL' });
    expect(result?.reason).not.toContain('boom');
    expect(await readdir(a.jailHome)).toEqual([]);
  });
});
