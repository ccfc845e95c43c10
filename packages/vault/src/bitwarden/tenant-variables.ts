import { compareKeys } from '@colibri/env-file';
import { ColibriError } from '@colibri/errors';
import type { BwItem } from './bw-schemas.js';
import { itemVariables } from './item-variables.js';

/**
 * All of a tenant's variables from the items bw listed for its collection, sorted by key.
 *
 * Fails closed: an item whose `collectionIds` lacks the collection is refused
 * (`COLIBRI_SECRETS_UNSAFE`): bw's filters have leaked other tenants' items before (`--collectionid`
 * with `--organizationid` is an OR). A key defined by two items is `COLIBRI_VAULT_SECRET_INVALID`.
 */
export function tenantVariables(
  items: readonly BwItem[],
  collectionId: string,
  tenantId: string,
): Array<readonly [string, string]> {
  const byKey = new Map<string, { value: string; item: string }>();
  for (const item of items) {
    if (!item.collectionIds.includes(collectionId)) {
      throw new ColibriError(
        'COLIBRI_SECRETS_UNSAFE',
        `tenant ${tenantId}: bw returned item ${JSON.stringify(item.name)} (${item.id}) that is not in the ` +
          `tenant's collection ${collectionId}; refusing to provision anything for this tenant`,
        { tenant: tenantId, item: item.name, itemId: item.id, collectionId },
      );
    }
    for (const [key, value] of itemVariables(item, tenantId)) {
      const earlier = byKey.get(key);
      if (earlier !== undefined) {
        throw new ColibriError(
          'COLIBRI_VAULT_SECRET_INVALID',
          `tenant ${tenantId}: secret ${key} is defined twice (items ${JSON.stringify(earlier.item)} and ` +
            `${JSON.stringify(item.name)}); keep one`,
          { tenant: tenantId, key, items: [earlier.item, item.name] },
        );
      }
      byKey.set(key, { value, item: item.name });
    }
  }
  return [...byKey].map(([key, { value }]) => [key, value] as const).sort(([a], [b]) => compareKeys(a, b));
}
