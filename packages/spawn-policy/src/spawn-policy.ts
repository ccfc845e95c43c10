/**
 * What a mother agent may ask the spawner for. Self-replication is off unless a policy says
 * otherwise: {@link DEFAULT_SPAWN_POLICY} allows nothing.
 */
export interface SpawnPolicy {
  /** Most children this agent may have alive at once (0 = may not spawn at all). */
  readonly maxChildren: number;
  /**
   * Deepest generation a child may sit at: the first mother is depth 0, its children depth 1,
   * theirs depth 2. `maxDepth: 1` allows children but no grandchildren; 0 allows nothing.
   */
  readonly maxDepth: number;
  /** Tenants a child may belong to, by exact name. Empty = no tenant child. */
  readonly allowedTenants: readonly string[];
  /**
   * Whether a child may be a shared (operator-owned, tenant-less) lane. Kept apart from
   * `allowedTenants` because a shared lane serves every tenant: it must be granted on purpose.
   */
  readonly allowSharedLane: boolean;
  /** The only capability tags a child may advertise (exact match). Empty = none. */
  readonly allowedCapabilities: readonly string[];
}

/** The policy when none is configured: it forbids every spawn. */
export const DEFAULT_SPAWN_POLICY: SpawnPolicy = Object.freeze({
  maxChildren: 0,
  maxDepth: 0,
  allowedTenants: Object.freeze([]),
  allowSharedLane: false,
  allowedCapabilities: Object.freeze([]),
});
