import type { DestroyReport, HivePort, SpawnProgressEvent, SpawnReport } from '@colibri/join';
import type { JailDriverKind } from '@colibri/spawner';

/** Who a spawned agent descends from: what its join token carries and its registration copies. */
export interface SpawnLineage {
  /** The mother's agent id; null when the operator asked. */
  readonly spawnedBy: string | null;
  /** The child's generation: 0 for the operator's agents, the mother's depth + 1 for hers. */
  readonly spawnDepth: number;
}

/** One jailed agent to spawn, already validated and authorised. */
export interface ServiceSpawnRequest {
  readonly agentName: string;
  readonly tenant: string;
  /** null = the agent advertises what its probe finds inside the jail. */
  readonly capabilities: readonly string[] | null;
  readonly lineage: SpawnLineage;
}

/** One jailed agent to tear down, already validated and authorised. */
export interface ServiceDestroyRequest {
  readonly agentName: string;
  readonly tenant: string;
}

/**
 * What the spawn routes call once a request is validated and authorised: the join chain
 * (`spawnJailedAgent` / `destroyJailedAgent`) over a jail driver, the vault and this daemon's
 * socket. A port, so the routes are tested with a fake; `createSpawnService` builds the real one.
 * The routes hand in the {@link HivePort} (this daemon's own store), bound to the request's lineage.
 */
export interface SpawnService {
  /** The jail driver behind it. */
  readonly driver: JailDriverKind;
  /**
   * Runs the whole chain and resolves with its report, or throws the failing step's
   * `ColibriError` with `details.steps` and `details.rollback` (nothing of this run left behind).
   */
  spawn(
    request: ServiceSpawnRequest,
    hive: HivePort,
    onProgress?: (event: SpawnProgressEvent) => void,
  ): Promise<SpawnReport>;
  /** Retires the agent, stops it, destroys its jail; idempotent (`absent`). */
  destroy(
    request: ServiceDestroyRequest,
    hive: HivePort,
    onProgress?: (event: SpawnProgressEvent) => void,
  ): Promise<DestroyReport>;
}
