import type { ColibriError } from '@colibri/errors';
import type { AgentStatus, TaskStatus, TenantProvisionOutcome, TenantStatus } from '@colibri/protocol';

/** The two storage drivers: SQLite (embedded default, one host) and PostgreSQL (several daemons). */
export type StoreDriverName = 'sqlite' | 'postgres';

/** Opens the embedded SQLite database. */
export interface SqliteStoreConfig {
  readonly driver: 'sqlite';
  /** Path of the database file; created (0600) with its directory (0700) when missing. */
  readonly path: string;
  /** How long a writer waits for another process's write lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** `FULL` (default) survives power loss; `NORMAL` survives process crashes only. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Create the parent directory when missing (default true). */
  readonly createDirectory?: boolean;
  /**
   * Group commit (default true): write transactions asked for while one commits share the next
   * COMMIT, each in its own savepoint, each answered only after that COMMIT. False: one COMMIT per write.
   */
  readonly groupCommit?: boolean;
}

/** Connects to PostgreSQL. */
export interface PostgresStoreConfig {
  readonly driver: 'postgres';
  /** A libpq URL, e.g. `postgresql://colibri@db.internal/colibri` or `postgresql://u@/db?host=/run/postgresql`. */
  readonly connectionString: string;
  /** Maximum pool connections. Default 10. */
  readonly poolSize?: number;
  /** Give up connecting after this long. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Shown in `pg_stat_activity`. Default `colibri`. */
  readonly applicationName?: string;
  /**
   * Run the store's repeated queries as named prepared statements (parsed and planned once per
   * connection). Default true; false behind a connection pooler that cannot keep them (PgBouncer
   * in transaction mode before 1.21, or without `max_prepared_statements`).
   */
  readonly preparedStatements?: boolean;
}

/** Where the store keeps its state. */
export type StoreConfig = SqliteStoreConfig | PostgresStoreConfig;

/** Options common to both drivers. */
export interface StoreOptions {
  /** The clock used when an operation is given no explicit time. Injected for tests. */
  readonly clock?: () => Date;
}

/** A skill an agent offers: its manifest and the digest that identifies it (see `skillDigest`). */
export interface StoredSkill {
  readonly name: string;
  readonly description: string;
  readonly requiredCapabilities: readonly string[];
  readonly payloadSchema: Readonly<Record<string, unknown>> | null;
  readonly timeoutSeconds: number | null;
  readonly digest: string;
}

/** A skill an agent has a manifest for but does not offer, with the tags it lacks. */
export interface StoredDeclinedSkill {
  readonly name: string;
  readonly missing: readonly string[];
  readonly reason: string;
}

/** What an agent says about its skills, at registration or with a tag change. */
export interface AgentSkills {
  readonly skills: readonly StoredSkill[];
  readonly declinedSkills: readonly StoredDeclinedSkill[];
}

/** A registered agent. */
export interface AgentRecord {
  readonly id: string;
  readonly name: string;
  readonly host: string | null;
  readonly capabilities: readonly string[];
  readonly status: AgentStatus;
  /** The tenant it serves, or null for a shared (operator-owned) agent that serves every tenant. */
  readonly tenant: string | null;
  readonly registeredAt: Date;
  readonly lastHeartbeatAt: Date | null;
  /**
   * When it was retired (its token revoked, its name freed for a new agent), or null. A retired
   * agent is offline for good: listings and name lookups skip it; `getAgent` still shows it.
   */
  readonly retiredAt: Date | null;
  /** Why it was retired (e.g. `destroyed by colibri destroy-agent`), or null. */
  readonly retiredReason: string | null;
  /** The agent that had it spawned (its mother), or null when the operator did. */
  readonly spawnedBy: string | null;
  /** Its generation: 0 = started by the operator, its mother's depth + 1 for a spawned child. */
  readonly spawnDepth: number;
  /** The skills it offers. */
  readonly skills: readonly StoredSkill[];
  /** The skills it has a manifest for but does not offer. */
  readonly declinedSkills: readonly StoredDeclinedSkill[];
  /**
   * How many tasks it holds (assigned or running) at once, 1 to `MAX_AGENT_SLOTS`: the scheduler
   * gives it a task only while it holds fewer, and weighs its load as used/slots.
   */
  readonly slots: number;
}

/** A task and where it is in its life. */
export interface TaskRecord {
  readonly id: string;
  readonly title: string;
  readonly payload: unknown;
  readonly requiredCapabilities: readonly string[];
  readonly status: TaskStatus;
  /** The tenant that owns it, or null for an operator task (only shared agents may take it). */
  readonly tenant: string | null;
  readonly assignedAgentId: string | null;
  readonly priority: number;
  /**
   * How many times it has been assigned. Also the fencing token: each assignment gets a new
   * value, and an agent must present the current one to move the task on.
   */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly leaseExpiresAt: Date | null;
  readonly result: unknown;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** The skill it asks for and which manifest of it (digest null: any agent offering the name), or null. */
  readonly skill: { readonly name: string; readonly digest: string | null } | null;
  /** The retry policy's base backoff in ms, or null: a failed handler ends the task. */
  readonly retryBackoffMs: number | null;
  /** When the last retry backoff ends: a parked task is not assigned before it (kept afterwards); null = never waited. */
  readonly notBefore: Date | null;
  /** The caller's idempotency key it was taken in with, or null. */
  readonly idempotencyKey: string | null;
  /** When it expires if still parked then (`expired`, with the reason in its event), or null: never. */
  readonly expiresAt: Date | null;
  /**
   * The last 64 KiB of its handler's stderr, as the agent reported it with the outcome (the agent
   * scrubs its secrets and control characters first), or null.
   */
  readonly stderrTail: string | null;
}

/** One entry of the append-only task event log. */
export interface TaskEvent {
  /** Monotonic within a task: events sort by it. */
  readonly id: number;
  readonly taskId: string;
  /** null for the intake event. */
  readonly from: TaskStatus | null;
  readonly to: TaskStatus;
  readonly agentId: string | null;
  readonly attempt: number;
  readonly reason: string | null;
  readonly at: Date;
}

/** A tenant: by default tenant id == jail name == collection name (1:1:1), one row. */
export interface TenantRecord {
  readonly tenantId: string;
  /** The jail its agent runs in (unique among tenants). */
  readonly jail: string;
  /** The Vaultwarden collection NAME its `.env` comes from (unique among tenants); null = no bucket. */
  readonly collection: string | null;
  /** The Vaultwarden collection id resolved from the name and cached; null until resolved. */
  readonly collectionId: string | null;
  readonly status: TenantStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One entry of a tenant's append-only event log. */
export interface TenantEvent {
  /** Monotonic within the store: events sort by it. */
  readonly id: number;
  readonly tenantId: string;
  readonly at: Date;
  /** null for the creation event. */
  readonly from: TenantStatus | null;
  /** Equal to `from` when the status stayed (a provision recorded, a collection id reset). */
  readonly to: TenantStatus;
  readonly reason: string | null;
  /** What else was recorded, e.g. `{ outcome, collectionId }` for a provision; null when nothing. */
  readonly details: Readonly<Record<string, unknown>> | null;
}

/** Input of {@link Store.createTenant}. */
export interface CreateTenantInput {
  readonly tenantId: string;
  /** Default: the tenant id. */
  readonly jail?: string;
  /** The collection name. Default: the tenant id; null = this tenant has no bucket. */
  readonly collection?: string | null;
  readonly at?: Date;
}

/** Input of {@link Store.recordTenantProvision}. */
export interface RecordTenantProvisionInput {
  readonly tenantId: string;
  readonly outcome: TenantProvisionOutcome;
  /**
   * The collection id the vault resolved (cached when non-null), or null: no bucket, a secret
   * source without ids, or a failure before resolving. Must be null for `no-bucket`.
   */
  readonly collectionId: string | null;
  /** Why, for the event log (e.g. a failure's message). */
  readonly reason?: string;
  readonly at?: Date;
}

/** Filters for {@link Store.listTenants}. */
export interface ListTenantsFilter {
  readonly status?: TenantStatus | readonly TenantStatus[];
}

/** Input of {@link Store.registerAgent}. */
export interface RegisterAgentInput {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly host?: string | null;
  readonly tenant?: string | null;
  /** The skills it offers (default none). */
  readonly skills?: readonly StoredSkill[];
  /** The skills it declines (default none). */
  readonly declinedSkills?: readonly StoredDeclinedSkill[];
  /** Tasks it holds at once, 1 to `MAX_AGENT_SLOTS` (default 1). */
  readonly slots?: number;
  /**
   * sha256 (lower-case hex) of the bearer token issued to the agent, so that the daemon can find
   * the agent from a presented token (`findAgentByTokenHash`). Never the token itself.
   */
  readonly tokenHash?: string;
  readonly at?: Date;
}

/** Input of {@link Store.createJoinToken}. */
export interface CreateJoinTokenInput {
  /** sha256 (lower-case hex) of the one-time token handed to whoever sets up the agent. */
  readonly tokenHash: string;
  /** The tenant every agent registered with this token will belong to. */
  readonly tenant: string;
  /** After this moment the token registers nothing. */
  readonly expiresAt: Date;
  /**
   * The (non-retired) agent that asks for this spawn: the registered agent becomes its child.
   * Absent: the operator's agent (no mother).
   */
  readonly spawnedBy?: string;
  /**
   * The registered agent's generation. With `spawnedBy` it must be the mother's depth + 1 (the
   * default); without, 0 (the default). Anything else is refused: depth is what the spawn policy's
   * `maxDepth` counts, so it is never taken on trust.
   */
  readonly spawnDepth?: number;
  readonly at?: Date;
}

/** A one-time registration token as the store keeps it (the hash is not echoed back). */
export interface JoinTokenRecord {
  readonly tenant: string;
  readonly expiresAt: Date;
  /** When it was used, or null while it is still unused. */
  readonly usedAt: Date | null;
  /** The agent it registered, or null while it is still unused. */
  readonly usedByAgentId: string | null;
  readonly createdAt: Date;
  /** When it was revoked before use (a rolled-back spawn), or null. */
  readonly revokedAt: Date | null;
  /** The mother of the agent it registers, or null. */
  readonly spawnedBy: string | null;
  /** The generation of the agent it registers. */
  readonly spawnDepth: number;
}

/** Input of {@link Store.registerAgentWithJoinToken}. */
export interface RegisterWithJoinTokenInput {
  /** sha256 (lower-case hex) of the join token the caller presented. */
  readonly tokenHash: string;
  /**
   * The agent to register, with the hash of its own new bearer token. Its tenant is the join
   * token's: leave `tenant` out (or give the same one); any other value is refused.
   */
  readonly agent: RegisterAgentInput;
  readonly at?: Date;
}

/** Filters for the `count…ByStatus` methods. */
export interface CountFilter {
  /** Count only this tenant's rows (`null`: only shared agents / operator tasks). */
  readonly tenant?: string | null;
}

/** Filters for {@link Store.countTasksByStatus}. */
export interface TaskCountFilter extends CountFilter {
  /** Count only the tasks assigned to this agent (a COUNT, however many there are). */
  readonly assignedAgentId?: string;
}

/** Input of {@link Store.intakeTask}. */
export interface IntakeTaskInput {
  readonly title: string;
  readonly requiredCapabilities: readonly string[];
  /** Any JSON value. Default null. */
  readonly payload?: unknown;
  /** Higher runs first. Integer in [-1000, 1000], default 0. */
  readonly priority?: number;
  readonly tenant?: string | null;
  /** Assignments allowed before a re-queue fails the task instead. Integer in [1, 100], default 3. */
  readonly maxAttempts?: number;
  /** The skill it asks for and which manifest of it (digest null: any agent offering the name). */
  readonly skill?: { readonly name: string; readonly digest: string | null } | null;
  /** When it expires if still parked then; null or absent: it waits for as long as it takes. */
  readonly expiresAt?: Date | null;
  /**
   * The retry policy: null (default) = a failed handler ends the task; a number of milliseconds =
   * a failed or lost attempt goes back to parked while attempts remain, not assignable for
   * `retryBackoffMs * 2^(attempt - 1)`, at most one hour.
   */
  readonly retryBackoffMs?: number | null;
  /**
   * The caller's key for this intake (1-200 printable ASCII characters), unique per tenant: the
   * same key again returns the task it made ({@link Store.intakeTaskOnce}).
   */
  readonly idempotencyKey?: string | null;
  readonly at?: Date;
}

/** What {@link Store.intakeTaskOnce} did. */
export interface IntakeOutcome {
  readonly task: TaskRecord;
  /** False when the idempotency key had already made this task: nothing was written. */
  readonly created: boolean;
}

/** Input of {@link Store.retryTask}. */
export interface RetryTaskInput {
  readonly taskId: string;
  /** Attempts it is given from here (its automatic retries included). Integer in [1, 100], default 1. */
  readonly attempts?: number;
  /** Why, for the event log. Default `retried by the operator`. */
  readonly reason?: string;
  readonly at?: Date;
}

/** Input of {@link Store.assignTask}. */
export interface AssignTaskInput {
  readonly taskId: string;
  readonly agentId: string;
  /** The attempt value the caller read; the assignment fails if another scheduler moved first. */
  readonly expectedAttempt: number;
  /** When the agent's hold on the task lapses unless renewed (by heartbeats). */
  readonly leaseExpiresAt: Date;
  readonly reason?: string;
  readonly at?: Date;
}

/** Input of {@link Store.transitionTask}. */
export interface TransitionTaskInput {
  readonly taskId: string;
  /**
   * Target state; `parked` re-queues (or fails the task once its attempts are used up). Assignment
   * goes through `assignTask`, expiry through `expireTasks`.
   */
  readonly to: Exclude<TaskStatus, 'assigned' | 'expired'>;
  /** When an agent acts: it must be the assigned agent. Omit for operator actions. */
  readonly agentId?: string;
  /** The fencing token the actor holds; must equal the task's current attempt. */
  readonly attempt?: number;
  /** Result JSON for `done` (or `failed`). */
  readonly result?: unknown;
  /** Error text for `failed`. */
  readonly error?: string;
  /** The last 64 KiB (UTF-8) of the handler's stderr, already scrubbed, for `done` or `failed`. */
  readonly stderrTail?: string;
  /** Why, for the event log. */
  readonly reason?: string;
  readonly at?: Date;
}

/** Input of {@link Store.claimTasks}. */
export interface ClaimTasksInput {
  /** The agent claiming: each task must be assigned to it. */
  readonly agentId: string;
  /** The assigned attempts to move to running (at most 1000), each with the attempt the agent read. */
  readonly tasks: readonly { readonly taskId: string; readonly attempt: number }[];
  readonly at?: Date;
}

/** Input of {@link Store.claimHeldTasks}. */
export interface ClaimHeldTasksInput {
  /** The polling agent. */
  readonly agentId: string;
  /** At most this many of its assigned tasks move to running, in dispatch order (0 to 1000). */
  readonly limit: number;
  /**
   * The attempts the agent says it holds (a poll's `holding`, at most 1000): when its assigned and
   * running attempts are exactly these, nothing is claimed (the poll waits for a change instead).
   */
  readonly unlessHolding?: readonly { readonly taskId: string; readonly attempt: number }[];
  readonly at?: Date;
}

/** What {@link Store.claimHeldTasks} answers. */
export interface HeldTasks {
  /** The agent's assigned and running tasks after the claim, in dispatch order (as `listTasks`). */
  readonly tasks: TaskRecord[];
  /** The tasks this call moved to running (each also in `tasks`), in dispatch order. */
  readonly claimed: TaskRecord[];
}

/** Input of {@link Store.expireTasks}. */
export interface ExpireTasksInput {
  /** The tasks to expire (at most 1000), each with the reason its `expired` event records. */
  readonly tasks: readonly { readonly taskId: string; readonly reason: string }[];
  /** The moment of expiry: only tasks whose deadline is at or before it expire. */
  readonly at?: Date;
}

/** Options of {@link Store.listDueExpiries}. */
export interface ListDueExpiriesOptions {
  /** Deadlines at or before this are due. Default: the store's clock. */
  readonly now?: Date;
  /** At most this many (1 to 10,000, default 200), earliest deadline first. */
  readonly limit?: number;
}

/** Options of {@link Store.pruneFinishedTasks}. */
export interface PruneOptions {
  /** Finished tasks whose last change (their end) is before this go. */
  readonly finishedBefore: Date;
  /** At most this many tasks in this one transaction (1 to 10,000, default 500). */
  readonly limit?: number;
}

/** What a prune deleted (or, for {@link Store.countPrunable}, would delete). */
export interface PruneCounts {
  readonly tasks: number;
  readonly events: number;
}

/** One assignment's outcome in {@link Store.assignTasks}: the task as assigned, or why not. */
export type AssignOutcome =
  | { readonly ok: true; readonly task: TaskRecord }
  | { readonly ok: false; readonly error: ColibriError };

/** A parked task's dispatch fields, as {@link Store.scanParkedTasks} reads them (no payload, no result). */
export interface ParkedTaskSummary {
  readonly id: string;
  readonly tenant: string | null;
  readonly requiredCapabilities: readonly string[];
  readonly priority: number;
  /** The attempt it is parked at: the `expectedAttempt` of its next assignment. */
  readonly attempt: number;
  readonly createdAt: Date;
  /** The skill it asks for (and which manifest), or null. */
  readonly skill: { readonly name: string; readonly digest: string | null } | null;
  /** Not assignable before this time (a retry's backoff), or null. */
  readonly notBefore: Date | null;
}

/** Where a scan of parked tasks resumes: just after this task in dispatch order. */
export interface ParkedTaskCursor {
  readonly priority: number;
  readonly createdAt: Date;
  readonly id: string;
}

/** Options of {@link Store.scanParkedTasks}. */
export interface ScanParkedOptions {
  /** Resume after this task (the last one of the previous page); absent = from the start. */
  readonly after?: ParkedTaskCursor;
  /** Page size: 1 to 10,000, default 1,000. */
  readonly limit?: number;
}

/** Filters for {@link Store.listTasks}. */
export interface ListTasksFilter {
  readonly status?: TaskStatus | readonly TaskStatus[];
  readonly tenant?: string | null;
  readonly assignedAgentId?: string;
  /** Default 1000, at most 10000. */
  readonly limit?: number;
}

/** Filters of {@link Store.findTaskIdsByPrefix} and {@link Store.findAgentIdsByPrefix}. */
export interface IdPrefixFilter {
  /** Only this tenant's rows (null: shared agents / operator tasks). */
  readonly tenant?: string | null;
  /** Only tasks assigned to this agent (tasks only). */
  readonly assignedAgentId?: string;
  /** The most ids returned: default 10, at most 100. */
  readonly limit?: number;
}

/** Filters for {@link Store.listAgents}. */
export interface ListAgentsFilter {
  readonly status?: AgentStatus | readonly AgentStatus[];
  readonly tenant?: string | null;
  /** Include retired agents (default false: a retired agent is gone). */
  readonly includeRetired?: boolean;
}

/** Input of {@link Store.retireAgent}. */
export interface RetireAgentOptions {
  /** Why, for the agent row and for the event log of each task handed back. */
  readonly reason: string;
  readonly at?: Date;
}

/** What {@link Store.markAgentOffline} did. */
export interface AgentOfflineResult {
  readonly agent: AgentRecord;
  /** Its unfinished tasks, now parked again (attempt kept; the next assignment bumps it). */
  readonly requeued: readonly TaskRecord[];
  /** Its unfinished tasks that had used all their attempts and are now failed. */
  readonly failed: readonly TaskRecord[];
}

/**
 * A committed change to a task or an agent, as every daemon sharing the database hears of it.
 * Deliberately thin (ids and the new status): a listener reads the rows it cares about again, so a
 * late or repeated change is harmless.
 */
export type StoreChange =
  | {
      readonly kind: 'task';
      readonly taskId: string;
      /** The task's status after the change (taken in, assigned, re-queued, finished …). */
      readonly status: TaskStatus;
      /** The agent it is assigned to after the change, or null. */
      readonly agentId: string | null;
    }
  | {
      readonly kind: 'agent';
      readonly agentId: string;
      readonly status: AgentStatus;
      /** What changed: a new agent, its status (idle/active/offline), or its tags. */
      readonly what: 'registered' | 'status' | 'capabilities';
    }
  | {
      /**
       * Changes may have been missed (the feed lost its connection and is back): read everything
       * that matters again.
       */
      readonly kind: 'resync';
      readonly reason: string;
    };

/** Told of each change, in commit order. It should not throw (a throw is reported to `onError`). */
export type ChangeListener = (change: StoreChange) => void;

/** Options of {@link Store.watchChanges}. */
export interface WatchChangesOptions {
  /**
   * Told when the feed loses its connection (`COLIBRI_STORE_UNAVAILABLE`; it reconnects by itself
   * with backoff and then sends a `resync`), when a notification cannot be read, or when the
   * listener throws. Default: ignored.
   */
  readonly onError?: (error: Error) => void;
  /**
   * True: the changes this store committed itself are not delivered, only every other writer's
   * (another daemon's, a tool's, a raw UPDATE's). For a caller that acts on its own writes directly,
   * as colibrid does: the echo would only make it read again what it just wrote. Default false.
   */
  readonly ignoreOwnCommits?: boolean;
}

/** A running change feed. */
export interface ChangeSubscription {
  /**
   * True when changes are delivered (PostgreSQL). False for SQLite, whose feed never fires: one
   * daemon owns an SQLite file and sees its own changes; its safety sweep covers the rest.
   */
  readonly live: boolean;
  /** Stops listening and releases the connection (idempotent). No change is delivered afterwards. */
  close(): Promise<void>;
}

/** The agent a task is given in its intake's own transaction ({@link Store.intakeTaskAndAssign}). */
export interface IntakeAssignment {
  /** The agent picked for the new task. */
  readonly agentId: string;
  /** When the agent's hold lapses unless renewed. */
  readonly leaseExpiresAt: Date;
  /** Why this agent (the event log's reason). */
  readonly reason?: string;
  /**
   * The agent's claiming poll is waiting for it: the task goes on to `running` in the same
   * transaction (events `assigned` and `running`), as that poll would claim it.
   */
  readonly claimed?: boolean;
  /** When it was assigned. */
  readonly at?: Date;
}

/** One heartbeat kept in memory, for {@link Store.recordHeartbeats}. */
export interface HeartbeatWrite {
  /** The agent that was seen. */
  readonly agentId: string;
  /** When it was last seen. */
  readonly at: Date;
  /** Its leases are extended to this moment (omit to leave them). */
  readonly extendLeasesUntil?: Date;
}

/**
 * colibri's persistence. Every method validates its input, runs in one transaction, and either
 * does all of its work or none of it. State changes are compare-and-set: of two racing callers
 * exactly one wins, and the loser gets a `ColibriError` with a stable code.
 */
export interface Store {
  /** Which driver backs this store. */
  readonly driver: StoreDriverName;
  /**
   * How many write transactions this store object has committed since it was opened (reads and
   * migrations not counted; on SQLite one per group commit, whatever the writes it carried):
   * what colibrid's `/metrics` reports as `colibri_store_commits_total`, so a benchmark can say
   * how many commits a unit of work costs.
   */
  readonly committedTransactions: number;
  /**
   * How many write operations those commits carried (reads and refused writes not counted):
   * equal to {@link committedTransactions} without group commit; `committedWrites /
   * committedTransactions` is the mean group size (`colibri_store_writes_total`).
   */
  readonly committedWrites: number;

  /** Registers an agent (status `idle`). Throws `COLIBRI_AGENT_NAME_TAKEN` if the name is in use. */
  registerAgent(input: RegisterAgentInput): Promise<AgentRecord>;
  /** Throws `COLIBRI_AGENT_NOT_FOUND`. */
  getAgent(agentId: string): Promise<AgentRecord>;
  /** The (non-retired) agent with this name, or undefined. */
  findAgentByName(name: string): Promise<AgentRecord | undefined>;
  /** Agents ordered by name; retired ones only with `includeRetired`. */
  listAgents(filter?: ListAgentsFilter): Promise<AgentRecord[]>;
  /**
   * Retires an agent for good, atomically: offline, its unfinished tasks handed back exactly as
   * {@link markAgentOffline} does (re-queued, or failed after their last attempt), its token hash
   * cleared (the token authenticates nothing any more), and its name freed for a new agent.
   * Idempotent: retiring a retired agent changes nothing and hands back no task.
   * Throws `COLIBRI_AGENT_NOT_FOUND`. A retired agent's heartbeats and tag changes are refused
   * with `COLIBRI_AGENT_RETIRED`.
   */
  retireAgent(agentId: string, options: RetireAgentOptions): Promise<AgentOfflineResult>;
  /** How many non-retired agents `agentId` spawned (its children alive, as the spawn policy counts them). */
  countChildren(agentId: string): Promise<number>;
  /**
   * Sets how many tasks the agent holds at once (1 to `MAX_AGENT_SLOTS`; an agent restarted with
   * another `--slots`). Tasks it holds beyond a lowered count stay; it just gets no new ones until
   * it is below. Throws `COLIBRI_AGENT_NOT_FOUND`, `COLIBRI_AGENT_RETIRED`, `COLIBRI_INVALID_INPUT`.
   */
  setAgentSlots(agentId: string, slots: number): Promise<AgentRecord>;
  /** Replaces an agent's tags (validated), and its skills when `skills` is given. */
  updateAgentCapabilities(
    agentId: string,
    capabilities: readonly string[],
    skills?: AgentSkills,
  ): Promise<AgentRecord>;
  /**
   * Records a heartbeat: sets `lastHeartbeatAt`, brings an offline agent back (idle or active by
   * its tasks) and, when given, extends the leases of its assigned/running tasks.
   */
  recordHeartbeat(agentId: string, options?: { at?: Date; extendLeasesUntil?: Date }): Promise<AgentRecord>;
  /**
   * Writes heartbeats a daemon kept in memory, all in one transaction (at most 1000): for each
   * online, unretired agent whose stored `lastHeartbeatAt` is older than `at`, sets it to `at` and
   * extends the leases of its assigned/running tasks to `extendLeasesUntil` (never shortens one).
   * Offline or retired agents are left as they are: this never brings an agent back online.
   * Returns how many agents' rows moved.
   */
  recordHeartbeats(beats: readonly HeartbeatWrite[]): Promise<number>;
  /**
   * Marks an agent offline and re-queues (or fails, past max attempts) its unfinished tasks, atomically.
   *
   * With `silentSince`, a compare-and-set for liveness sweeps: the agent is marked offline only if
   * its last heartbeat (or, with none, its registration) is before that moment, so a heartbeat
   * that lands between the sweep's read and this call wins. Otherwise nothing changes and the
   * result has the agent as it is and no tasks.
   */
  markAgentOffline(
    agentId: string,
    options?: { at?: Date; reason?: string; silentSince?: Date },
  ): Promise<AgentOfflineResult>;
  /**
   * The agent whose bearer token hashes to `tokenHash` (sha256, lower-case hex), or undefined.
   * The daemon authenticates agents with it; a lookup by hash needs no secret comparison.
   */
  findAgentByTokenHash(tokenHash: string): Promise<AgentRecord | undefined>;
  /**
   * Stores a one-time registration token for `tenant` (its hash only). Throws
   * `COLIBRI_INVALID_INPUT` for a malformed hash or tenant, or a hash that is already stored.
   */
  createJoinToken(input: CreateJoinTokenInput): Promise<JoinTokenRecord>;
  /**
   * The join token whose hash is `tokenHash`, used or not, or undefined. Lets the daemon refuse a
   * bad token before it looks at the rest of a request; the registration checks it again, atomically.
   */
  findJoinToken(tokenHash: string): Promise<JoinTokenRecord | undefined>;
  /**
   * Registers an agent with a join token, in one transaction: the token must exist, be unused and
   * unexpired (else `COLIBRI_JOIN_TOKEN_INVALID`), the agent gets the token's tenant (a different
   * explicit tenant is `COLIBRI_FORBIDDEN`), and the token is marked used by the new agent. Of two
   * racing uses exactly one succeeds; a failed registration (e.g. `COLIBRI_AGENT_NAME_TAKEN`)
   * leaves the token unused.
   */
  registerAgentWithJoinToken(input: RegisterWithJoinTokenInput): Promise<AgentRecord>;
  /**
   * Makes an unused join token unusable (a rolled-back spawn): it registers nothing afterwards.
   * True when it did; false for an unknown, used or already revoked token (nothing changes).
   */
  revokeJoinToken(tokenHash: string): Promise<boolean>;
  /** How many (non-retired) agents are in each status (every status present, zeros included). */
  countAgentsByStatus(filter?: CountFilter): Promise<Record<AgentStatus, number>>;
  /** Every capability tag any agent has ever advertised (at registration or a tag change), sorted. */
  listAdvertisedTags(): Promise<string[]>;
  /** How many assigned or running tasks each agent holds (agents with none are absent). */
  countActiveTasksByAgent(): Promise<Map<string, number>>;

  /**
   * Accepts a task: it starts `parked`, with an intake event. With an `idempotencyKey` that
   * already made a task of the same tenant, returns that task instead (see `intakeTaskOnce`).
   */
  intakeTask(input: IntakeTaskInput): Promise<TaskRecord>;
  /**
   * `intakeTask`, saying whether it created the task. An `idempotencyKey` already used in the
   * tenant returns its task (`created: false`, nothing written) when the request is the same
   * (title, tags, payload, priority, attempts, retry policy, skill name), and throws
   * `COLIBRI_IDEMPOTENCY_CONFLICT` when it differs. Concurrent duplicates meet the database's
   * unique index: exactly one creates, the others get its task.
   */
  intakeTaskOnce(input: IntakeTaskInput): Promise<IntakeOutcome>;
  /**
   * Puts a failed or cancelled task (any terminal state but done) back to parked, keeping its
   * attempt count (the next assignment is a new attempt, so a late report of an old one is stale)
   * and its event log, with `attempts` more attempts. Throws `COLIBRI_ILLEGAL_TRANSITION` for a
   * task that is done or not finished, `COLIBRI_TASK_NOT_FOUND`.
   */
  retryTask(input: RetryTaskInput): Promise<TaskRecord>;
  /**
   * `intakeTaskOnce` and, in the same transaction (one commit), the assignment of the new task to
   * the agent `choose` picks from it (called inside the transaction; undefined leaves it parked;
   * never called for a repeated idempotency key). When the store refuses that agent (not eligible,
   * not found, not due: the caller's view was behind) the task is still taken in, parked, and
   * returned so; any other failure takes nothing in.
   */
  intakeTaskAndAssign(
    input: IntakeTaskInput,
    choose: (task: TaskRecord) => IntakeAssignment | undefined,
  ): Promise<IntakeOutcome>;
  /**
   * Accepts up to 10,000 tasks in ONE transaction (one commit), each as `intakeTask` would, in
   * order; all or nothing (every input is validated first: `COLIBRI_INVALID_INPUT` names the index).
   */
  intakeTasks(inputs: readonly IntakeTaskInput[]): Promise<TaskRecord[]>;
  /** Throws `COLIBRI_TASK_NOT_FOUND`. */
  getTask(taskId: string): Promise<TaskRecord>;
  /** Tasks in dispatch order: highest priority first, then oldest. */
  listTasks(filter?: ListTasksFilter): Promise<TaskRecord[]>;
  /**
   * Ids of the tasks whose id starts with `prefix` (1 to 36 of `[0-9a-f-]`, else
   * `COLIBRI_INVALID_INPUT`), smallest first, within `filter`: what resolving a short id needs
   * (one id = unique, several = ambiguous), without reading the tasks.
   */
  findTaskIdsByPrefix(prefix: string, filter?: IdPrefixFilter): Promise<string[]>;
  /** Like {@link findTaskIdsByPrefix}, for the agents that are not retired. */
  findAgentIdsByPrefix(prefix: string, filter?: IdPrefixFilter): Promise<string[]>;
  /**
   * parked → assigned, compare-and-set on status and attempt. Re-checks that the agent is
   * online, tenant-compatible and has every required tag (`COLIBRI_AGENT_NOT_ELIGIBLE`).
   * Increments the attempt: the new value is the agent's fencing token.
   */
  assignTask(input: AssignTaskInput): Promise<TaskRecord>;
  /**
   * Up to 1,000 assignments in ONE transaction (one commit), each exactly as `assignTask` would
   * make it, in order. A refused one (`COLIBRI_STALE_ATTEMPT`, `COLIBRI_ILLEGAL_TRANSITION`,
   * `COLIBRI_AGENT_NOT_ELIGIBLE`, `COLIBRI_*_NOT_FOUND`) changes nothing and does not stop the
   * others: each input gets its outcome at the same position. Input is validated as a whole first
   * (`COLIBRI_INVALID_INPUT`, nothing done).
   */
  assignTasks(inputs: readonly AssignTaskInput[]): Promise<AssignOutcome[]>;
  /**
   * One page of the parked tasks in dispatch order (highest priority, then oldest, then id), with
   * only what matching needs: a daemon rebuilds its index of parked tasks page by page, with no
   * limit on the backlog (keyset pagination: pass the last one as `after`).
   */
  scanParkedTasks(options?: ScanParkedOptions): Promise<ParkedTaskSummary[]>;
  /** Any other legal transition; see {@link TransitionTaskInput}. */
  transitionTask(input: TransitionTaskInput): Promise<TaskRecord>;
  /**
   * An agent's poll claiming what it returns: each listed task still `assigned` to `agentId` at
   * that attempt moves to `running` in ONE transaction (compare-and-set on status, agent and
   * attempt; a `running` event per task, as `transitionTask` writes for the agent's report). A
   * task that moved on meanwhile is left alone and missing from the answer, which is the claimed
   * tasks, running. Input is validated first (`COLIBRI_INVALID_INPUT`, nothing done).
   */
  claimTasks(input: ClaimTasksInput): Promise<TaskRecord[]>;
  /**
   * A claiming poll's read and claim together: the agent's assigned and running tasks (as
   * `listTasks({ assignedAgentId, status: ['assigned', 'running'] })` reads them), of which up to
   * `limit` assigned ones, in dispatch order, move to running as `claimTasks` moves them
   * (compare-and-set on status, agent and attempt; a `running` event each) — unless
   * `unlessHolding` is given and the agent's assigned and running attempts are exactly those.
   * On PostgreSQL ONE statement (one round trip, autocommitted); on SQLite the read, then the claim
   * in a transaction only when there is something to claim. Input is validated first
   * (`COLIBRI_INVALID_INPUT`, nothing done).
   */
  claimHeldTasks(input: ClaimHeldTasksInput): Promise<HeldTasks>;
  /** Parked tasks whose `expiresAt` has come, earliest first (what the expiry timer expires next). */
  listDueExpiries(options?: ListDueExpiriesOptions): Promise<TaskRecord[]>;
  /**
   * Moves the listed tasks that are still parked and due to `expired`, in one transaction, each with
   * its reason in the event log. Returns the tasks expired; one assigned or cancelled meanwhile is
   * left as it is and absent from the result.
   */
  expireTasks(input: ExpireTasksInput): Promise<TaskRecord[]>;
  /** How many finished tasks and events a prune with this cutoff would delete (a dry run). */
  countPrunable(finishedBefore: Date): Promise<PruneCounts>;
  /**
   * Deletes one batch (at most `limit`) of finished tasks (done, failed, cancelled, expired) that
   * finished before the cutoff, with their event logs, oldest first, in one short transaction.
   * Unfinished tasks are never touched. Call again until it returns 0 tasks.
   */
  pruneFinishedTasks(options: PruneOptions): Promise<PruneCounts>;
  /** Re-queues every assigned/running task whose lease ended before `now`. Returns the tasks changed. */
  requeueExpiredLeases(now?: Date): Promise<TaskRecord[]>;
  /** A task's event log, oldest first. Throws `COLIBRI_TASK_NOT_FOUND`. */
  listTaskEvents(taskId: string): Promise<TaskEvent[]>;
  /** How many tasks are in each status (every status present, zeros included). */
  countTasksByStatus(filter?: TaskCountFilter): Promise<Record<TaskStatus, number>>;

  /**
   * Creates a tenant (status `pending`) with a `created` event. `jail` and `collection` default to
   * the tenant id. Throws `COLIBRI_TENANT_EXISTS` when the id, the jail or the collection name
   * already belongs to a tenant.
   */
  createTenant(input: CreateTenantInput): Promise<TenantRecord>;
  /** Throws `COLIBRI_TENANT_NOT_FOUND`. */
  getTenant(tenantId: string): Promise<TenantRecord>;
  /** Tenants ordered by id, optionally only those in the given status(es). */
  listTenants(filter?: ListTenantsFilter): Promise<TenantRecord[]>;
  /**
   * Records the outcome of provisioning a tenant's `.env`, atomically:
   * - a non-null `collectionId` that differs from the cached one is refused with
   *   `COLIBRI_VAULT_COLLECTION_CHANGED` (the collection was re-created or renamed: the operator
   *   accepts it with {@link resetTenantCollection}); one cached by another tenant likewise;
   *   nothing changes;
   * - otherwise a non-null `collectionId` is cached; `written`/`unchanged`/`no-bucket` move the
   *   tenant to `provisioned` (an `active` tenant stays `active`), `failed` moves it to `failed`.
   *
   * An event is appended when the status or the cached id changes, and for every `written` or
   * `failed` outcome (new secrets in a jail, or a failure, are always worth a line). A repeated
   * `unchanged`/`no-bucket` that changes nothing leaves the row and the log untouched, so a
   * periodic re-provision does not flood the log.
   */
  recordTenantProvision(input: RecordTenantProvisionInput): Promise<TenantRecord>;
  /**
   * Forgets the cached collection id, with an event (a no-op without one when none is cached): the
   * operator's way to accept a collection that was re-created under the same name.
   */
  resetTenantCollection(tenantId: string, options?: { reason?: string; at?: Date }): Promise<TenantRecord>;
  /**
   * Moves a tenant along a legal edge of `TENANT_TRANSITIONS` (e.g. `provisioned → active` once
   * its agent registered), with an event. Throws `COLIBRI_ILLEGAL_TRANSITION` otherwise.
   */
  setTenantStatus(
    tenantId: string,
    to: TenantStatus,
    reason: string,
    options?: { at?: Date },
  ): Promise<TenantRecord>;
  /** A tenant's event log, oldest first. Throws `COLIBRI_TENANT_NOT_FOUND`. */
  listTenantEvents(tenantId: string): Promise<TenantEvent[]>;

  /**
   * Subscribes to committed changes of tasks (taken in, status or assigned agent changed) and
   * agents (registered, status or tags changed), made by any process on the same database,
   * including this one. Resolves once listening: every change committed afterwards is delivered.
   *
   * PostgreSQL: database triggers `pg_notify` on channel `colibri_changes`, and a dedicated
   * connection (outside the pool) LISTENs; when it drops, the feed reconnects with backoff and
   * then delivers `{ kind: 'resync' }`, since changes in between were missed. Heartbeats and
   * lease renewals are not changes. SQLite: resolves with `live: false` and never calls the
   * listener (one daemon per SQLite file). `close()` of the store closes its subscriptions.
   */
  watchChanges(listener: ChangeListener, options?: WatchChangesOptions): Promise<ChangeSubscription>;

  /**
   * One trivial query (`select 1`): resolves when the database answers, else throws
   * `COLIBRI_STORE_UNAVAILABLE`. For health checks; it reads no row.
   */
  ping(): Promise<void>;

  /** Closes connections. The store is unusable afterwards. */
  close(): Promise<void>;
}
