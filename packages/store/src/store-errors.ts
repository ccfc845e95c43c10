import { ColibriError } from '@colibri/errors';

/*
 * The store's own errors. They say what is wrong in the store's words and carry the ids in their
 * details; they never name a CLI command or flag: the CLI adds such hints at its edge, by code
 * (apps/colibri/src/error-hints.ts).
 */

export function taskNotFound(taskId: unknown): ColibriError {
  return new ColibriError(
    'COLIBRI_TASK_NOT_FOUND',
    `no task with id ${JSON.stringify(taskId)} (list tasks to see valid ids)`,
    { taskId: typeof taskId === 'string' ? taskId : null },
  );
}

export function agentNotFound(agentId: unknown): ColibriError {
  return new ColibriError(
    'COLIBRI_AGENT_NOT_FOUND',
    `no agent with id ${JSON.stringify(agentId)} (list agents to see valid ids)`,
    { agentId: typeof agentId === 'string' ? agentId : null },
  );
}

export function tenantNotFound(tenantId: unknown): ColibriError {
  return new ColibriError('COLIBRI_TENANT_NOT_FOUND', `no tenant ${JSON.stringify(tenantId)}`, {
    tenantId: typeof tenantId === 'string' ? tenantId : null,
  });
}

/** What clashed when a tenant could not be created: the CLI's hint depends on it. */
export type TenantClash = 'tenant' | 'jail' | 'collection' | 'concurrent';

export function tenantExists(
  tenant: { tenantId: string; jail: string; collection: string | null },
  clash: TenantClash,
  why: string,
): ColibriError {
  return new ColibriError('COLIBRI_TENANT_EXISTS', `cannot register tenant ${tenant.tenantId}: ${why}`, {
    tenantId: tenant.tenantId,
    jail: tenant.jail,
    collection: tenant.collection,
    clash,
  });
}

export function joinTokenInvalid(why: string): ColibriError {
  return new ColibriError(
    'COLIBRI_JOIN_TOKEN_INVALID',
    `the join token ${why}; ask the operator for a new one`,
  );
}

/** A provision resolved another collection than the one cached (or one another tenant holds): fail closed. */
export function collectionChanged(
  tenantId: string,
  cached: string | null,
  resolved: string,
  owner?: string,
): ColibriError {
  return new ColibriError(
    'COLIBRI_VAULT_COLLECTION_CHANGED',
    owner === undefined
      ? `tenant ${tenantId} has collection id ${cached} cached, but the provision resolved ${resolved}: the collection was re-created or renamed; if that is intended, reset the tenant's cached collection id and provision again`
      : `collection id ${resolved} is already cached for tenant ${owner}; one collection never serves two tenants (check the collection names in the vault)`,
    { tenantId, cachedCollectionId: cached, collectionId: resolved, ...(owner ? { owner } : {}) },
  );
}

export function nameTaken(name: string): ColibriError {
  return new ColibriError(
    'COLIBRI_AGENT_NAME_TAKEN',
    `an agent named ${name} is already registered; pick another name or remove the old agent`,
    { name },
  );
}

export function agentRetired(
  agent: { id: string; name: string; retired_name: string | null },
  operation: string,
): ColibriError {
  return new ColibriError(
    'COLIBRI_AGENT_RETIRED',
    `${operation}: agent ${agent.retired_name ?? agent.name} (${agent.id}) is retired; a retired agent never comes back (spawn or register a new one)`,
    { agentId: agent.id },
  );
}

export function tokenHashTaken(): ColibriError {
  return new ColibriError(
    'COLIBRI_INVALID_INPUT',
    'registerAgent: this token hash already belongs to another agent; issue a new token',
    { field: 'tokenHash' },
  );
}
