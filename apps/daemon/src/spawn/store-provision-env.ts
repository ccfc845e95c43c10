import { createVaultProvisionEnv, type ProvisionEnv } from '@colibri/join';
import type { Store } from '@colibri/store';
import type { SecretSource } from '@colibri/vault';
import { NO_VAULT } from './no-vault-source.js';

/**
 * colibrid's `.env` writer for the join chain: `@colibri/join`'s vault adapter over its own
 * store, which holds the pinned collection ids and the tenant's event log the outcome goes to.
 * Without a vault (`source` undefined) only tenants without a collection can be provisioned.
 */
export function createStoreProvisionEnv(deps: {
  readonly store: Store;
  readonly source: SecretSource | undefined;
  readonly clock: () => Date;
}): ProvisionEnv {
  const { store, clock } = deps;
  return createVaultProvisionEnv({
    source: deps.source ?? NO_VAULT,
    listTenantCollections: async () =>
      (await store.listTenants()).map(({ tenantId, collectionId }) => ({ tenant: tenantId, collectionId })),
    recordOutcome: async ({ tenant, ...record }) => {
      await store.recordTenantProvision({ tenantId: tenant, ...record, at: clock() });
    },
  });
}
