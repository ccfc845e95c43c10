import { ColibriError } from '@colibri/errors';
import { evaluateSpawnRequest, type SpawnParent } from './evaluate-spawn-request.js';
import type { SpawnPolicy } from './spawn-policy.js';

/** What the spawner (jail drivers, arriving later) must offer the mother: birth one agent. */
export interface AgentSpawner {
  spawnAgent(request: AgentSpawnRequest): Promise<{ agentName: string }>;
}

/** One child to birth. */
export interface AgentSpawnRequest {
  /** The child's agent name. */
  readonly name: string;
  /** The child's tenant; null = a shared lane. */
  readonly tenant: string | null;
  /** The capability tags the child will advertise. */
  readonly capabilities: readonly string[];
  /** The child's generation (its parent's depth + 1). */
  readonly depth: number;
}

/** A structured event the gate emits for every decision. */
export type SpawnGateEvent =
  | {
      readonly event: 'spawn.allowed';
      readonly parent: string;
      readonly name: string;
      readonly tenant: string | null;
      readonly capabilities: readonly string[];
      readonly depth: number;
    }
  | {
      readonly event: 'spawn.denied';
      readonly parent: string;
      readonly name: string;
      readonly tenant: string | null;
      readonly capabilities: readonly string[];
      readonly depth: number;
      readonly reasons: readonly string[];
    };

/** What {@link createGatedSpawner} needs. */
export interface GatedSpawnerOptions {
  /** The policy every request is checked against. */
  readonly policy: SpawnPolicy;
  /** The real spawner; called only for allowed requests. */
  readonly spawner: AgentSpawner;
  /** The mother as it is now (asked at each request, so `childrenAlive` stays current). */
  readonly parent: () => SpawnParent;
  /** Receives one event per decision; refusals are always logged. */
  readonly log: (event: SpawnGateEvent) => void;
}

/**
 * Wraps `spawner` so every request passes {@link evaluateSpawnRequest} first. A refused request
 * is logged and thrown as `COLIBRI_SPAWN_POLICY_DENIED` listing every reason; the inner spawner is
 * never called for it.
 *
 * The child's depth is always the parent's depth + 1: a caller that passes another depth is
 * refused rather than silently corrected. Spawns in flight count as children alive, so two
 * concurrent requests cannot both squeeze under `maxChildren`.
 */
export function createGatedSpawner(options: GatedSpawnerOptions): AgentSpawner {
  const { policy, spawner, log } = options;
  let inFlight = 0;
  return {
    async spawnAgent(request) {
      const current = options.parent();
      const parent: SpawnParent = { ...current, childrenAlive: current.childrenAlive + inFlight };
      const depth = parent.depth + 1;
      const decision = evaluateSpawnRequest(policy, {
        name: request.name,
        tenant: request.tenant,
        capabilities: request.capabilities,
        parent,
      });
      const reasons = decision.allowed ? [] : [...decision.reasons];
      if (request.depth !== depth) {
        reasons.push(`requested depth ${request.depth} but a child of ${parent.name} is at depth ${depth}`);
      }
      const facts = {
        parent: parent.name,
        name: request.name,
        tenant: request.tenant,
        capabilities: [...request.capabilities],
        depth,
      };
      if (reasons.length > 0) {
        log({ event: 'spawn.denied', ...facts, reasons });
        throw new ColibriError(
          'COLIBRI_SPAWN_POLICY_DENIED',
          `spawn of ${request.name} refused by the spawn policy: ${reasons.join('; ')}`,
          { ...facts, reasons },
        );
      }
      log({ event: 'spawn.allowed', ...facts });
      inFlight += 1;
      try {
        return await spawner.spawnAgent({ ...request, depth });
      } finally {
        inFlight -= 1;
      }
    },
  };
}
