import { ColibriError } from '@colibri/errors';
import type { TenantSecretRequest } from '../secret-source.js';
import type { BwCollection } from './bw-schemas.js';

/** The collection a tenant's secrets live in, or none. */
export type CollectionResolution =
  | { readonly kind: 'found'; readonly collection: BwCollection }
  | { readonly kind: 'no-bucket' };

/**
 * Finds the tenant's collection by EXACT name among those the service account can see (bw's
 * `--search` is a substring match: `tenant-a` would match `tenant-ab`).
 *
 * - no collection of that name and no cached id → `no-bucket` (the tenant has no secrets);
 * - no collection of that name but a cached id → `COLIBRI_VAULT_COLLECTION_CHANGED` (it vanished
 *   or was renamed: fail closed instead of treating the tenant as secret-less);
 * - two or more → `COLIBRI_VAULT_COLLECTION_AMBIGUOUS`;
 * - one whose id differs from the cached one → `COLIBRI_VAULT_COLLECTION_CHANGED` (it was deleted
 *   and re-created, perhaps by someone else: a person must accept the new one).
 */
export function resolveCollection(
  collections: readonly BwCollection[],
  request: TenantSecretRequest & { readonly collectionName: string },
): CollectionResolution {
  const { tenantId, collectionName, cachedCollectionId } = request;
  const matches = collections.filter((collection) => collection.name === collectionName);
  const reset = `colibri reset-tenant-collection ${tenantId}`;
  if (matches.length === 0) {
    if (cachedCollectionId === null) return { kind: 'no-bucket' };
    throw new ColibriError(
      'COLIBRI_VAULT_COLLECTION_CHANGED',
      `tenant ${tenantId}: its collection ${JSON.stringify(collectionName)} (cached id ${cachedCollectionId}) is no ` +
        `longer visible to the service account; restore its access, or, if it was removed on purpose, forget the ` +
        `cached id with: ${reset} (the tenant then has no secrets until a collection of that name exists)`,
      { tenant: tenantId, collection: collectionName, cachedCollectionId },
    );
  }
  if (matches.length > 1) {
    throw new ColibriError(
      'COLIBRI_VAULT_COLLECTION_AMBIGUOUS',
      `tenant ${tenantId}: ${matches.length} collections are named ${JSON.stringify(collectionName)} ` +
        `(ids ${matches.map((m) => m.id).join(', ')}); rename or remove all but one`,
      { tenant: tenantId, collection: collectionName, collectionIds: matches.map((m) => m.id) },
    );
  }
  const collection = matches[0] as BwCollection;
  if (cachedCollectionId !== null && collection.id !== cachedCollectionId) {
    throw new ColibriError(
      'COLIBRI_VAULT_COLLECTION_CHANGED',
      `tenant ${tenantId}: collection ${JSON.stringify(collectionName)} now has id ${collection.id}, but ` +
        `${cachedCollectionId} was cached when it was first provisioned (deleted and re-created, or another ` +
        `collection renamed?); if the collection now named so is the right one, accept it with: ${reset}`,
      { tenant: tenantId, collection: collectionName, cachedCollectionId, collectionId: collection.id },
    );
  }
  return { kind: 'found', collection };
}
