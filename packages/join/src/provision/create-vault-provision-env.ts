import { join } from 'node:path';
import { ColibriError, isColibriError } from '@colibri/errors';
import type { ProvisionProgressEvent, ProvisionResult, SecretSource } from '@colibri/vault';
import type { ProvisionEnv } from '../hive-port.js';
import { removeEnvFile } from '../remove-env-file.js';
import { checkCollectionUnclaimed, type TenantCollection } from './check-collection-unclaimed.js';

/** The longest reason the tenant event log takes (the store refuses a longer one). */
export const MAX_PROVISION_REASON = 1000;

/** One provision's outcome, for the tenant's event log: no secret in it. */
export interface ProvisionRecord {
  readonly tenant: string;
  readonly outcome: ProvisionResult['outcome'];
  /** The collection id the vault resolved, to pin; null for no bucket, a source without ids, or a failure. */
  readonly collectionId: string | null;
  /** Why it failed (at most {@link MAX_PROVISION_REASON} characters); absent on success. */
  readonly reason?: string;
}

export interface VaultProvisionEnvOptions {
  /** The tenant's secret source (Bitwarden through the pinned bw, or a directory). */
  readonly source: SecretSource;
  /**
   * Every tenant's pinned collection id as colibrid holds it now (the CLI asks its client,
   * colibrid its store): a newly resolved id another tenant holds is refused before any secret lands.
   */
  readonly listTenantCollections: () => Promise<readonly TenantCollection[]>;
  /**
   * Records the outcome with colibrid (the CLI through its client, colibrid in its store). A
   * refusal of a success undoes it: a `.env` just written is removed again and the refusal is thrown.
   */
  readonly recordOutcome: (record: ProvisionRecord) => Promise<void>;
  readonly onProgress?: (event: ProvisionProgressEvent) => void;
}

/**
 * The join chain's {@link ProvisionEnv} over `@colibri/vault`: provisions the one tenant (its
 * secrets plus the chain's extra variables, the join token) with the vault's safe writer (0600,
 * owned by the jail user, never through a symlink, never outside the jail root), pinning a newly
 * resolved collection id first, then records the outcome, a failure included. A failure throws the
 * vault's own code with nothing written; a `.env` written but refused by colibrid is removed again
 * before the refusal is thrown: the port promises nothing written on failure.
 */
export function createVaultProvisionEnv(options: VaultProvisionEnvOptions): ProvisionEnv {
  const { source, recordOutcome } = options;
  return async (request) => {
    // Loaded on the first provision: the drivers, the policy and destroy never need the vault.
    const { provisionTenants } = await import('@colibri/vault');
    const tenant = request.tenant.tenant;
    // The source's own verdict (no bucket, or secrets) is only in its progress events.
    let fetched: string | undefined;
    const onProgress = (event: ProvisionProgressEvent) => {
      if (event.kind === 'tenant-fetched' && event.tenantId === tenant) fetched = event.outcome;
      options.onProgress?.(event);
    };
    const [result] = await provisionTenants({
      source,
      allowedRoot: request.allowedRoot,
      tenants: [
        {
          tenantId: tenant,
          collectionName: request.tenant.collection,
          cachedCollectionId: request.tenant.collectionId,
          jailHome: request.jailHome,
          owner: request.owner,
          extraVariables: request.extraVariables,
        },
      ],
      onProgress,
      onCollectionResolved: async (tenantId, collectionId) =>
        checkCollectionUnclaimed(await options.listTenantCollections(), tenantId, collectionId),
    });
    if (result === undefined) {
      throw new ColibriError('COLIBRI_INTERNAL', `tenant ${tenant}: the vault returned no result`, {
        tenant,
      });
    }

    if (result.outcome === 'failed') {
      const reason = result.reason ?? `provisioning tenant ${tenant} failed`;
      const unrecorded = await failureOf(() =>
        recordOutcome({
          tenant,
          outcome: 'failed',
          collectionId: null,
          reason: reason.slice(0, MAX_PROVISION_REASON),
        }),
      );
      // The vault's failure is what the operator must fix; a lost event-log entry is only noted.
      throw new ColibriError(
        result.code ?? 'COLIBRI_INTERNAL',
        unrecorded === undefined
          ? reason
          : `${reason} (colibrid did not record the failure either: ${unrecorded.slice(0, MAX_PROVISION_REASON)})`,
        { tenant },
      );
    }

    const path = result.path ?? join(request.jailHome, '.env');
    try {
      await recordOutcome({
        tenant,
        outcome: result.outcome,
        collectionId: result.outcome === 'no-bucket' ? null : (result.collectionId ?? null),
      });
    } catch (error) {
      let undone = '';
      if (result.outcome === 'written') {
        const removal = await failureOf(() => removeEnvFile(path, request.allowedRoot));
        undone =
          removal === undefined
            ? '; the .env was removed again'
            : `; removing it again failed too (${removal}): remove ${path} by hand`;
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new ColibriError(
        isColibriError(error) ? error.code : 'COLIBRI_INTERNAL',
        `the .env was ${result.outcome}, but colibrid refused to record it (${reason.slice(0, MAX_PROVISION_REASON)})${undone}`,
        { tenant },
        { cause: error },
      );
    }
    const variables = result.variables ?? 0;
    const extra = Object.keys(request.extraVariables).length;
    const tenantSecrets =
      fetched === 'no-bucket' || result.outcome === 'no-bucket'
        ? ('none' as const)
        : Math.max(0, variables - extra);
    return { outcome: result.outcome, path, variables, tenantSecrets };
  };
}

/** Runs `action`; the message of what it threw, or undefined when it succeeded. */
async function failureOf(action: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
