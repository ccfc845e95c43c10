import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColibriClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';
import { createDirectorySource } from '@colibri/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVaultProvisionEnv } from './vault-provision-env.js';

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

const tenant = {
  tenant: 'acme',
  jail: 'acme',
  collection: 'acme',
  collectionId: null,
  status: 'pending' as const,
};
const request = (extra: Record<string, string> = { COLIBRI_JOIN_TOKEN: 'join-abc' }) => ({
  tenant,
  jailHome: home,
  allowedRoot: root,
  owner: { uid: 4242, gid: 4242 },
  extraVariables: extra,
});

function stubClient(record: () => Promise<unknown>) {
  const recorded: unknown[][] = [];
  const client = {
    recordProvision: async (...args: unknown[]) => {
      recorded.push(args);
      return record();
    },
    listTenants: async () => ({ tenants: [] }),
  } as unknown as ColibriClient;
  return { client, recorded };
}

describe('createVaultProvisionEnv', () => {
  it('writes the secrets plus the join token and records the outcome', async () => {
    const { client, recorded } = stubClient(async () => ({}));
    const provision = createVaultProvisionEnv({
      client,
      source: createDirectorySource({ directory: secrets }),
    });
    expect(await provision(request())).toEqual({
      outcome: 'written',
      path: join(home, '.env'),
      variables: 2,
    });
    expect(await readFile(join(home, '.env'), 'utf8')).toBe("API_KEY='k'\nCOLIBRI_JOIN_TOKEN='join-abc'\n");
    expect(recorded).toEqual([['acme', { outcome: 'written', collectionId: null }]]);
  });

  it("a vault failure throws the vault's code, nothing written", async () => {
    await chmod(join(secrets, 'acme.env'), 0o644);
    const { client, recorded } = stubClient(async () => ({}));
    const provision = createVaultProvisionEnv({
      client,
      source: createDirectorySource({ directory: secrets }),
    });
    await expect(provision(request())).rejects.toMatchObject({ code: 'COLIBRI_SECRETS_UNSAFE' });
    expect(await readdir(home)).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('a .env colibrid refuses to record is removed again', async () => {
    const { client } = stubClient(async () => {
      throw new ColibriError('COLIBRI_VAULT_COLLECTION_CHANGED', 'collection changed', {});
    });
    const provision = createVaultProvisionEnv({
      client,
      source: createDirectorySource({ directory: secrets }),
    });
    await expect(provision(request())).rejects.toMatchObject({
      code: 'COLIBRI_VAULT_COLLECTION_CHANGED',
      message: expect.stringMatching(/colibrid refused to record it .*; the \.env was removed again/),
    });
    expect(await readdir(home)).toEqual([]);
  });
});
