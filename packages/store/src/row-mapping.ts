import type { Selectable } from 'kysely';
import { fromDbTime } from './dialect/dialect-adapter.js';
import type {
  AgentsTable,
  JoinTokensTable,
  TaskEventsTable,
  TasksTable,
  TenantEventsTable,
  TenantsTable,
} from './schema.js';
import type {
  AgentRecord,
  JoinTokenRecord,
  StoredDeclinedSkill,
  StoredSkill,
  TaskEvent,
  TaskRecord,
  TenantEvent,
  TenantRecord,
} from './store.js';

/** A `tasks` row as read. */
export type TaskRow = Selectable<TasksTable>;
/** An `agents` row as read. */
export type AgentRow = Selectable<AgentsTable>;
/** A `tenants` row as read. */
export type TenantRow = Selectable<TenantsTable>;
/** A `join_tokens` row as read. */
export type JoinTokenRow = Selectable<JoinTokensTable>;

export function toAgent(row: AgentRow): AgentRecord {
  return Object.freeze({
    id: row.id,
    name: row.retired_name ?? row.name,
    host: row.host,
    capabilities: Object.freeze(JSON.parse(row.capabilities) as string[]),
    status: row.status,
    tenant: row.tenant,
    registeredAt: fromDbTime(row.registered_at),
    lastHeartbeatAt: row.last_heartbeat_at === null ? null : fromDbTime(row.last_heartbeat_at),
    retiredAt: row.retired_at === null ? null : fromDbTime(row.retired_at),
    retiredReason: row.retired_reason,
    spawnedBy: row.spawned_by,
    spawnDepth: Number(row.spawn_depth),
    skills: Object.freeze(JSON.parse(row.skills) as StoredSkill[]),
    declinedSkills: Object.freeze(JSON.parse(row.declined_skills) as StoredDeclinedSkill[]),
    slots: Number(row.slots),
  });
}

export function toTask(row: TaskRow): TaskRecord {
  return Object.freeze({
    id: row.id,
    title: row.title,
    payload: JSON.parse(row.payload) as unknown,
    requiredCapabilities: Object.freeze(JSON.parse(row.required_capabilities) as string[]),
    status: row.status,
    tenant: row.tenant,
    assignedAgentId: row.assigned_agent_id,
    priority: Number(row.priority),
    attempt: Number(row.attempt),
    maxAttempts: Number(row.max_attempts),
    leaseExpiresAt: row.lease_expires_at === null ? null : fromDbTime(row.lease_expires_at),
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
    createdAt: fromDbTime(row.created_at),
    updatedAt: fromDbTime(row.updated_at),
    skill: row.skill === null ? null : Object.freeze({ name: row.skill, digest: row.skill_digest }),
    retryBackoffMs: row.retry_backoff_ms === null ? null : Number(row.retry_backoff_ms),
    notBefore: row.not_before === null ? null : fromDbTime(row.not_before),
    idempotencyKey: row.idempotency_key,
    expiresAt: row.expires_at === null ? null : fromDbTime(row.expires_at),
    stderrTail: row.stderr_tail,
  });
}

export function toTaskEvent(row: Selectable<TaskEventsTable>): TaskEvent {
  return Object.freeze({
    id: Number(row.id),
    taskId: row.task_id,
    from: row.from_status,
    to: row.to_status,
    agentId: row.agent_id,
    attempt: Number(row.attempt),
    reason: row.reason,
    at: fromDbTime(row.at),
  });
}

export function toJoinToken(row: JoinTokenRow): JoinTokenRecord {
  return Object.freeze({
    tenant: row.tenant,
    expiresAt: fromDbTime(row.expires_at),
    usedAt: row.used_at === null ? null : fromDbTime(row.used_at),
    usedByAgentId: row.used_by_agent_id,
    createdAt: fromDbTime(row.created_at),
    revokedAt: row.revoked_at === null ? null : fromDbTime(row.revoked_at),
    spawnedBy: row.spawned_by,
    spawnDepth: Number(row.spawn_depth),
  });
}

export function toTenant(row: TenantRow): TenantRecord {
  return Object.freeze({
    tenantId: row.tenant_id,
    jail: row.jail,
    collection: row.collection,
    collectionId: row.collection_id,
    status: row.status,
    createdAt: fromDbTime(row.created_at),
    updatedAt: fromDbTime(row.updated_at),
  });
}

export function toTenantEvent(row: Selectable<TenantEventsTable>): TenantEvent {
  return Object.freeze({
    id: Number(row.id),
    tenantId: row.tenant_id,
    at: fromDbTime(row.at),
    from: row.from_status,
    to: row.to_status,
    reason: row.reason,
    details: row.details === null ? null : Object.freeze(JSON.parse(row.details) as Record<string, unknown>),
  });
}

/** Every status of `statuses` with its count from `rows` (zero when absent). */
export function countsByStatus<S extends string>(
  statuses: readonly S[],
  rows: readonly { status: S; count: number | string | bigint }[],
): Record<S, number> {
  const counts = Object.fromEntries(statuses.map((status) => [status, 0])) as Record<S, number>;
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}
