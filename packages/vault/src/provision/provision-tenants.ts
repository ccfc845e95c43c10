import { join } from 'node:path';
import { ENV_KEY_PATTERN, renderEnvFile } from '@colibri/env-file';
import { ColibriError, type ErrorCode, isColibriError } from '@colibri/errors';
import { parseTenantName } from '@colibri/protocol';
import type { FetchOutcome, ProgressEvent, SecretSource, TenantSecretRequest } from '../secret-source.js';
import { ENV_FILE_NAME, type EnvFileOwner, writeEnvFile } from '../write/write-env-file.js';

/** One tenant to provision: where its secrets are and where its `.env` goes. */
export interface ProvisionTarget extends TenantSecretRequest {
  /** The jail user's home, inside the allowed root; receives `.env`. */
  readonly jailHome: string;
  /** The jail user who will own `.env`. */
  readonly owner: EnvFileOwner;
  /**
   * Variables colibri adds to the tenant's own secrets, e.g. `{ COLIBRI_JOIN_TOKEN: … }` (the join
   * chain's one-time token). A secret of the same name is refused (`COLIBRI_VAULT_SECRET_INVALID`,
   * nothing written) rather than silently overridden either way. A tenant with no bucket still gets
   * a `.env` holding just these. Never logged, never in a result or an error.
   */
  readonly extraVariables?: Readonly<Record<string, string>>;
}

/** What happened to one tenant. */
export interface ProvisionResult {
  readonly tenantId: string;
  /** `written` (new or changed), `unchanged` (already exact), `no-bucket` (no secrets), `failed`. */
  readonly outcome: 'written' | 'unchanged' | 'no-bucket' | 'failed';
  /** The resolved collection id (Bitwarden source), to cache in the tenant row. */
  readonly collectionId?: string;
  /** The `.env` path, when written or unchanged. */
  readonly path?: string;
  /** How many variables the `.env` holds (extra ones included), when written or unchanged. */
  readonly variables?: number;
  /** Why it failed: names keys, items, tenants and paths, never a secret value. */
  readonly reason?: string;
  /** The stable error code of the failure. */
  readonly code?: ErrorCode;
}

/** Progress of a provision: the source's events, then one event per tenant as it is finished. */
export type ProvisionProgressEvent =
  | ProgressEvent
  | { readonly kind: 'tenant-provisioned'; readonly result: ProvisionResult; readonly durationMs: number };

export interface ProvisionTenantsOptions {
  readonly source: SecretSource;
  /** Every jail home must be strictly inside this directory. */
  readonly allowedRoot: string;
  readonly tenants: readonly ProvisionTarget[];
  readonly onProgress?: (event: ProvisionProgressEvent) => void;
  /**
   * Called before a tenant's `.env` is written when its collection id was resolved and differs
   * from the cached one (first provision, or after the operator accepted a new collection), so
   * the id is pinned before any secret lands. If it throws, that tenant fails and nothing is
   * written for it.
   */
  readonly onCollectionResolved?: (tenantId: string, collectionId: string) => Promise<void>;
}

function failure(tenantId: string, error: unknown): ProvisionResult {
  const colibri = isColibriError(error)
    ? error
    : new ColibriError('COLIBRI_INTERNAL', `tenant ${tenantId}: unexpected error while provisioning`, {});
  return { tenantId, outcome: 'failed', code: colibri.code, reason: colibri.message };
}

/** Checks the shape the source and the writer rely on; the error names the tenant and field only. */
function checkTarget(target: ProvisionTarget): void {
  parseTenantName(target?.tenantId);
  const invalid = (field: string, why: string): never => {
    throw new ColibriError('COLIBRI_INVALID_INPUT', `tenant ${target.tenantId}: ${field} ${why}`, {
      tenant: target.tenantId,
      field,
    });
  };
  if (
    target.collectionName !== null &&
    (typeof target.collectionName !== 'string' || target.collectionName === '')
  ) {
    invalid('collectionName', 'must be a non-empty string or null');
  }
  if (target.cachedCollectionId !== null && typeof target.cachedCollectionId !== 'string') {
    invalid('cachedCollectionId', 'must be a string or null');
  }
  if (typeof target.jailHome !== 'string' || target.jailHome === '') invalid('jailHome', 'must be a path');
  if (typeof target.owner !== 'object' || target.owner === null) invalid('owner', 'must be {uid, gid}');
  if (target.extraVariables !== undefined) {
    if (typeof target.extraVariables !== 'object' || target.extraVariables === null) {
      invalid('extraVariables', 'must be an object of NAME: value strings');
    }
    for (const [key, value] of Object.entries(target.extraVariables)) {
      // Names only in the message: the values are secrets (a join token).
      if (!ENV_KEY_PATTERN.test(key))
        invalid('extraVariables', `has an invalid variable name ${JSON.stringify(key)}`);
      if (typeof value !== 'string') invalid('extraVariables', `${key} must be a string`);
    }
  }
}

/**
 * Provisions many tenants in one batch: validates every tenant id (an invalid one fails and
 * reaches no path), fetches all secrets in one call to the source (one unlock and one sync for
 * Bitwarden), then per tenant renders ALL its variables before writing anything, and writes its
 * `.env` safely (`writeEnvFile`). One tenant's failure never stops or half-writes another's.
 * Results come back in the order of `tenants`; a tenant listed twice fails the second time.
 */
export async function provisionTenants(options: ProvisionTenantsOptions): Promise<ProvisionResult[]> {
  const { source, allowedRoot, tenants, onProgress, onCollectionResolved } = options;
  const early = new Map<number, ProvisionResult>();
  const seen = new Set<string>();
  const valid: ProvisionTarget[] = [];
  tenants.forEach((target, index) => {
    try {
      checkTarget(target);
    } catch (error) {
      early.set(index, failure(String(target?.tenantId), error));
      return;
    }
    if (seen.has(target.tenantId)) {
      early.set(
        index,
        failure(
          target.tenantId,
          new ColibriError(
            'COLIBRI_INVALID_INPUT',
            `tenant ${target.tenantId} is listed twice in one provision`,
            {
              tenant: target.tenantId,
            },
          ),
        ),
      );
      return;
    }
    seen.add(target.tenantId);
    valid.push(target);
  });

  let outcomes: ReadonlyMap<string, FetchOutcome>;
  try {
    outcomes =
      valid.length === 0
        ? new Map()
        : await source.fetchMany(
            valid.map(({ tenantId, collectionName, cachedCollectionId }) => ({
              tenantId,
              collectionName,
              cachedCollectionId,
            })),
            onProgress,
          );
  } catch (error) {
    // Sources report failures as outcomes; a throw is a broken source. Nothing gets written.
    const reason = isColibriError(error)
      ? error
      : new ColibriError('COLIBRI_INTERNAL', `the ${source.kind} secret source failed unexpectedly`, {});
    outcomes = new Map(valid.map((target) => [target.tenantId, { kind: 'failed', error: reason } as const]));
  }

  const results: ProvisionResult[] = [];
  for (const [index, target] of tenants.entries()) {
    const started = performance.now();
    const result =
      early.get(index) ??
      (await provisionOne(target, outcomes.get(target.tenantId), allowedRoot, onCollectionResolved));
    results.push(result);
    onProgress?.({ kind: 'tenant-provisioned', result, durationMs: Math.round(performance.now() - started) });
  }
  return results;
}

async function provisionOne(
  target: ProvisionTarget,
  outcome: FetchOutcome | undefined,
  allowedRoot: string,
  onCollectionResolved: ProvisionTenantsOptions['onCollectionResolved'],
): Promise<ProvisionResult> {
  const { tenantId } = target;
  if (outcome === undefined) {
    return failure(
      tenantId,
      new ColibriError('COLIBRI_INTERNAL', `the secret source skipped tenant ${tenantId}`, {}),
    );
  }
  const extra = Object.entries(target.extraVariables ?? {});
  if (outcome.kind === 'no-bucket' && extra.length === 0) return { tenantId, outcome: 'no-bucket' };
  if (outcome.kind === 'failed') return failure(tenantId, outcome.error);
  const own = outcome.kind === 'secrets' ? outcome.variables : [];
  const collectionId = outcome.kind === 'secrets' ? outcome.collectionId : null;
  const collection = collectionId === null ? {} : { collectionId };
  try {
    const clash = extra.find(([key]) => own.some(([ownKey]) => ownKey === key));
    if (clash !== undefined) {
      throw new ColibriError(
        'COLIBRI_VAULT_SECRET_INVALID',
        `tenant ${tenantId} has a secret named ${clash[0]}, a variable colibri sets itself: rename the secret in the vault`,
        { tenant: tenantId, key: clash[0] },
      );
    }
    const variables = [...own, ...extra];
    // Render everything first: an invalid variable fails this tenant before any byte is written.
    const content = renderEnvFile(variables, { tenantId });
    if (collectionId !== null && collectionId !== target.cachedCollectionId) {
      await onCollectionResolved?.(tenantId, collectionId);
    }
    const written = await writeEnvFile({
      allowedRoot,
      jailHome: target.jailHome,
      owner: target.owner,
      content,
    });
    return {
      tenantId,
      outcome: written,
      ...collection,
      path: join(target.jailHome, ENV_FILE_NAME),
      variables: variables.length,
    };
  } catch (error) {
    return { ...failure(tenantId, error), ...collection };
  }
}
