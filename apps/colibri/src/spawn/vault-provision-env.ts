import { join } from 'node:path';
import type { ColibriClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';
import type { ProvisionEnv } from '@colibri/spawner';
import type { ProvisionProgressEvent, SecretSource } from '@colibri/vault';

/** The longest reason the daemon's event log takes. */
const MAX_REASON = 1000;

export interface VaultProvisionEnvOptions {
  readonly client: ColibriClient;
  /** The tenant's secret source (Bitwarden through the pinned bw, or a directory). */
  readonly source: SecretSource;
  readonly onProgress?: (event: ProvisionProgressEvent) => void;
}

/**
 * The join chain's {@link ProvisionEnv} over `@colibri/vault`: provisions the one tenant (its
 * secrets plus the chain's extra variables, the join token) with the vault's safe writer, pinning
 * a newly resolved collection id first (refused when another tenant holds it, as in
 * `provision-tenant`), then records the outcome with colibrid. A `.env` written but refused by
 * colibrid is removed again before the error is thrown: the port promises nothing written on failure.
 */
export function createVaultProvisionEnv(options: VaultProvisionEnvOptions): ProvisionEnv {
  const { client, source } = options;
  return async (request) => {
    const [vault, spawner] = await Promise.all([import('@colibri/vault'), import('@colibri/spawner')]);
    const { tenant } = request;
    const [result] = await vault.provisionTenants({
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
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      onCollectionResolved: (tenantId, collectionId) =>
        checkCollectionUnclaimed(client, tenantId, collectionId),
    });
    if (result === undefined || result.outcome === 'failed') {
      throw new ColibriError(
        result?.code ?? 'COLIBRI_INTERNAL',
        result?.reason ?? `tenant ${tenant.tenant}: the vault returned no result`,
        { tenant: tenant.tenant },
      );
    }
    const path = result.path ?? join(request.jailHome, '.env');
    try {
      await client.recordProvision(tenant.tenant, {
        outcome: result.outcome,
        collectionId: result.collectionId ?? null,
      });
    } catch (error) {
      if (result.outcome === 'written')
        await spawner.removeEnvFile(path, request.allowedRoot).catch(() => undefined);
      const reason = error instanceof Error ? error.message : String(error);
      throw new ColibriError(
        error instanceof ColibriError ? error.code : 'COLIBRI_INTERNAL',
        `the .env was ${result.outcome}, but colibrid refused to record it (${reason.slice(0, MAX_REASON)})` +
          (result.outcome === 'written' ? '; the .env was removed again' : ''),
        { tenant: tenant.tenant },
        { cause: error },
      );
    }
    return { outcome: result.outcome, path, variables: result.variables ?? 0 };
  };
}

/**
 * Refuses a collection id another tenant already cached: a collection renamed to this tenant's
 * name must not hand another tenant's secrets to this jail. colibrid re-checks when recording.
 */
export async function checkCollectionUnclaimed(
  client: ColibriClient,
  tenantId: string,
  collectionId: string,
): Promise<void> {
  const { tenants } = await client.listTenants();
  const holder = tenants.find((tenant) => tenant.tenant !== tenantId && tenant.collectionId === collectionId);
  if (holder !== undefined) {
    throw new ColibriError(
      'COLIBRI_VAULT_COLLECTION_CHANGED',
      `tenant ${tenantId}: its collection resolved to id ${collectionId}, which tenant ${holder.tenant} already ` +
        'uses; one collection never serves two tenants: check the collection names in the vault',
      { tenant: tenantId, collectionId, heldBy: holder.tenant },
    );
  }
}
