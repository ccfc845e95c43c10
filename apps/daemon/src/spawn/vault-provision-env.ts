import { ColibriError } from '@colibri/errors';
import type { ProvisionEnv } from '@colibri/spawner';
import type { Store } from '@colibri/store';
import {
  createBitwardenSource,
  createDirectorySource,
  provisionTenants,
  type SecretSource,
  type VaultLogger,
} from '@colibri/vault';
import type { SpawnVaultConfig } from '../config/resolve-spawn-config.js';

/** The longest reason the tenant event log takes. */
const MAX_REASON = 1000;

/** The secret source colibrid's configuration names, or undefined when it has none. */
export function createSecretSource(config: SpawnVaultConfig, logger: VaultLogger): SecretSource | undefined {
  switch (config.kind) {
    case 'none':
      return undefined;
    case 'directory':
      return createDirectorySource({ directory: config.directory });
    case 'bitwarden':
      return createBitwardenSource({
        serverUrl: config.serverUrl,
        appDataDir: config.appDataDir,
        credentials: config.credentials,
        extraEnv: config.extraEnv,
        logger,
      });
  }
}

/** Stands in when colibrid has no vault: a tenant without a collection needs none (its `.env` holds only the join token). */
const noVault: SecretSource = {
  kind: 'directory',
  async fetchMany(requests) {
    return new Map(
      requests.map((request) => [
        request.tenantId,
        request.collectionName === null
          ? ({ kind: 'no-bucket' } as const)
          : ({
              kind: 'failed',
              error: new ColibriError(
                'COLIBRI_SPAWN_FAILED',
                `tenant ${request.tenantId}'s secrets are in collection ${request.collectionName}, but this colibrid has ` +
                  'no vault: start it with --secrets-dir DIR, or --vault-server URL with BW_CLIENTID, BW_CLIENTSECRET and ' +
                  'BW_PASSWORD in its environment',
                { tenant: request.tenantId },
              ),
            } as const),
      ]),
    );
  },
};

/**
 * The join chain's `.env` writer for colibrid: `provisionTenants` from `@colibri/vault` for the
 * one tenant, with the join token as an extra variable, written by the vault's safe writer
 * (0600, owned by the jail user, never through a symlink, never outside the jail root). Like
 * `colibri provision-tenant`, a newly resolved collection id must not already belong to another
 * tenant (checked before any secret lands), and the outcome is recorded in the tenant's event
 * log. A failure throws the vault's own code; nothing was written.
 */
export function createVaultProvisionEnv(deps: {
  readonly store: Store;
  readonly source: SecretSource | undefined;
  readonly clock: () => Date;
}): ProvisionEnv {
  const { store, clock } = deps;
  const source = deps.source ?? noVault;
  return async (request) => {
    const { tenant } = request;
    const [result] = await provisionTenants({
      source,
      allowedRoot: request.allowedRoot,
      tenants: [
        {
          tenantId: tenant.tenant,
          collectionName: tenant.collection,
          cachedCollectionId: tenant.collectionId,
          jailHome: request.jailHome,
          owner: request.owner,
          extraVariables: request.extraVariables,
        },
      ],
      onCollectionResolved: async (tenantId, collectionId) => {
        const holder = (await store.listTenants()).find(
          (other) => other.tenantId !== tenantId && other.collectionId === collectionId,
        );
        if (holder !== undefined) {
          throw new ColibriError(
            'COLIBRI_VAULT_COLLECTION_CHANGED',
            `tenant ${tenantId}: its collection resolved to id ${collectionId}, which tenant ${holder.tenantId} already ` +
              'uses; one collection never serves two tenants: check the collection names in the vault',
            { tenant: tenantId, collectionId, heldBy: holder.tenantId },
          );
        }
      },
    });
    if (result === undefined) {
      throw new ColibriError('COLIBRI_INTERNAL', `the vault returned no result for tenant ${tenant.tenant}`);
    }
    const succeeded = result.outcome !== 'failed';
    await store.recordTenantProvision({
      tenantId: tenant.tenant,
      outcome: result.outcome,
      collectionId:
        result.outcome === 'written' || result.outcome === 'unchanged' ? (result.collectionId ?? null) : null,
      ...(result.reason === undefined ? {} : { reason: result.reason.slice(0, MAX_REASON) }),
      at: clock(),
    });
    if (!succeeded) {
      throw new ColibriError(
        result.code ?? 'COLIBRI_INTERNAL',
        result.reason ?? `provisioning tenant ${tenant.tenant} failed`,
        { tenant: tenant.tenant },
      );
    }
    return {
      outcome: result.outcome,
      path: result.path ?? `${request.jailHome}/.env`,
      variables: result.variables ?? 0,
    };
  };
}
