import { ColibriError } from '@colibri/errors';

/** A tenant and the collection id the hive has pinned for it (null: none yet). */
export interface TenantCollection {
  readonly tenant: string;
  readonly collectionId: string | null;
}

/**
 * Refuses a collection id another tenant already pinned (`COLIBRI_VAULT_COLLECTION_CHANGED`): a
 * collection renamed to this tenant's name must not hand another tenant's secrets to this jail.
 * colibrid checks again, atomically, when the provision is recorded.
 */
export function checkCollectionUnclaimed(
  tenants: readonly TenantCollection[],
  tenantId: string,
  collectionId: string,
): void {
  const holder = tenants.find((other) => other.tenant !== tenantId && other.collectionId === collectionId);
  if (holder !== undefined) {
    throw new ColibriError(
      'COLIBRI_VAULT_COLLECTION_CHANGED',
      `tenant ${tenantId}: its collection resolved to id ${collectionId}, which tenant ${holder.tenant} already ` +
        'uses; one collection never serves two tenants: check the collection names in the vault',
      { tenant: tenantId, collectionId, heldBy: holder.tenant },
    );
  }
}
