import { ColibriError } from '@colibri/errors';
import type { TaskRecord } from '@colibri/store';
import type { Principal } from '../auth/authenticator.js';

/** Refuses anyone but the operator. */
export function requireOperator(principal: Principal, what: string): void {
  if (principal.kind !== 'operator') {
    throw new ColibriError('COLIBRI_FORBIDDEN', `only the operator may ${what}`);
  }
}

/** Refuses anyone but the operator and the agent `agentId` itself. */
export function requireSelfOrOperator(principal: Principal, agentId: string, what: string): void {
  if (principal.kind === 'operator') return;
  if (principal.kind === 'agent' && principal.agentId === agentId) return;
  throw new ColibriError(
    'COLIBRI_FORBIDDEN',
    `an agent may ${what} only for itself, not for agent ${agentId}`,
    {
      agentId,
    },
  );
}

/** True when `principal` may read `task`: the operator; an agent it is assigned to; an agent of the same (non-null) tenant. */
export function canRead(principal: Principal, task: TaskRecord): boolean {
  if (principal.kind === 'operator') return true;
  if (principal.kind !== 'agent') return false;
  return (
    task.assignedAgentId === principal.agentId || (task.tenant !== null && task.tenant === principal.tenant)
  );
}

/** A store filter that selects exactly the tasks {@link canRead} lets `principal` read. */
export interface VisibleTasks {
  readonly tenant?: string;
  readonly assignedAgentId?: string;
}

/**
 * The tasks `principal` may list, as a store filter: the rule of {@link canRead}, so that a list
 * never shows what a read of the same task refuses. The operator sees every task; a tenant's agent
 * its tenant's tasks (every task assigned to it is one: the store refuses to assign across
 * tenants); a shared agent only the tasks assigned to it, of any tenant (shared lanes serve every
 * tenant) — not the other shared agents' work.
 */
export function visibleTasks(principal: Principal): VisibleTasks {
  if (principal.kind === 'operator') return {};
  if (principal.kind !== 'agent') {
    throw new ColibriError('COLIBRI_UNAUTHENTICATED', 'listing tasks needs an operator or agent token');
  }
  return principal.tenant === null ? { assignedAgentId: principal.agentId } : { tenant: principal.tenant };
}

/** The query string as a plain object; a repeated key is refused (it would be ambiguous). */
export function queryObject(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of query) {
    if (Object.hasOwn(out, key)) {
      throw new ColibriError('COLIBRI_INVALID_INPUT', `query: ${key} is given twice; give it once`, {
        field: key,
      });
    }
    out[key] = value;
  }
  return out;
}
