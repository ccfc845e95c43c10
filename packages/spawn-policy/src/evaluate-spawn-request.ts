import { parseAgentName } from '@colibri/protocol';
import type { SpawnPolicy } from './spawn-policy.js';

/** The agent asking to spawn, as the policy needs to see it. */
export interface SpawnParent {
  /** The mother's agent name (for logs). */
  readonly name: string;
  /** The mother's tenant; null = a shared (operator-owned) lane. */
  readonly tenant: string | null;
  /** The mother's generation: 0 for an agent the operator started, parent depth + 1 for a child. */
  readonly depth: number;
  /** Children of this mother alive now (including spawns still in flight). */
  readonly childrenAlive: number;
}

/** One request to birth a child agent. */
export interface SpawnPolicyRequest {
  /** The child's agent name. */
  readonly name: string;
  /** The child's tenant; null = a shared lane. */
  readonly tenant: string | null;
  /** The capability tags the child will advertise. */
  readonly capabilities: readonly string[];
  /** Who is asking. */
  readonly parent: SpawnParent;
}

/** The verdict: allowed, or refused with every reason (not only the first), so one fix round suffices. */
export type SpawnDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reasons: string[] };

/**
 * Checks `request` against `policy`. Pure: no I/O, no clock.
 *
 * Besides the policy's own limits, one rule holds whatever the policy says: a tenant's agent may
 * only spawn children of its own tenant. Identity layers can come from the tenant's side, so a
 * policy must not be able to open a path from one tenant into another (or into a shared lane).
 */
export function evaluateSpawnRequest(policy: SpawnPolicy, request: SpawnPolicyRequest): SpawnDecision {
  const reasons: string[] = [];
  const { parent } = request;
  if (policy.maxChildren <= 0 || policy.maxDepth <= 0) {
    reasons.push(
      'self-replication is disabled by the spawn policy (maxChildren and maxDepth must both be at least 1)',
    );
  } else {
    if (parent.childrenAlive + 1 > policy.maxChildren) {
      reasons.push(
        `${parent.name} already has ${parent.childrenAlive} child(ren) alive; the policy allows at most ${policy.maxChildren}`,
      );
    }
    if (parent.depth + 1 > policy.maxDepth) {
      reasons.push(
        `a child of ${parent.name} would be at depth ${parent.depth + 1}; the policy allows at most depth ${policy.maxDepth}`,
      );
    }
  }
  try {
    parseAgentName(request.name);
  } catch (error) {
    reasons.push((error as Error).message);
  }
  if (request.tenant === null) {
    if (parent.tenant !== null) {
      reasons.push(`${parent.name} belongs to tenant ${parent.tenant} and may not spawn a shared lane`);
    } else if (!policy.allowSharedLane) {
      reasons.push('the policy does not allow spawning a shared lane (allowSharedLane is false)');
    }
  } else {
    if (parent.tenant !== null && request.tenant !== parent.tenant) {
      reasons.push(
        `${parent.name} belongs to tenant ${parent.tenant} and may only spawn agents of that tenant, not ${request.tenant}`,
      );
    }
    if (!policy.allowedTenants.includes(request.tenant)) {
      reasons.push(`tenant ${request.tenant} is not in the policy's allowedTenants`);
    }
  }
  const refusedTags = request.capabilities.filter((tag) => !policy.allowedCapabilities.includes(tag));
  if (refusedTags.length > 0) {
    reasons.push(`capabilities not in the policy's allowedCapabilities: ${refusedTags.join(', ')}`);
  }
  return reasons.length === 0 ? { allowed: true } : { allowed: false, reasons };
}
