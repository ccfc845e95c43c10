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
      { tenantId: 'tenant-a', outcome: 'written', path: join(a.jailHome, '.env'), variables: 1 },
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

  describe('extra variables (the join chain adds its one-time token)', () => {
    const TOKEN = 'join-token-value-5f1c';

    it("are merged with the tenant's secrets, sorted; again: unchanged", async () => {
      const a = await jail('tenant-a');
      const source = stubSource({
        'tenant-a': { kind: 'secrets', collectionId: 'id-a', variables: [['API_KEY', 'k']] },
      });
      const target = { ...a, extraVariables: { COLIBRI_JOIN_TOKEN: TOKEN } };
      const [result] = await provisionTenants({ source, allowedRoot: root, tenants: [target] });
      expect(result).toEqual({
        tenantId: 'tenant-a',
        outcome: 'written',
        collectionId: 'id-a',
        path: join(a.jailHome, '.env'),
        variables: 2,
      });
      expect(await readFile(join(a.jailHome, '.env'), 'utf8')).toBe(
        `API_KEY='k'\nCOLIBRI_JOIN_TOKEN='${TOKEN}'\n`,
      );
      const [again] = await provisionTenants({ source, allowedRoot: root, tenants: [target] });
      expect(again?.outcome).toBe('unchanged');
    });

    it('a tenant without a bucket gets a .env holding just them; without extras still no-bucket', async () => {
      const lean = await jail('lean');
      const source = stubSource({ lean: { kind: 'no-bucket' } });
      const [result] = await provisionTenants({
        source,
        allowedRoot: root,
        tenants: [{ ...lean, collectionName: null, extraVariables: { COLIBRI_JOIN_TOKEN: TOKEN } }],
      });
      expect(result).toEqual({
        tenantId: 'lean',
        outcome: 'written',
        path: join(lean.jailHome, '.env'),
        variables: 1,
      });
      expect(await readFile(join(lean.jailHome, '.env'), 'utf8')).toBe(`COLIBRI_JOIN_TOKEN='${TOKEN}'\n`);
      const stats = await stat(join(lean.jailHome, '.env'));
      expect([stats.mode & 0o777, stats.uid]).toEqual([0o600, OWNER.uid]);
      const [bare] = await provisionTenants({
        source,
        allowedRoot: root,
        tenants: [{ ...lean, collectionName: null, extraVariables: {} }],
      });
      expect(bare).toEqual({ tenantId: 'lean', outcome: 'no-bucket' });
    });

    it('a secret of the same name is refused, nothing written, the value never quoted', async () => {
      const a = await jail('tenant-a');
      const source = stubSource({
        'tenant-a': {
          kind: 'secrets',
          collectionId: null,
          variables: [['COLIBRI_JOIN_TOKEN', 'vault-value-9e2d']],
        },
      });
      const [result] = await provisionTenants({
        source,
        allowedRoot: root,
        tenants: [{ ...a, extraVariables: { COLIBRI_JOIN_TOKEN: TOKEN } }],
      });
      expect(result).toMatchObject({ outcome: 'failed', code: 'COLIBRI_VAULT_SECRET_INVALID' });
      expect(result?.reason).toMatch(
        /tenant tenant-a has a secret named COLIBRI_JOIN_TOKEN, a variable colibri sets itself/,
      );
      expect(JSON.stringify(result)).not.toMatch(/vault-value-9e2d|join-token-value/);
      expect(await readdir(a.jailHome)).toEqual([]);
    });

    it('invalid names or values are refused by name only, before the source is asked', async () => {
      const a = await jail('tenant-a');
      const source = stubSource({ 'tenant-c': { kind: 'secrets', collectionId: null, variables: [] } });
      const results = await provisionTenants({
        source,
        allowedRoot: root,
        tenants: [
          { ...a, extraVariables: { 'BAD-NAME': TOKEN } },
          { ...(await jail('tenant-b')), extraVariables: { OK: 42 as unknown as string } },
          { ...(await jail('tenant-c')), extraVariables: { QUOTE: "it's" } },
        ],
      });
      expect(results.map((r) => [r.outcome, r.code])).toEqual([
        ['failed', 'COLIBRI_INVALID_INPUT'],
        ['failed', 'COLIBRI_INVALID_INPUT'],
        ['failed', 'COLIBRI_VAULT_SECRET_INVALID'],
      ]);
      expect(results[0]?.reason).toMatch(/extraVariables has an invalid variable name "BAD-NAME"/);
      expect(JSON.stringify(results)).not.toContain(TOKEN);
      expect(source.asked.flat().map((r) => r.tenantId)).toEqual(['tenant-c']);
    });
  });
});
