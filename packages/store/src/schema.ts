import type { AgentStatus, TaskStatus, TenantStatus } from '@colibri/protocol';
import type { ColumnType, Generated } from 'kysely';

/**
 * A timestamp as the database returns it: ISO-8601 text on SQLite, `Date` (timestamptz) on
 * PostgreSQL. The store converts at its edge; nothing outside `src/dialect` sees the difference.
 */
export type DbTime = ColumnType<string | Date, string | Date, string | Date>;

/** JSON is stored as text on both dialects so that every JSON value (even a bare string) round-trips. */
export type DbJson = string;

export interface TenantsTable {
  tenant_id: string;
  jail: string;
  /** The Vaultwarden collection name (unique among tenants); null = no bucket. Added by 0003. */
  collection: string | null;
  /** The collection id resolved from the name, cached (unique among tenants). */
  collection_id: string | null;
  status: TenantStatus;
  created_at: DbTime;
  updated_at: DbTime;
}

export interface AgentsTable {
  id: string;
  name: string;
  host: string | null;
  capabilities: DbJson;
  status: AgentStatus;
  tenant: string | null;
  registered_at: DbTime;
  last_heartbeat_at: DbTime | null;
  /** sha256 (hex) of the agent's bearer token; null for agents registered without one, and once retired. */
  token_hash: string | null;
  /** When it was retired, or null. Added by 0005 (as are the columns below). */
  retired_at: DbTime | null;
  /** The name it had before retiring freed it (`name` is then `~retired~<id>`). */
  retired_name: string | null;
  retired_reason: string | null;
  /** The agent that had it spawned, or null (the operator). */
  spawned_by: string | null;
  /** Its generation: 0 = started by the operator, parent's + 1 for a spawned child. */
  spawn_depth: number;
  /** JSON list of the skills it offers (manifest + digest). Added by 0006. */
  skills: Generated<DbJson>;
  /** JSON list of the skills it declines, with what it lacks. Added by 0006. */
  declined_skills: Generated<DbJson>;
  /** Tasks it holds (assigned or running) at once, at least 1. Added by 0009. */
  slots: Generated<number>;
}

export interface TasksTable {
  id: string;
  title: string;
  payload: DbJson;
  required_capabilities: DbJson;
  status: TaskStatus;
  tenant: string | null;
  assigned_agent_id: string | null;
  priority: number;
  attempt: number;
  max_attempts: number;
  lease_expires_at: DbTime | null;
  result: DbJson | null;
  error: string | null;
  created_at: DbTime;
  updated_at: DbTime;
  /** The skill it asks for, or null. Added by 0006. */
  skill: string | null;
  /** Which manifest of the skill (its digest), or null. */
  skill_digest: string | null;
  /** The retry policy's base backoff; null = a failed handler ends the task. Added by 0008. */
  retry_backoff_ms: number | null;
  /** Not assignable before this time (a retry's backoff), or null. Added by 0008. */
  not_before: DbTime | null;
  /** The caller's idempotency key, unique per tenant, or null. Added by 0008. */
  idempotency_key: string | null;
  /** sha256 of the intake request the key was first used with. Added by 0008. */
  idempotency_digest: string | null;
  /** When a still-parked task expires, or null (never). Added by 0007. */
  expires_at: DbTime | null;
  /** The last 64 KiB of the handler's stderr (scrubbed by the agent), or null. Added by 0007. */
  stderr_tail: string | null;
}

export interface TaskEventsTable {
  id: Generated<number>;
  task_id: string;
  from_status: TaskStatus | null;
  to_status: TaskStatus;
  agent_id: string | null;
  attempt: number;
  reason: string | null;
  at: DbTime;
}

export interface TenantEventsTable {
  id: Generated<number>;
  tenant_id: string;
  at: DbTime;
  from_status: TenantStatus | null;
  to_status: TenantStatus;
  reason: string | null;
  /** JSON object text, or null. */
  details: DbJson | null;
}

export interface JoinTokensTable {
  /** sha256 (hex) of the one-time token; the token itself is never stored. */
  token_hash: string;
  tenant: string;
  expires_at: DbTime;
  used_at: DbTime | null;
  used_by_agent_id: string | null;
  created_at: DbTime;
  /** The agent the registered agent will be a child of (0005), or null. */
  spawned_by: string | null;
  /** The generation the registered agent will have (0005). */
  spawn_depth: number;
  /** When it was revoked before use (0005), or null. */
  revoked_at: DbTime | null;
}

export interface AdvertisedTagsTable {
  tag: string;
  first_advertised_at: DbTime;
}

/** The whole schema as kysely sees it. */
export interface Database {
  tenants: TenantsTable;
  agents: AgentsTable;
  tasks: TasksTable;
  task_events: TaskEventsTable;
  tenant_events: TenantEventsTable;
  join_tokens: JoinTokensTable;
  advertised_tags: AdvertisedTagsTable;
}
