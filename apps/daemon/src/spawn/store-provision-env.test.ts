import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProvisionRequest } from '@colibri/join';
import { openStore, type Store } from '@colibri/store';
import { createDirectorySource, type SecretSource } from '@colibri/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStoreProvisionEnv } from './store-provision-env.js';

let base: string;
let home: string;
let store: Store;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibrid-provision-'));
  home = join(base, 'jails', 'acme', 'home', 'agent');
  await mkdir(home, { recursive: true });
  await mkdir(join(base, 'secrets'), { mode: 0o700 });
  await writeFile(join(base, 'secrets', 'acme.env'), "API_KEY='k'\n", { mode: 0o600 });
  store = await openStore({ driver: 'sqlite', path: join(base, 'colibri.db') });
  await store.createTenant({ tenantId: 'acme' });
  await store.createTenant({ tenantId: 'beta' });
});
afterEach(async () => {
  await store.close();
  await rm(base, { recursive: true, force: true });
});

const at = new Date('2026-01-02T03:04:05Z');
const provisionFor = (source: SecretSource | undefined) =>
  createStoreProvisionEnv({ store, source, clock: () => at });

async function request(collection: string | null = 'acme'): Promise<ProvisionRequest> {
  const tenant = await store.getTenant('acme');
  return {
    tenant: {
      tenant: 'acme',
      jail: 'acme',
      collection,
      collectionId: tenant.collectionId,
      status: tenant.status,
    },
    jailHome: home,
    allowedRoot: join(base, 'jails'),
    owner: { uid: 4242, gid: 4242 },
    extraVariables: { COLIBRI_JOIN_TOKEN: 'join-abc' },
  };
}

/** A source resolving every collection to `collectionId` (as Bitwarden would), one secret each. */
const resolvingTo = (collectionId: string): SecretSource => ({
  kind: 'bitwarden',
  async fetchMany(requests) {
    return new Map(
      requests.map((one) => [
        one.tenantId,
        { kind: 'secrets', collectionId, variables: [['API_KEY', 'k']] } as const,
      ]),
    );
  },
});

describe('createStoreProvisionEnv', () => {
  it('writes the .env and records the outcome in the tenant event log, at the clock’s time', async () => {
    const provision = provisionFor(createDirectorySource({ directory: join(base, 'secrets') }));
    expect(await provision(await request())).toMatchObject({ outcome: 'written', variables: 2 });
    expect(await readFile(join(home, '.env'), 'utf8')).toBe("API_KEY='k'\nCOLIBRI_JOIN_TOKEN='join-abc'\n");
    expect((await store.getTenant('acme')).status).toBe('provisioned');
    expect((await store.listTenantEvents('acme')).at(-1)).toMatchObject({
      at,
      to: 'provisioned',
      reason: 'provision written',
      details: { outcome: 'written', collectionId: null },
    });
  });

  it('without a vault: a tenant with no collection gets just the join token; one with a collection fails, recorded', async () => {
    const provision = provisionFor(undefined);
    await expect(provision(await request())).rejects.toMatchObject({
      code: 'COLIBRI_SPAWN_FAILED',
      message: expect.stringMatching(
        /^tenant acme's secrets are in collection acme, but this colibrid has no vault/,
      ),
    });
    expect(await readdir(home)).toEqual([]);
    expect((await store.getTenant('acme')).status).toBe('failed');
    expect((await store.listTenantEvents('acme')).at(-1)?.reason).toMatch(
      /^provision failed: tenant acme's secrets/,
    );

    expect(await provision(await request(null))).toMatchObject({ outcome: 'written', variables: 1 });
    expect(await readFile(join(home, '.env'), 'utf8')).toBe("COLIBRI_JOIN_TOKEN='join-abc'\n");
  });

  it('pins the resolved collection id; one another tenant holds in the store is refused, nothing written', async () => {
    await store.recordTenantProvision({ tenantId: 'beta', outcome: 'written', collectionId: 'c-2' });
    await expect(provisionFor(resolvingTo('c-2'))(await request())).rejects.toMatchObject({
      code: 'COLIBRI_VAULT_COLLECTION_CHANGED',
      message: expect.stringMatching(
        /^tenant acme: its collection resolved to id c-2, which tenant beta already uses/,
      ),
    });
    expect(await readdir(home)).toEqual([]);

    expect(await provisionFor(resolvingTo('c-1'))(await request())).toMatchObject({ outcome: 'written' });
    expect((await store.getTenant('acme')).collectionId).toBe('c-1');
  });
});
