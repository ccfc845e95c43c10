import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColibriError } from '@colibri/errors';
import { createDirectorySource, type SecretSource } from '@colibri/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HiveTenant, ProvisionRequest } from '../hive-port.js';
import type { TenantCollection } from './check-collection-unclaimed.js';
import {
  createVaultProvisionEnv,
  MAX_PROVISION_REASON,
  type ProvisionRecord,
  type VaultProvisionEnvOptions,
} from './create-vault-provision-env.js';

let base: string;
let root: string;
let home: string;
let secrets: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'colibri-spawn-provision-'));
  root = join(base, 'jails');
  home = join(root, 'acme', 'home', 'agent');
  secrets = join(base, 'secrets');
  await mkdir(home, { recursive: true });
  await mkdir(secrets, { mode: 0o700 });
  await writeFile(join(secrets, 'acme.env'), "API_KEY='k'\n", { mode: 0o600 });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const acme: HiveTenant = {
  tenant: 'acme',
  jail: 'acme',
  collection: 'acme',
  collectionId: null,
  status: 'pending',
};
const request = (
  tenant: HiveTenant = acme,
  extra: Record<string, string> = { COLIBRI_JOIN_TOKEN: 'join-abc' },
): ProvisionRequest => ({
  tenant,
  jailHome: home,
  allowedRoot: root,
  owner: { uid: 4242, gid: 4242 },
  extraVariables: extra,
});

/** A source that resolves acme's collection to `collectionId` (as Bitwarden would) with one secret. */
const resolvingSource = (collectionId: string): SecretSource => ({
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

/** The adapter over `source` with recording stand-ins; `refuse` makes recording a success throw. */
function setup(
  source: SecretSource = createDirectorySource({ directory: secrets }),
  change: { refuse?: () => Error; tenants?: TenantCollection[] } = {},
) {
  const recorded: ProvisionRecord[] = [];
  const options: VaultProvisionEnvOptions = {
    source,
    listTenantCollections: async () => change.tenants ?? [],
    recordOutcome: async (record) => {
      recorded.push(record);
      if (change.refuse !== undefined) throw change.refuse();
    },
  };
  return { provision: createVaultProvisionEnv(options), recorded };
}

describe('createVaultProvisionEnv', () => {
  it('writes the secrets plus the join token (0600, the jail user’s) and records the outcome', async () => {
    const { provision, recorded } = setup();
    expect(await provision(request())).toEqual({
      outcome: 'written',
      path: join(home, '.env'),
      variables: 2,
      tenantSecrets: 1,
    });
    expect(await readFile(join(home, '.env'), 'utf8')).toBe("API_KEY='k'\nCOLIBRI_JOIN_TOKEN='join-abc'\n");
    const stats = await stat(join(home, '.env'));
    expect([stats.mode & 0o777, stats.uid, stats.gid]).toEqual([0o600, 4242, 4242]);
    expect(recorded).toEqual([{ tenant: 'acme', outcome: 'written', collectionId: null }]);
    // The same again: unchanged, recorded as such.
    expect(await provision(request())).toMatchObject({ outcome: 'unchanged', variables: 2 });
    expect(recorded[1]).toEqual({ tenant: 'acme', outcome: 'unchanged', collectionId: null });
  });

  it('a tenant without a collection gets just the join token; its outcome pins no collection', async () => {
    const { provision, recorded } = setup();
    const outcome = await provision(request({ ...acme, collection: null }));
    expect(outcome).toEqual({
      outcome: 'written',
      path: join(home, '.env'),
      variables: 1,
      tenantSecrets: 'none',
    });
    expect(await readFile(join(home, '.env'), 'utf8')).toBe("COLIBRI_JOIN_TOKEN='join-abc'\n");
    expect(recorded).toEqual([{ tenant: 'acme', outcome: 'written', collectionId: null }]);
  });

  it('a directory without <tenant>.env is the no-secrets case, said so: only the join token is written', async () => {
    await rm(join(secrets, 'acme.env'));
    const { provision } = setup();
    expect(await provision(request())).toEqual({
      outcome: 'written',
      path: join(home, '.env'),
      variables: 1,
      tenantSecrets: 'none',
    });
    expect(await readFile(join(home, '.env'), 'utf8')).toBe("COLIBRI_JOIN_TOKEN='join-abc'\n");
  });

  it("a vault failure throws the vault's code with nothing written, and is recorded with its reason", async () => {
    await chmod(join(secrets, 'acme.env'), 0o644);
    const { provision, recorded } = setup();
    const failure = await provision(request()).catch((error: unknown) => error as ColibriError);
    expect(failure).toMatchObject({ code: 'COLIBRI_SECRETS_UNSAFE', details: { tenant: 'acme' } });
    expect(await readdir(home)).toEqual([]);
    expect(recorded).toEqual([
      { tenant: 'acme', outcome: 'failed', collectionId: null, reason: (failure as ColibriError).message },
    ]);
  });

  it('a failure colibrid does not record either still throws the vault failure, saying so', async () => {
    await chmod(join(secrets, 'acme.env'), 0o644);
    const { provision } = setup(undefined, { refuse: () => new Error('x'.repeat(5000)) });
    const failure = (await provision(request()).catch((error: unknown) => error)) as ColibriError;
    expect(failure.code).toBe('COLIBRI_SECRETS_UNSAFE');
    expect(failure.message).toMatch(/\(colibrid did not record the failure either: x+\)$/);
    expect(failure.message.length).toBeLessThan(MAX_PROVISION_REASON + 500);
  });

  it('a .env colibrid refuses to record is removed again; the refusal keeps its code, its reason truncated', async () => {
    const { provision } = setup(undefined, {
      refuse: () =>
        new ColibriError('COLIBRI_VAULT_COLLECTION_CHANGED', `collection changed ${'y'.repeat(5000)}`, {}),
    });
    const failure = (await provision(request()).catch((error: unknown) => error)) as ColibriError;
    expect(failure).toMatchObject({
      code: 'COLIBRI_VAULT_COLLECTION_CHANGED',
      message: expect.stringMatching(
        /^the \.env was written, but colibrid refused to record it \(collection changed y+\); the \.env was removed again$/,
      ),
      details: { tenant: 'acme' },
    });
    expect(failure.message.length).toBeLessThan(MAX_PROVISION_REASON + 200);
    expect(await readdir(home)).toEqual([]);
    const plain = setup(undefined, { refuse: () => new Error('socket closed') });
    await expect(plain.provision(request())).rejects.toMatchObject({ code: 'COLIBRI_INTERNAL' });
  });

  it('an unchanged .env colibrid refuses to record stays: it was there before', async () => {
    await setup().provision(request());
    const { provision } = setup(undefined, { refuse: () => new Error('busy') });
    await expect(provision(request())).rejects.toMatchObject({
      message: 'the .env was unchanged, but colibrid refused to record it (busy)',
    });
    expect(await readdir(home)).toEqual(['.env']);
  });

  it('a resolved collection id is pinned and recorded; one another tenant holds is refused before any secret lands', async () => {
    const free = setup(resolvingSource('c-1'), { tenants: [{ tenant: 'beta', collectionId: 'c-2' }] });
    expect(await free.provision(request())).toMatchObject({ outcome: 'written' });
    expect(free.recorded).toEqual([{ tenant: 'acme', outcome: 'written', collectionId: 'c-1' }]);
    await rm(join(home, '.env'));

    const taken = setup(resolvingSource('c-2'), {
      tenants: [
        { tenant: 'acme', collectionId: null },
        { tenant: 'beta', collectionId: 'c-2' },
      ],
    });
    await expect(taken.provision(request())).rejects.toMatchObject({
      code: 'COLIBRI_VAULT_COLLECTION_CHANGED',
      message:
        'tenant acme: its collection resolved to id c-2, which tenant beta already uses; one collection never ' +
        'serves two tenants: check the collection names in the vault',
    });
    expect(await readdir(home)).toEqual([]);
    expect(taken.recorded).toMatchObject([{ outcome: 'failed', collectionId: null }]);
  });
});
