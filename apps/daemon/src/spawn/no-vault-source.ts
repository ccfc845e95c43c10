import { ColibriError } from '@colibri/errors';
import type { SecretSource } from '@colibri/vault';

/** Stands in when colibrid has no vault: a tenant without a collection needs none (its `.env` holds only the join token). */
export const NO_VAULT: SecretSource = {
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
