import type { ColibriError } from '@colibri/errors';

/**
 * What to do next, in this CLI's commands and flags, for errors whose message (written by a lower
 * layer that knows no CLI) cannot say it. Keyed by the stable code and the error's details;
 * undefined when there is nothing to add or the message already says it.
 */
export function hintFor(error: ColibriError): string | undefined {
  const details = error.details as Readonly<Record<string, unknown>>;
  const tenant = typeof details.tenantId === 'string' ? details.tenantId : undefined;
  switch (error.code) {
    case 'COLIBRI_TENANT_NOT_FOUND':
      return 'colibri list-tenants shows them; colibri register-tenant adds one';
    case 'COLIBRI_TENANT_EXISTS':
      switch (details.clash) {
        case 'tenant':
          return tenant === undefined ? undefined : `colibri show-tenant ${tenant} shows it`;
        case 'jail':
          return 'pick another --jail';
        case 'collection':
          return 'pick another --collection';
        default:
          return undefined;
      }
    case 'COLIBRI_JOIN_TOKEN_INVALID':
      return 'the operator issues a new one with colibri join-token --tenant TENANT';
    case 'COLIBRI_VAULT_COLLECTION_CHANGED':
      // The store's refusal of a re-created collection; the vault's own message names the command already.
      if (tenant === undefined || details.owner !== undefined || !('cachedCollectionId' in details))
        return undefined;
      if (error.message.includes('reset-tenant-collection')) return undefined;
      return `to accept the new collection: colibri reset-tenant-collection ${tenant}, then provision again`;
    default:
      return undefined;
  }
}

/** The message with its hint, if any, appended. */
export function withHint(error: ColibriError): string {
  const hint = hintFor(error);
  return hint === undefined ? error.message : `${error.message} (${hint})`;
}
