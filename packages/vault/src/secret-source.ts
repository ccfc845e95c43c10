import type { ColibriError } from '@colibri/errors';

/** One tenant whose secrets a {@link SecretSource} should fetch. */
export interface TenantSecretRequest {
  /** The tenant id (== jail name); validated with `parseTenantName` before use. */
  readonly tenantId: string;
  /** The bucket holding its secrets (a Bitwarden collection name, or a file name); null = the tenant has none. */
  readonly collectionName: string | null;
  /**
   * The collection id cached in the tenant row by an earlier provision, or null. A cached id that
   * no longer matches the name is refused (the collection was replaced) instead of silently followed.
   */
  readonly cachedCollectionId: string | null;
}

/** What a source found for one tenant. */
export type FetchOutcome =
  | {
      readonly kind: 'secrets';
      /** The resolved collection id, to cache in the tenant row (null for sources without ids). */
      readonly collectionId: string | null;
      /** `[KEY, value]` pairs sorted by key; keys are unique and valid, values are encodable. */
      readonly variables: ReadonlyArray<readonly [string, string]>;
    }
  /** The tenant has no bucket: nothing to write, not an error. */
  | { readonly kind: 'no-bucket' }
  /** This tenant failed; the error names keys, items and tenants only, never a value. */
  | { readonly kind: 'failed'; readonly error: ColibriError };

/**
 * The slow steps a source takes once per batch, reported for progress output. `serve`: the
 * `bw serve` process booted and answered its status; `status`, `configure` and `login` are
 * per-command steps, run only for a logged-out appdata dir.
 */
export type VaultStep =
  | 'version'
  | 'serve'
  | 'status'
  | 'configure'
  | 'login'
  | 'unlock'
  | 'sync'
  | 'collections'
  | 'lock';

/** Progress while provisioning: once-per-batch vault steps, then one event per tenant. */
export type ProgressEvent =
  | {
      readonly kind: 'vault-step';
      readonly step: VaultStep;
      readonly ok: boolean;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'tenant-fetched';
      readonly tenantId: string;
      readonly outcome: FetchOutcome['kind'];
      readonly durationMs: number;
    };

/**
 * Where tenants' secrets come from. Every source answers a batch with one outcome per tenant and
 * never throws for a tenant's or the vault's failure: a failure is a `failed` outcome, so one bad
 * tenant cannot stop the others and callers have one shape to handle.
 */
export interface SecretSource {
  /** `bitwarden` (the pinned `bw` CLI) or `directory` (local files, for development and demos). */
  readonly kind: 'bitwarden' | 'directory';
  /**
   * Fetches the secrets of every request, keyed by tenant id. A batch pays the vault's fixed costs
   * (unlock, sync) once.
   */
  fetchMany(
    requests: readonly TenantSecretRequest[],
    onProgress?: (event: ProgressEvent) => void,
  ): Promise<ReadonlyMap<string, FetchOutcome>>;
}

/**
 * Where the vault logs: named fields and a message, pino's argument order (a pino logger fits).
 * Lines carry steps, tenants, durations and exit codes, never a secret.
 */
export interface VaultLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}
