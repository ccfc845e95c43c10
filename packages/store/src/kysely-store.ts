import { randomUUID } from 'node:crypto';
import { ColibriError } from '@colibri/errors';
import {
  AGENT_STATUSES,
  type AgentStatus,
  isLegalTaskTransition,
  isLegalTenantTransition,
  TASK_STATUSES,
  type TaskStatus,
  type TenantStatus,
} from '@colibri/protocol';
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import { type DialectAdapter, fromDbTime } from './dialect/dialect-adapter.js';
import {
  assignTaskSchema,
  createJoinTokenSchema,
  createTenantSchema,
  intakeTaskSchema,
  isStoreId,
  joinTokenHashSchema,
  parseInput,
  recordTenantProvisionSchema,
  registerAgentSchema,
  resetTenantCollectionSchema,
  retireAgentSchema,
  setTenantStatusSchema,
  TOKEN_HASH_PATTERN,
  transitionTaskSchema,
  updateCapabilitiesSchema,
} from './input-schemas.js';
import type {
  AgentsTable,
  Database,
  JoinTokensTable,
  TaskEventsTable,
  TasksTable,
  TenantEventsTable,
  TenantsTable,
} from './schema.js';
import type {
  AgentOfflineResult,
  AgentRecord,
  AssignTaskInput,
  ChangeListener,
  ChangeSubscription,
  CountFilter,
  CreateJoinTokenInput,
  CreateTenantInput,
  IntakeTaskInput,
  JoinTokenRecord,
  ListAgentsFilter,
  ListTasksFilter,
  ListTenantsFilter,
  RecordTenantProvisionInput,
  RegisterAgentInput,
  RegisterWithJoinTokenInput,
  RetireAgentOptions,
  Store,
  StoreDriverName,
  StoreOptions,
  TaskEvent,
  TaskRecord,
  TenantEvent,
  TenantRecord,
  TransitionTaskInput,
  WatchChangesOptions,
} from './store.js';

type TaskRow = Selectable<TasksTable>;
type AgentRow = Selectable<AgentsTable>;
type TenantRow = Selectable<TenantsTable>;
type Trx = Transaction<Database>;

const UNFINISHED: readonly TaskStatus[] = ['assigned', 'running'];
const MAX_TRANSACTION_TRIES = 8;

/** The tenant filter of the listing and counting queries: null selects shared agents / operator tasks. */
function byTenant(tenant: string | null) {
  return (eb: ExpressionBuilder<Database, 'agents' | 'tasks'>) =>
    tenant === null ? eb('tenant', 'is', null) : eb('tenant', '=', tenant);
}

/** A status filter given as one value or several. */
function asList<T extends string>(value: T | readonly T[]): readonly T[] {
  return typeof value === 'string' ? [value] : (value as readonly T[]);
}

/** What a retired agent's `name` column holds: unique, and never a valid agent name (see migration 0005). */
function retiredNameOf(agentId: string): string {
  return `~retired~${agentId}`;
}

function toAgent(row: AgentRow): AgentRecord {
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
  });
}

function toTask(row: TaskRow): TaskRecord {
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
  });
}

function toEvent(row: Selectable<TaskEventsTable>): TaskEvent {
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

function toJoinToken(row: Selectable<JoinTokensTable>): JoinTokenRecord {
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

/** Every status of `statuses` with its count from `rows` (zero when absent). */
function countsByStatus<S extends string>(
  statuses: readonly S[],
  rows: readonly { status: S; count: number | string | bigint }[],
): Record<S, number> {
  const counts = Object.fromEntries(statuses.map((status) => [status, 0])) as Record<S, number>;
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

function joinTokenInvalid(why: string): ColibriError {
  return new ColibriError(
    'COLIBRI_JOIN_TOKEN_INVALID',
    `the join token ${why}; ask the operator for a new one (colibri join-token --tenant T)`,
  );
}

function toTenant(row: TenantRow): TenantRecord {
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

function toTenantEvent(row: Selectable<TenantEventsTable>): TenantEvent {
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

function taskNotFound(taskId: unknown): ColibriError {
  return new ColibriError(
    'COLIBRI_TASK_NOT_FOUND',
    `no task with id ${JSON.stringify(taskId)} (list tasks to see valid ids)`,
    { taskId: typeof taskId === 'string' ? taskId : null },
  );
}

function agentNotFound(agentId: unknown): ColibriError {
  return new ColibriError(
    'COLIBRI_AGENT_NOT_FOUND',
    `no agent with id ${JSON.stringify(agentId)} (list agents to see valid ids)`,
    { agentId: typeof agentId === 'string' ? agentId : null },
  );
}

function tenantNotFound(tenantId: unknown): ColibriError {
  return new ColibriError(
    'COLIBRI_TENANT_NOT_FOUND',
    `no tenant ${JSON.stringify(tenantId)} (colibri list-tenants shows them; colibri register-tenant adds one)`,
    { tenantId: typeof tenantId === 'string' ? tenantId : null },
  );
}

/** A provision resolved another collection than the one cached (or one another tenant holds): fail closed. */
function collectionChanged(tenantId: string, cached: string | null, resolved: string, owner?: string) {
  const how = `if that is intended, run \`colibri reset-tenant-collection ${tenantId}\` and provision again`;
  return new ColibriError(
    'COLIBRI_VAULT_COLLECTION_CHANGED',
    owner === undefined
      ? `tenant ${tenantId} has collection id ${cached} cached, but the provision resolved ${resolved}: the collection was re-created or renamed; ${how}`
      : `collection id ${resolved} is already cached for tenant ${owner}; one collection never serves two tenants (check the collection names in the vault)`,
    { tenantId, cachedCollectionId: cached, collectionId: resolved, ...(owner ? { owner } : {}) },
  );
}

/** Why `agent` may not take `task`, or null when it may. Mirrors the scheduler's rule as a last line of defence. */
function ineligibility(task: TaskRow, agent: AgentRow): string | null {
  if (agent.retired_at !== null) return `agent ${agent.retired_name ?? agent.name} is retired`;
  if (agent.status === 'offline') return `agent ${agent.name} is offline`;
  if (agent.tenant !== null && agent.tenant !== task.tenant) {
    return task.tenant === null
      ? `agent ${agent.name} belongs to tenant ${agent.tenant}; an operator task goes only to shared agents`
      : `agent ${agent.name} belongs to tenant ${agent.tenant}, the task to tenant ${task.tenant}`;
  }
  const offered = new Set(JSON.parse(agent.capabilities) as string[]);
  const missing = (JSON.parse(task.required_capabilities) as string[]).filter((tag) => !offered.has(tag));
  if (missing.length > 0) return `agent ${agent.name} lacks ${missing.join(', ')}`;
  return null;
}

function parseRegisterAgent(input: RegisterAgentInput, operation: string) {
  return parseInput(registerAgentSchema, input, operation);
}

function nameTaken(name: string): ColibriError {
  return new ColibriError(
    'COLIBRI_AGENT_NAME_TAKEN',
    `an agent named ${name} is already registered; pick another name or remove the old agent`,
    { name },
  );
}

function agentRetired(row: AgentRow, operation: string): ColibriError {
  return new ColibriError(
    'COLIBRI_AGENT_RETIRED',
    `${operation}: agent ${row.retired_name ?? row.name} (${row.id}) is retired; a retired agent never comes back (spawn or register a new one)`,
    { agentId: row.id },
  );
}

function tokenHashTaken(): ColibriError {
  return new ColibriError(
    'COLIBRI_INVALID_INPUT',
    'registerAgent: this token hash already belongs to another agent; issue a new token',
    { field: 'tokenHash' },
  );
}

/**
 * The store, written once against kysely; {@link DialectAdapter} carries what differs between
 * SQLite and PostgreSQL.
 */
export class KyselyStore implements Store {
  readonly #adapter: DialectAdapter;
  readonly #db: Kysely<Database>;
  readonly #clock: () => Date;
  /** Open change feeds, closed with the store. */
  readonly #subscriptions = new Set<ChangeSubscription>();
  #closed = false;

  constructor(adapter: DialectAdapter, options: StoreOptions = {}) {
    this.#adapter = adapter;
    this.#db = adapter.db;
    this.#clock = options.clock ?? (() => new Date());
  }

  get driver(): StoreDriverName {
    return this.#adapter.driver;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  #time(at: Date | undefined): string | Date {
    return this.#adapter.toDbTime(at ?? this.#clock());
  }

  #mapError(error: unknown): unknown {
    if (error instanceof ColibriError) return error;
    if (this.#adapter.isUnavailable(error)) {
      return new ColibriError(
        'COLIBRI_STORE_UNAVAILABLE',
        `the ${this.driver} database is unavailable: ${(error as Error).message}`,
        { driver: this.driver },
        { cause: error },
      );
    }
    return new ColibriError(
      'COLIBRI_INTERNAL',
      `unexpected ${this.driver} error: ${(error as Error).message}`,
      { driver: this.driver },
      { cause: error },
    );
  }

  async #read<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    try {
      return await fn(this.#db);
    } catch (error) {
      throw this.#mapError(error);
    }
  }

  /**
   * Runs `fn` in one transaction. A transaction the database rolled back to break a deadlock is
   * run again from the start (a few times, with jitter): it had no effect, so this is safe.
   */
  async #transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(fn);
      } catch (error) {
        if (attempt < MAX_TRANSACTION_TRIES && this.#adapter.isRetryable(error)) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        throw this.#mapError(error);
      }
    }
  }

  async #lockTask(trx: Trx, taskId: string): Promise<TaskRow> {
    if (!isStoreId(taskId)) throw taskNotFound(taskId);
    let query = trx.selectFrom('tasks').selectAll().where('id', '=', taskId);
    if (this.#adapter.supportsRowLocks) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw taskNotFound(taskId);
    return row;
  }

  async #lockAgent(trx: Trx, agentId: string): Promise<AgentRow> {
    if (!isStoreId(agentId)) throw agentNotFound(agentId);
    let query = trx.selectFrom('agents').selectAll().where('id', '=', agentId);
    if (this.#adapter.supportsRowLocks) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw agentNotFound(agentId);
    return row;
  }

  /** idle ↔ active by whether the agent holds unfinished tasks; offline stays offline. */
  async #refreshAgentStatus(trx: Trx, agentId: string): Promise<void> {
    const { count } = await trx
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('assigned_agent_id', '=', agentId)
      .where('status', 'in', UNFINISHED)
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('agents')
      .set({ status: Number(count) > 0 ? 'active' : 'idle' })
      .where('id', '=', agentId)
      .where('status', '!=', 'offline')
      .execute();
  }

  async #insertEvent(
    trx: Trx,
    event: {
      taskId: string;
      from: TaskStatus | null;
      to: TaskStatus;
      agentId: string | null;
      attempt: number;
      reason: string | null;
      at: string | Date;
    },
  ): Promise<void> {
    await trx
      .insertInto('task_events')
      .values({
        task_id: event.taskId,
        from_status: event.from,
        to_status: event.to,
        agent_id: event.agentId,
        attempt: event.attempt,
        reason: event.reason,
        at: event.at,
      })
      .execute();
  }

  /**
   * Moves a locked task row on. Compare-and-set on (status, attempt) even though the row is
   * locked: on SQLite the lock is the whole-database write lock, and the condition keeps the
   * rule true whatever the isolation level.
   */
  async #applyTransition(
    trx: Trx,
    task: TaskRow,
    change: {
      to: Exclude<TaskStatus, 'assigned'>;
      actorAgentId: string | null;
      result?: string;
      error?: string;
      reason: string | null;
      at: string | Date;
    },
  ): Promise<TaskRow> {
    let to: TaskStatus = change.to;
    let error = change.error ?? null;
    let reason = change.reason;
    if (to === 'parked' && task.attempt >= task.max_attempts) {
      to = 'failed';
      error = `gave up after ${task.attempt} of ${task.max_attempts} attempts${change.reason ? `: ${change.reason}` : ''}`;
      reason = error;
    }
    const updated = await trx
      .updateTable('tasks')
      .set({
        status: to,
        updated_at: change.at,
        ...(to === 'parked' ? { assigned_agent_id: null, lease_expires_at: null } : {}),
        ...(to === 'done' || to === 'failed' || to === 'cancelled' ? { lease_expires_at: null } : {}),
        ...(change.result !== undefined ? { result: change.result } : {}),
        ...(error !== null ? { error } : {}),
      })
      .where('id', '=', task.id)
      .where('status', '=', task.status)
      .where('attempt', '=', task.attempt)
      .returningAll()
      .executeTakeFirst();
    if (!updated) {
      throw new ColibriError(
        'COLIBRI_STALE_ATTEMPT',
        `task ${task.id} changed while being moved to ${to}; read it again`,
        { taskId: task.id },
      );
    }
    await this.#insertEvent(trx, {
      taskId: task.id,
      from: task.status,
      to,
      agentId: change.actorAgentId ?? task.assigned_agent_id,
      attempt: task.attempt,
      reason,
      at: change.at,
    });
    if (task.assigned_agent_id !== null && to !== 'running') {
      await this.#refreshAgentStatus(trx, task.assigned_agent_id);
    }
    return updated;
  }

  // ---- agents -------------------------------------------------------------------------------

  /**
   * Inserts a validated agent inside `trx`: refuses a taken name or token hash, and records its
   * tags as advertised. Shared by both ways to register.
   */
  async #insertAgent(
    trx: Trx,
    agent: ReturnType<typeof parseRegisterAgent>,
    tenant: string | null,
    lineage: { spawnedBy: string | null; spawnDepth: number } = { spawnedBy: null, spawnDepth: 0 },
  ): Promise<AgentRow> {
    const at = this.#time(agent.at);
    const existing = await trx
      .selectFrom('agents')
      .select('id')
      .where('name', '=', agent.name)
      .executeTakeFirst();
    if (existing) throw nameTaken(agent.name);
    if (agent.tokenHash !== undefined) {
      const clash = await trx
        .selectFrom('agents')
        .select('id')
        .where('token_hash', '=', agent.tokenHash)
        .executeTakeFirst();
      if (clash) throw tokenHashTaken();
    }
    const row: AgentRow = {
      id: randomUUID(),
      name: agent.name,
      host: agent.host,
      capabilities: JSON.stringify(agent.capabilities),
      status: 'idle',
      tenant,
      registered_at: at,
      last_heartbeat_at: null,
      token_hash: agent.tokenHash ?? null,
      retired_at: null,
      retired_name: null,
      retired_reason: null,
      spawned_by: lineage.spawnedBy,
      spawn_depth: lineage.spawnDepth,
    };
    const inserted = await trx.insertInto('agents').values(row).returningAll().executeTakeFirstOrThrow();
    await this.#recordAdvertisedTags(trx, agent.capabilities, at);
    return inserted;
  }

  async #recordAdvertisedTags(trx: Trx, tags: readonly string[], at: string | Date): Promise<void> {
    if (tags.length === 0) return;
    await trx
      .insertInto('advertised_tags')
      .values(tags.map((tag) => ({ tag, first_advertised_at: at })))
      .onConflict((oc) => oc.column('tag').doNothing())
      .execute();
  }

  /** Maps a unique violation that slipped past the in-transaction checks (a race on PostgreSQL). */
  #uniqueClash(error: unknown, name: string): unknown {
    if (error instanceof ColibriError && this.#adapter.isUniqueViolation(error.cause)) {
      return /token_hash/.test((error.cause as Error).message) ? tokenHashTaken() : nameTaken(name);
    }
    return error;
  }

  async registerAgent(input: RegisterAgentInput): Promise<AgentRecord> {
    const agent = parseRegisterAgent(input, 'registerAgent');
    try {
      return toAgent(await this.#transaction((trx) => this.#insertAgent(trx, agent, agent.tenant)));
    } catch (error) {
      throw this.#uniqueClash(error, agent.name);
    }
  }

  async registerAgentWithJoinToken(input: RegisterWithJoinTokenInput): Promise<AgentRecord> {
    const { tokenHash } = parseInput(
      joinTokenHashSchema,
      { tokenHash: (input as { tokenHash?: unknown } | null)?.tokenHash },
      'registerAgentWithJoinToken',
    );
    const agentInput = (input as { agent?: RegisterAgentInput } | null)?.agent;
    const agent = parseRegisterAgent(agentInput as RegisterAgentInput, 'registerAgentWithJoinToken');
    const at = this.#time(input.at ?? agent.at);
    const now = fromDbTime(at);
    const explicitTenant = (agentInput as { tenant?: unknown }).tenant;
    try {
      return toAgent(
        await this.#transaction(async (trx) => {
          let query = trx.selectFrom('join_tokens').selectAll().where('token_hash', '=', tokenHash);
          if (this.#adapter.supportsRowLocks) query = query.forUpdate();
          const token = await query.executeTakeFirst();
          if (!token) throw joinTokenInvalid('is not valid');
          if (token.revoked_at !== null) throw joinTokenInvalid('was revoked');
          if (token.used_at !== null) throw joinTokenInvalid('was already used');
          if (fromDbTime(token.expires_at) <= now) throw joinTokenInvalid('has expired');
          const explicit = explicitTenant;
          if (explicit !== undefined && explicit !== token.tenant) {
            throw new ColibriError(
              'COLIBRI_FORBIDDEN',
              `this join token registers agents of tenant ${token.tenant} only, not ${explicit === null ? 'shared agents' : `tenant ${JSON.stringify(explicit)}`}`,
              { tenant: token.tenant },
            );
          }
          const row = await this.#insertAgent(trx, agent, token.tenant, {
            spawnedBy: token.spawned_by,
            spawnDepth: Number(token.spawn_depth),
          });
          const used = await trx
            .updateTable('join_tokens')
            .set({ used_at: at, used_by_agent_id: row.id })
            .where('token_hash', '=', tokenHash)
            .where('used_at', 'is', null)
            .where('revoked_at', 'is', null)
            .executeTakeFirst();
          if (Number(used.numUpdatedRows) !== 1) throw joinTokenInvalid('was already used');
          return row;
        }),
      );
    } catch (error) {
      throw this.#uniqueClash(error, agent.name);
    }
  }

  async findAgentByTokenHash(tokenHash: string): Promise<AgentRecord | undefined> {
    if (typeof tokenHash !== 'string' || !TOKEN_HASH_PATTERN.test(tokenHash)) return undefined;
    const row = await this.#read((db) =>
      db.selectFrom('agents').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    );
    return row ? toAgent(row) : undefined;
  }

  async findJoinToken(tokenHash: string): Promise<JoinTokenRecord | undefined> {
    if (typeof tokenHash !== 'string' || !TOKEN_HASH_PATTERN.test(tokenHash)) return undefined;
    const row = await this.#read((db) =>
      db.selectFrom('join_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    );
    return row ? toJoinToken(row) : undefined;
  }

  async createJoinToken(input: CreateJoinTokenInput): Promise<JoinTokenRecord> {
    const token = parseInput(createJoinTokenSchema, input, 'createJoinToken');
    const clash = () =>
      new ColibriError('COLIBRI_INVALID_INPUT', 'createJoinToken: this token hash is already stored', {
        field: 'tokenHash',
      });
    try {
      return toJoinToken(
        await this.#transaction(async (trx) => {
          const existing = await trx
            .selectFrom('join_tokens')
            .select('token_hash')
            .where('token_hash', '=', token.tokenHash)
            .executeTakeFirst();
          if (existing) throw clash();
          const lineage = await this.#joinTokenLineage(trx, token.spawnedBy, token.spawnDepth);
          return trx
            .insertInto('join_tokens')
            .values({
              token_hash: token.tokenHash,
              tenant: token.tenant,
              expires_at: this.#adapter.toDbTime(token.expiresAt),
              used_at: null,
              used_by_agent_id: null,
              created_at: this.#time(token.at),
              spawned_by: lineage.spawnedBy,
              spawn_depth: lineage.spawnDepth,
              revoked_at: null,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
        }),
      );
    } catch (error) {
      if (error instanceof ColibriError && this.#adapter.isUniqueViolation(error.cause)) throw clash();
      throw error;
    }
  }

  /**
   * The lineage a join token carries: a mother must exist and not be retired, and the depth is
   * always hers + 1 (0 without a mother); a different depth is refused, never corrected.
   */
  async #joinTokenLineage(
    trx: Trx,
    spawnedBy: string | undefined,
    spawnDepth: number | undefined,
  ): Promise<{ spawnedBy: string | null; spawnDepth: number }> {
    const invalid = (why: string) =>
      new ColibriError('COLIBRI_INVALID_INPUT', `createJoinToken: spawnDepth: ${why}`, {
        field: 'spawnDepth',
      });
    if (spawnedBy === undefined) {
      if (spawnDepth !== undefined && spawnDepth !== 0) {
        throw invalid(`an agent without a mother (no spawnedBy) is at depth 0, not ${spawnDepth}`);
      }
      return { spawnedBy: null, spawnDepth: 0 };
    }
    const mother = await this.#lockAgent(trx, spawnedBy);
    if (mother.retired_at !== null) throw agentRetired(mother, 'createJoinToken');
    const depth = Number(mother.spawn_depth) + 1;
    if (spawnDepth !== undefined && spawnDepth !== depth) {
      throw invalid(
        `a child of ${mother.name} (depth ${mother.spawn_depth}) is at depth ${depth}, not ${spawnDepth}`,
      );
    }
    return { spawnedBy: mother.id, spawnDepth: depth };
  }

  async revokeJoinToken(tokenHash: string): Promise<boolean> {
    const { tokenHash: hash } = parseInput(joinTokenHashSchema, { tokenHash }, 'revokeJoinToken');
    const at = this.#time(undefined);
    return this.#transaction(async (trx) => {
      // The expiry moves to now as well, so that any check of the expiry alone refuses it too.
      const result = await trx
        .updateTable('join_tokens')
        .set({ revoked_at: at, expires_at: at })
        .where('token_hash', '=', hash)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  async countAgentsByStatus(filter: CountFilter = {}): Promise<Record<AgentStatus, number>> {
    const rows = await this.#read((db) => {
      let query = db
        .selectFrom('agents')
        .select(['status', (eb) => eb.fn.countAll<number | string>().as('count')])
        .where('retired_at', 'is', null)
        .groupBy('status');
      if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
      return query.execute();
    });
    return countsByStatus(AGENT_STATUSES, rows);
  }

  async listAdvertisedTags(): Promise<string[]> {
    const rows = await this.#read((db) =>
      db.selectFrom('advertised_tags').select('tag').orderBy('tag').execute(),
    );
    return rows.map((row) => row.tag);
  }

  async getAgent(agentId: string): Promise<AgentRecord> {
    if (!isStoreId(agentId)) throw agentNotFound(agentId);
    const row = await this.#read((db) =>
      db.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst(),
    );
    if (!row) throw agentNotFound(agentId);
    return toAgent(row);
  }

  async findAgentByName(name: string): Promise<AgentRecord | undefined> {
    if (typeof name !== 'string') return undefined;
    const row = await this.#read((db) =>
      db
        .selectFrom('agents')
        .selectAll()
        .where('name', '=', name)
        .where('retired_at', 'is', null)
        .executeTakeFirst(),
    );
    return row ? toAgent(row) : undefined;
  }

  async listAgents(filter: ListAgentsFilter = {}): Promise<AgentRecord[]> {
    const rows = await this.#read((db) => {
      // Retired agents sort by the name they had, among the others.
      let query = db
        .selectFrom('agents')
        .selectAll()
        .orderBy((eb) => eb.fn.coalesce('retired_name', 'name'))
        .orderBy('id');
      if (filter.includeRetired !== true) query = query.where('retired_at', 'is', null);
      if (filter.status !== undefined) {
        query = query.where('status', 'in', asList(filter.status));
      }
      if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
      return query.execute();
    });
    return rows.map(toAgent);
  }

  async updateAgentCapabilities(agentId: string, capabilities: readonly string[]): Promise<AgentRecord> {
    const { capabilities: tags } = parseInput(
      updateCapabilitiesSchema,
      { capabilities },
      'updateAgentCapabilities',
    );
    return this.#transaction(async (trx) => {
      const agent = await this.#lockAgent(trx, agentId);
      if (agent.retired_at !== null) throw agentRetired(agent, 'updateAgentCapabilities');
      const row = await trx
        .updateTable('agents')
        .set({ capabilities: JSON.stringify(tags) })
        .where('id', '=', agentId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.#recordAdvertisedTags(trx, tags, this.#time(undefined));
      return toAgent(row);
    });
  }

  async recordHeartbeat(
    agentId: string,
    options: { at?: Date; extendLeasesUntil?: Date } = {},
  ): Promise<AgentRecord> {
    const at = this.#time(options.at);
    return this.#transaction(async (trx) => {
      const agent = await this.#lockAgent(trx, agentId);
      if (agent.retired_at !== null) throw agentRetired(agent, 'recordHeartbeat');
      await trx
        .updateTable('agents')
        .set({ last_heartbeat_at: at, ...(agent.status === 'offline' ? { status: 'idle' as const } : {}) })
        .where('id', '=', agentId)
        .execute();
      if (agent.status === 'offline') await this.#refreshAgentStatus(trx, agentId);
      if (options.extendLeasesUntil) {
        await trx
          .updateTable('tasks')
          .set({ lease_expires_at: this.#adapter.toDbTime(options.extendLeasesUntil) })
          .where('assigned_agent_id', '=', agentId)
          .where('status', 'in', UNFINISHED)
          .execute();
      }
      return toAgent(
        await trx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirstOrThrow(),
      );
    });
  }

  async markAgentOffline(
    agentId: string,
    options: { at?: Date; reason?: string; silentSince?: Date } = {},
  ): Promise<AgentOfflineResult> {
    const at = this.#time(options.at);
    const reason = options.reason ?? 'agent went offline';
    const silentSince = options.silentSince;
    if (
      silentSince !== undefined &&
      (!(silentSince instanceof Date) || Number.isNaN(silentSince.getTime()))
    ) {
      throw new ColibriError('COLIBRI_INVALID_INPUT', 'markAgentOffline: silentSince must be a valid date', {
        field: 'silentSince',
      });
    }
    return this.#transaction(async (trx) => {
      const current = await this.#lockAgent(trx, agentId);
      if (silentSince !== undefined) {
        const lastSign = fromDbTime(current.last_heartbeat_at ?? current.registered_at);
        if (lastSign >= silentSince) {
          return Object.freeze({
            agent: toAgent(current),
            requeued: Object.freeze([]),
            failed: Object.freeze([]),
          });
        }
      }
      await trx.updateTable('agents').set({ status: 'offline' }).where('id', '=', agentId).execute();
      return this.#handBackTasks(trx, agentId, reason, at);
    });
  }

  /**
   * Re-queues (or fails, past their last attempt) an agent's unfinished tasks inside `trx`, once
   * the agent is marked offline, and returns the agent as it now is with those tasks.
   */
  async #handBackTasks(
    trx: Trx,
    agentId: string,
    reason: string,
    at: string | Date,
  ): Promise<AgentOfflineResult> {
    let query = trx
      .selectFrom('tasks')
      .selectAll()
      .where('assigned_agent_id', '=', agentId)
      .where('status', 'in', UNFINISHED)
      .orderBy('created_at');
    if (this.#adapter.supportsRowLocks) query = query.forUpdate();
    const requeued: TaskRecord[] = [];
    const failed: TaskRecord[] = [];
    for (const task of await query.execute()) {
      const row = await this.#applyTransition(trx, task, { to: 'parked', actorAgentId: null, reason, at });
      (row.status === 'failed' ? failed : requeued).push(toTask(row));
    }
    const agent = toAgent(
      await trx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirstOrThrow(),
    );
    return Object.freeze({ agent, requeued: Object.freeze(requeued), failed: Object.freeze(failed) });
  }

  async retireAgent(agentId: string, options: RetireAgentOptions): Promise<AgentOfflineResult> {
    const retire = parseInput(retireAgentSchema, options, 'retireAgent');
    const at = this.#time(retire.at);
    return this.#transaction(async (trx) => {
      const current = await this.#lockAgent(trx, agentId);
      if (current.retired_at !== null) {
        return Object.freeze({
          agent: toAgent(current),
          requeued: Object.freeze([]),
          failed: Object.freeze([]),
        });
      }
      await trx
        .updateTable('agents')
        .set({
          status: 'offline',
          token_hash: null,
          retired_at: at,
          retired_name: current.name,
          retired_reason: retire.reason,
          name: retiredNameOf(current.id),
        })
        .where('id', '=', agentId)
        .where('retired_at', 'is', null)
        .execute();
      return this.#handBackTasks(trx, agentId, `agent retired: ${retire.reason}`, at);
    });
  }

  async countChildren(agentId: string): Promise<number> {
    if (!isStoreId(agentId)) throw agentNotFound(agentId);
    const { count } = await this.#read((db) =>
      db
        .selectFrom('agents')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('spawned_by', '=', agentId)
        .where('retired_at', 'is', null)
        .executeTakeFirstOrThrow(),
    );
    return Number(count);
  }

  async countActiveTasksByAgent(): Promise<Map<string, number>> {
    const rows = await this.#read((db) =>
      db
        .selectFrom('tasks')
        .select(['assigned_agent_id', (eb) => eb.fn.countAll<number | string>().as('count')])
        .where('status', 'in', UNFINISHED)
        .where('assigned_agent_id', 'is not', null)
        .groupBy('assigned_agent_id')
        .execute(),
    );
    return new Map(rows.map((row) => [row.assigned_agent_id as string, Number(row.count)]));
  }

  // ---- tasks --------------------------------------------------------------------------------

  async intakeTask(input: IntakeTaskInput): Promise<TaskRecord> {
    const task = parseInput(intakeTaskSchema, input, 'intakeTask');
    const at = this.#time(task.at);
    const row: TaskRow = {
      id: randomUUID(),
      title: task.title,
      payload: task.payload,
      required_capabilities: JSON.stringify(task.requiredCapabilities),
      status: 'parked',
      tenant: task.tenant,
      assigned_agent_id: null,
      priority: task.priority,
      attempt: 0,
      max_attempts: task.maxAttempts,
      lease_expires_at: null,
      result: null,
      error: null,
      created_at: at,
      updated_at: at,
    };
    return this.#transaction(async (trx) => {
      const inserted = await trx.insertInto('tasks').values(row).returningAll().executeTakeFirstOrThrow();
      await this.#insertEvent(trx, {
        taskId: row.id,
        from: null,
        to: 'parked',
        agentId: null,
        attempt: 0,
        reason: 'intake',
        at,
      });
      return toTask(inserted);
    });
  }

  async getTask(taskId: string): Promise<TaskRecord> {
    if (!isStoreId(taskId)) throw taskNotFound(taskId);
    const row = await this.#read((db) =>
      db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirst(),
    );
    if (!row) throw taskNotFound(taskId);
    return toTask(row);
  }

  async listTasks(filter: ListTasksFilter = {}): Promise<TaskRecord[]> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 1000), 1), 10_000);
    const rows = await this.#read((db) => {
      let query = db
        .selectFrom('tasks')
        .selectAll()
        .orderBy('priority', 'desc')
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit);
      if (filter.status !== undefined) {
        query = query.where('status', 'in', asList(filter.status));
      }
      if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
      if (filter.assignedAgentId !== undefined)
        query = query.where('assigned_agent_id', '=', filter.assignedAgentId);
      return query.execute();
    });
    return rows.map(toTask);
  }

  async assignTask(input: AssignTaskInput): Promise<TaskRecord> {
    const assignment = parseInput(assignTaskSchema, input, 'assignTask');
    const at = this.#time(assignment.at);
    return this.#transaction(async (trx) => {
      const task = await this.#lockTask(trx, assignment.taskId);
      if (task.status !== 'parked') {
        throw new ColibriError(
          'COLIBRI_ILLEGAL_TRANSITION',
          `task ${task.id} is ${task.status}, not parked: only a parked task can be assigned`,
          { taskId: task.id, from: task.status, to: 'assigned' },
        );
      }
      if (task.attempt !== assignment.expectedAttempt) {
        throw new ColibriError(
          'COLIBRI_STALE_ATTEMPT',
          `task ${task.id} is at attempt ${task.attempt}, not ${assignment.expectedAttempt}: another scheduler moved first`,
          { taskId: task.id, attempt: task.attempt, expectedAttempt: assignment.expectedAttempt },
        );
      }
      // Locked for update, not share: the agent row is updated below, and two share locks
      // upgrading at once would deadlock.
      const agent = await this.#lockAgent(trx, assignment.agentId);
      const why = ineligibility(task, agent);
      if (why !== null) {
        throw new ColibriError('COLIBRI_AGENT_NOT_ELIGIBLE', `cannot assign task ${task.id}: ${why}`, {
          taskId: task.id,
          agentId: agent.id,
        });
      }
      const updated = await trx
        .updateTable('tasks')
        .set({
          status: 'assigned',
          attempt: task.attempt + 1,
          assigned_agent_id: agent.id,
          lease_expires_at: this.#adapter.toDbTime(assignment.leaseExpiresAt),
          updated_at: at,
        })
        .where('id', '=', task.id)
        .where('status', '=', 'parked')
        .where('attempt', '=', task.attempt)
        .returningAll()
        .executeTakeFirst();
      if (!updated) {
        throw new ColibriError(
          'COLIBRI_STALE_ATTEMPT',
          `task ${task.id} was assigned by someone else first`,
          {
            taskId: task.id,
          },
        );
      }
      await this.#insertEvent(trx, {
        taskId: task.id,
        from: 'parked',
        to: 'assigned',
        agentId: agent.id,
        attempt: task.attempt + 1,
        reason: assignment.reason ?? null,
        at,
      });
      if (agent.status === 'idle') {
        await trx.updateTable('agents').set({ status: 'active' }).where('id', '=', agent.id).execute();
      }
      return toTask(updated);
    });
  }

  async transitionTask(input: TransitionTaskInput): Promise<TaskRecord> {
    const change = parseInput(transitionTaskSchema, input, 'transitionTask');
    if (change.result !== undefined && change.to !== 'done' && change.to !== 'failed') {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `transitionTask: a result is accepted only with to=done or to=failed, not ${change.to}`,
        { field: 'result' },
      );
    }
    if (change.error !== undefined && change.to !== 'failed') {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `transitionTask: an error text is accepted only with to=failed (use reason for ${change.to})`,
        { field: 'error' },
      );
    }
    const at = this.#time(change.at);
    return this.#transaction(async (trx) => {
      const task = await this.#lockTask(trx, change.taskId);
      if (!isLegalTaskTransition(task.status, change.to)) {
        throw new ColibriError(
          'COLIBRI_ILLEGAL_TRANSITION',
          `task ${task.id} is ${task.status}; ${task.status} → ${change.to} is not allowed`,
          { taskId: task.id, from: task.status, to: change.to },
        );
      }
      if (change.agentId !== undefined && task.assigned_agent_id !== change.agentId) {
        throw new ColibriError(
          'COLIBRI_NOT_ASSIGNED_TO_AGENT',
          `task ${task.id} is not assigned to agent ${change.agentId}`,
          { taskId: task.id, agentId: change.agentId },
        );
      }
      if (change.attempt !== undefined && change.attempt !== task.attempt) {
        throw new ColibriError(
          'COLIBRI_STALE_ATTEMPT',
          `attempt ${change.attempt} of task ${task.id} is stale (the task is on attempt ${task.attempt}): this lease was taken away`,
          { taskId: task.id, attempt: task.attempt, presentedAttempt: change.attempt },
        );
      }
      const row = await this.#applyTransition(trx, task, {
        to: change.to,
        actorAgentId: change.agentId ?? null,
        ...(change.result !== undefined ? { result: change.result } : {}),
        ...(change.error !== undefined ? { error: change.error } : {}),
        reason: change.reason ?? null,
        at,
      });
      return toTask(row);
    });
  }

  async requeueExpiredLeases(now?: Date): Promise<TaskRecord[]> {
    const cutoff = this.#time(now);
    const expired = await this.#read((db) =>
      db
        .selectFrom('tasks')
        .select(['id'])
        .where('status', 'in', UNFINISHED)
        .where('lease_expires_at', '<', cutoff)
        .execute(),
    );
    const changed: TaskRecord[] = [];
    for (const { id } of expired) {
      const row = await this.#transaction(async (trx) => {
        const task = await this.#lockTask(trx, id);
        // Re-checked under the lock: a heartbeat may have renewed the lease since the scan.
        const lease = task.lease_expires_at === null ? null : fromDbTime(task.lease_expires_at);
        if (!UNFINISHED.includes(task.status) || lease === null || lease >= fromDbTime(cutoff)) return null;
        return this.#applyTransition(trx, task, {
          to: 'parked',
          actorAgentId: null,
          reason: 'lease expired',
          at: cutoff,
        });
      });
      if (row) changed.push(toTask(row));
    }
    return changed;
  }

  async countTasksByStatus(filter: CountFilter = {}): Promise<Record<TaskStatus, number>> {
    const rows = await this.#read((db) => {
      let query = db
        .selectFrom('tasks')
        .select(['status', (eb) => eb.fn.countAll<number | string>().as('count')])
        .groupBy('status');
      if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
      return query.execute();
    });
    return countsByStatus(TASK_STATUSES, rows);
  }

  async listTaskEvents(taskId: string): Promise<TaskEvent[]> {
    await this.getTask(taskId);
    const rows = await this.#read((db) =>
      db.selectFrom('task_events').selectAll().where('task_id', '=', taskId).orderBy('id').execute(),
    );
    return rows.map(toEvent);
  }

  // ---- tenants ------------------------------------------------------------------------------

  async #lockTenant(trx: Trx, tenantId: string): Promise<TenantRow> {
    let query = trx.selectFrom('tenants').selectAll().where('tenant_id', '=', tenantId);
    if (this.#adapter.supportsRowLocks) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw tenantNotFound(tenantId);
    return row;
  }

  async #insertTenantEvent(
    trx: Trx,
    event: {
      tenantId: string;
      from: TenantStatus | null;
      to: TenantStatus;
      reason: string | null;
      details: Record<string, unknown> | null;
      at: string | Date;
    },
  ): Promise<void> {
    await trx
      .insertInto('tenant_events')
      .values({
        tenant_id: event.tenantId,
        at: event.at,
        from_status: event.from,
        to_status: event.to,
        reason: event.reason,
        details: event.details === null ? null : JSON.stringify(event.details),
      })
      .execute();
  }

  /**
   * Writes a tenant's new status and/or cached collection id and its event, compare-and-set on
   * the status read under the lock (the rule holds whatever the isolation level).
   */
  async #changeTenant(
    trx: Trx,
    row: TenantRow,
    change: {
      to: TenantStatus;
      collectionId?: string | null;
      reason: string;
      details: Record<string, unknown> | null;
      at: string | Date;
    },
  ): Promise<TenantRow> {
    const updated = await trx
      .updateTable('tenants')
      .set({
        status: change.to,
        updated_at: change.at,
        ...(change.collectionId !== undefined ? { collection_id: change.collectionId } : {}),
      })
      .where('tenant_id', '=', row.tenant_id)
      .where('status', '=', row.status)
      .returningAll()
      .executeTakeFirst();
    if (!updated) {
      throw new ColibriError(
        'COLIBRI_STALE_ATTEMPT',
        `tenant ${row.tenant_id} changed while being moved to ${change.to}; read it again`,
        { tenantId: row.tenant_id },
      );
    }
    await this.#insertTenantEvent(trx, {
      tenantId: row.tenant_id,
      from: row.status,
      to: change.to,
      reason: change.reason,
      details: change.details,
      at: change.at,
    });
    return updated;
  }

  async createTenant(input: CreateTenantInput): Promise<TenantRecord> {
    const tenant = parseInput(createTenantSchema, input, 'createTenant');
    const at = this.#time(tenant.at);
    const jail = tenant.jail ?? tenant.tenantId;
    const collection = tenant.collection === undefined ? tenant.tenantId : tenant.collection;
    const exists = (why: string) =>
      new ColibriError('COLIBRI_TENANT_EXISTS', `cannot register tenant ${tenant.tenantId}: ${why}`, {
        tenantId: tenant.tenantId,
        jail,
        collection,
      });
    try {
      return await this.#transaction(async (trx) => {
        const clashes = await trx
          .selectFrom('tenants')
          .select(['tenant_id', 'jail', 'collection'])
          .where((eb) =>
            eb.or([
              eb('tenant_id', '=', tenant.tenantId),
              eb('jail', '=', jail),
              ...(collection === null ? [] : [eb('collection', '=', collection)]),
            ]),
          )
          .execute();
        if (clashes.some((clash) => clash.tenant_id === tenant.tenantId)) {
          throw exists('it already exists (colibri show-tenant shows it)');
        }
        const jailOwner = clashes.find((clash) => clash.jail === jail);
        if (jailOwner) {
          throw exists(`jail ${jail} already belongs to tenant ${jailOwner.tenant_id}; pick another --jail`);
        }
        const collectionOwner = clashes[0];
        if (collectionOwner) {
          throw exists(
            `collection ${JSON.stringify(collection)} already belongs to tenant ${collectionOwner.tenant_id} (a collection serves one tenant); pick another --collection`,
          );
        }
        const row = await trx
          .insertInto('tenants')
          .values({
            tenant_id: tenant.tenantId,
            jail,
            collection,
            collection_id: null,
            status: 'pending',
            created_at: at,
            updated_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await this.#insertTenantEvent(trx, {
          tenantId: tenant.tenantId,
          from: null,
          to: 'pending',
          reason: 'created',
          details: { jail, collection },
          at,
        });
        return toTenant(row);
      });
    } catch (error) {
      if (error instanceof ColibriError && this.#adapter.isUniqueViolation(error.cause)) {
        throw exists('another tenant with this name, jail or collection was registered at the same time');
      }
      throw error;
    }
  }

  async getTenant(tenantId: string): Promise<TenantRecord> {
    if (typeof tenantId !== 'string') throw tenantNotFound(tenantId);
    const row = await this.#read((db) =>
      db.selectFrom('tenants').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst(),
    );
    if (!row) throw tenantNotFound(tenantId);
    return toTenant(row);
  }

  async listTenants(filter: ListTenantsFilter = {}): Promise<TenantRecord[]> {
    const rows = await this.#read((db) => {
      let query = db.selectFrom('tenants').selectAll().orderBy('tenant_id');
      if (filter.status !== undefined) query = query.where('status', 'in', asList(filter.status));
      return query.execute();
    });
    return rows.map(toTenant);
  }

  async recordTenantProvision(input: RecordTenantProvisionInput): Promise<TenantRecord> {
    const provision = parseInput(recordTenantProvisionSchema, input, 'recordTenantProvision');
    const at = this.#time(provision.at);
    const { tenantId, outcome, collectionId } = provision;
    try {
      return await this.#transaction(async (trx) => {
        const row = await this.#lockTenant(trx, tenantId);
        if (collectionId !== null) {
          if (row.collection === null) {
            throw new ColibriError(
              'COLIBRI_INVALID_INPUT',
              `recordTenantProvision: tenant ${tenantId} has no collection (no bucket), so no collection id can be resolved for it`,
              { field: 'collectionId', tenantId },
            );
          }
          if (row.collection_id !== null && row.collection_id !== collectionId) {
            throw collectionChanged(tenantId, row.collection_id, collectionId);
          }
          const owner = await trx
            .selectFrom('tenants')
            .select('tenant_id')
            .where('collection_id', '=', collectionId)
            .where('tenant_id', '!=', tenantId)
            .executeTakeFirst();
          if (owner) throw collectionChanged(tenantId, row.collection_id, collectionId, owner.tenant_id);
        }
        const to: TenantStatus =
          outcome === 'failed' ? 'failed' : row.status === 'active' ? 'active' : 'provisioned';
        const idChanged = collectionId !== null && collectionId !== row.collection_id;
        if (to === row.status && !idChanged && outcome !== 'written' && outcome !== 'failed') {
          return toTenant(row);
        }
        const updated = await this.#changeTenant(trx, row, {
          to,
          ...(collectionId !== null ? { collectionId } : {}),
          reason: `provision ${outcome}${provision.reason !== undefined ? `: ${provision.reason}` : ''}`,
          details: { outcome, collectionId },
          at,
        });
        return toTenant(updated);
      });
    } catch (error) {
      if (
        error instanceof ColibriError &&
        collectionId !== null &&
        this.#adapter.isUniqueViolation(error.cause)
      ) {
        // Another tenant cached the same id between our check and our write (PostgreSQL).
        throw new ColibriError(
          'COLIBRI_VAULT_COLLECTION_CHANGED',
          `collection id ${collectionId} was just cached for another tenant; one collection never serves two tenants (check the collection names in the vault)`,
          { tenantId, collectionId },
        );
      }
      throw error;
    }
  }

  async resetTenantCollection(
    tenantId: string,
    options: { reason?: string; at?: Date } = {},
  ): Promise<TenantRecord> {
    const reset = parseInput(resetTenantCollectionSchema, { tenantId, ...options }, 'resetTenantCollection');
    const at = this.#time(reset.at);
    return this.#transaction(async (trx) => {
      const row = await this.#lockTenant(trx, reset.tenantId);
      if (row.collection_id === null) return toTenant(row);
      const updated = await this.#changeTenant(trx, row, {
        to: row.status,
        collectionId: null,
        reason: reset.reason ?? 'cached collection id cleared by the operator',
        details: { previousCollectionId: row.collection_id },
        at,
      });
      return toTenant(updated);
    });
  }

  async setTenantStatus(
    tenantId: string,
    to: TenantStatus,
    reason: string,
    options: { at?: Date } = {},
  ): Promise<TenantRecord> {
    const change = parseInput(setTenantStatusSchema, { tenantId, to, reason, ...options }, 'setTenantStatus');
    const at = this.#time(change.at);
    return this.#transaction(async (trx) => {
      const row = await this.#lockTenant(trx, change.tenantId);
      if (!isLegalTenantTransition(row.status, change.to)) {
        throw new ColibriError(
          'COLIBRI_ILLEGAL_TRANSITION',
          `tenant ${row.tenant_id} is ${row.status}; ${row.status} → ${change.to} is not allowed`,
          { tenantId: row.tenant_id, from: row.status, to: change.to },
        );
      }
      const updated = await this.#changeTenant(trx, row, {
        to: change.to,
        reason: change.reason,
        details: null,
        at,
      });
      return toTenant(updated);
    });
  }

  async listTenantEvents(tenantId: string): Promise<TenantEvent[]> {
    await this.getTenant(tenantId);
    const rows = await this.#read((db) =>
      db.selectFrom('tenant_events').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute(),
    );
    return rows.map(toTenantEvent);
  }

  // ---- change feed ----------------------------------------------------------------------------

  async watchChanges(
    listener: ChangeListener,
    options: WatchChangesOptions = {},
  ): Promise<ChangeSubscription> {
    if (typeof listener !== 'function') {
      throw new ColibriError('COLIBRI_INVALID_INPUT', 'watchChanges: the listener must be a function', {
        field: 'listener',
      });
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new ColibriError('COLIBRI_INVALID_INPUT', 'watchChanges: onError must be a function', {
        field: 'onError',
      });
    }
    if (this.#closed) {
      throw new ColibriError('COLIBRI_STORE_UNAVAILABLE', 'watchChanges: the store is closed', {
        driver: this.driver,
      });
    }
    const feed = await this.#adapter.watchChanges(listener, options);
    const subscriptions = this.#subscriptions;
    const subscription: ChangeSubscription = Object.freeze({
      live: feed.live,
      async close() {
        subscriptions.delete(subscription);
        await feed.close();
      },
    });
    subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#db.destroy();
  }
}
