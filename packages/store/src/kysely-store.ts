import { ColibriError, isColibriError } from '@colibri/errors';
import type { AgentStatus, TaskStatus, TenantStatus } from '@colibri/protocol';
import { type Kysely, sql } from 'kysely';
import * as agents from './agents.js';
import { assignTasksStatement } from './assign-tasks-statement.js';
import { openChangeFeed } from './change-feed/open-change-feed.js';
import { claimHeldTasksStatement, HELD_LIMIT, mergeClaimed, tasksToClaim } from './claim-held-tasks.js';
import { claimTasksStatement } from './claim-tasks-statement.js';
import type { DialectAdapter } from './dialect/dialect-adapter.js';
import * as expiry from './expiry.js';
import { GroupCommitter } from './group-committer.js';
import * as idPrefixes from './id-prefixes.js';
import {
  assignTaskSchema,
  claimHeldTasksSchema,
  claimTasksSchema,
  createJoinTokenSchema,
  createTenantSchema,
  expireTasksSchema,
  intakeTaskSchema,
  isStoreId,
  joinTokenHashSchema,
  listDueExpiriesSchema,
  MAX_ASSIGN_BATCH,
  MAX_INTAKE_BATCH,
  markAgentOfflineSchema,
  parseInput,
  pruneSchema,
  recordHeartbeatsSchema,
  recordTenantProvisionSchema,
  registerAgentSchema,
  resetTenantCollectionSchema,
  retireAgentSchema,
  retryTaskSchema,
  scanParkedSchema,
  setAgentSlotsSchema,
  setTenantStatusSchema,
  TOKEN_HASH_PATTERN,
  transitionTaskSchema,
  updateCapabilitiesSchema,
} from './input-schemas.js';
import { intakeTaskStatement } from './intake-task-statement.js';
import * as joinTokens from './join-tokens.js';
import { moveTaskStatement } from './move-task-statement.js';
import * as retention from './retention.js';
import { toAgent, toTask, toTenant } from './row-mapping.js';
import type { Database } from './schema.js';
import type {
  AgentOfflineResult,
  AgentRecord,
  AgentSkills,
  AssignOutcome,
  AssignTaskInput,
  ChangeListener,
  ChangeSubscription,
  ClaimHeldTasksInput,
  ClaimTasksInput,
  CountFilter,
  CreateJoinTokenInput,
  CreateTenantInput,
  ExpireTasksInput,
  HeartbeatWrite,
  HeldTasks,
  IdPrefixFilter,
  IntakeAssignment,
  IntakeOutcome,
  IntakeTaskInput,
  JoinTokenRecord,
  ListAgentsFilter,
  ListDueExpiriesOptions,
  ListTasksFilter,
  ListTenantsFilter,
  ParkedTaskSummary,
  PruneCounts,
  PruneOptions,
  RecordTenantProvisionInput,
  RegisterAgentInput,
  RegisterWithJoinTokenInput,
  RetireAgentOptions,
  RetryTaskInput,
  ScanParkedOptions,
  Store,
  StoreDriverName,
  StoreOptions,
  TaskCountFilter,
  TaskEvent,
  TaskRecord,
  TenantEvent,
  TenantRecord,
  TransitionTaskInput,
  WatchChangesOptions,
} from './store.js';
import type { StoreContext, Trx } from './store-context.js';
import { agentNotFound, taskNotFound, tenantExists, tenantNotFound } from './store-errors.js';
import * as tasks from './tasks.js';
import * as tenants from './tenants.js';

const MAX_TRANSACTION_TRIES = 8;

/**
 * The store, written once against kysely; {@link DialectAdapter} carries what differs between
 * SQLite and PostgreSQL. This class validates input at the boundary, opens the transaction (or
 * reads) and maps database errors; what each operation does lives in its concept's module
 * (`agents`, `join-tokens`, `tasks`, `tenants`, `change-feed`), which takes the transaction and
 * the {@link StoreContext} (dialect and clock).
 */
export class KyselyStore implements Store {
  readonly #adapter: DialectAdapter;
  readonly #db: Kysely<Database>;
  readonly #context: StoreContext;
  /** Open change feeds, closed with the store. */
  readonly #subscriptions = new Set<ChangeSubscription>();
  #closed = false;
  #commits = 0;
  #writes = 0;
  /** SQLite's group commit: every write transaction goes through it (undefined on PostgreSQL). */
  readonly #groups: GroupCommitter | undefined;
  /** SQLite: the status of which `countTasksByStatus` found the most tasks last time. */
  #largestStatus: TaskStatus = 'parked';

  constructor(adapter: DialectAdapter, options: StoreOptions = {}) {
    this.#adapter = adapter;
    this.#db = adapter.db;
    this.#groups =
      adapter.groupCommit === true
        ? new GroupCommitter(
            adapter.db,
            (writes) => {
              this.#commits++;
              this.#writes += writes;
            },
            adapter.hotPath,
          )
        : undefined;
    const clock = options.clock ?? (() => new Date());
    this.#context = Object.freeze({
      adapter,
      time: (at?: Date) => adapter.toDbTime(at ?? clock()),
    });
  }

  get driver(): StoreDriverName {
    return this.#adapter.driver;
  }

  get committedTransactions(): number {
    return this.#commits;
  }

  get committedWrites(): number {
    return this.#writes;
  }

  // ---- transaction, read and error mapping ------------------------------------------------

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
   * Runs `fn` in one transaction with the store's context. On SQLite it joins the next group
   * commit (its own savepoint in a transaction shared with the writes asked for meanwhile; settled
   * after that COMMIT). A transaction the database rolled back to break a deadlock is run again
   * from the start (a few times, with jitter): it had no effect, so this is safe.
   */
  async #transaction<T>(fn: (trx: Trx, context: StoreContext) => Promise<T>): Promise<T> {
    if (this.#groups !== undefined) {
      try {
        return await this.#groups.run((trx) => fn(trx, this.#context));
      } catch (error) {
        throw this.#mapError(error);
      }
    }
    const result = await this.#retried(() => this.#db.transaction().execute((trx) => fn(trx, this.#context)));
    this.#commits++;
    this.#writes++;
    return result;
  }

  /**
   * PostgreSQL's one-statement writes: `fn` runs ONE statement that is its own transaction (no
   * BEGIN/COMMIT round trips), retried like a transaction. It resolves to undefined when it wrote
   * nothing; anything else counts as a commit.
   */
  async #statement<T>(fn: (db: Kysely<Database>, context: StoreContext) => Promise<T>): Promise<T> {
    const result = await this.#retried(() => fn(this.#db, this.#context));
    if (result !== undefined) {
      this.#commits++;
      this.#writes++;
    }
    return result;
  }

  /**
   * Runs a write, again (a few times, with jitter) while the database says it rolled it back to
   * break a deadlock or a serialization conflict: it had no effect, so this is safe. Other errors
   * are mapped to the store's.
   */
  async #retried<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (attempt < MAX_TRANSACTION_TRIES && this.#adapter.isRetryable(error)) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        throw this.#mapError(error);
      }
    }
  }

  /** True when `error` is a store error caused by a unique violation (a race the in-transaction checks missed). */
  #isUniqueClash(error: unknown): boolean {
    return error instanceof ColibriError && this.#adapter.isUniqueViolation(error.cause);
  }

  // ---- agents and join tokens -------------------------------------------------------------

  async registerAgent(input: RegisterAgentInput): Promise<AgentRecord> {
    const agent = parseInput(registerAgentSchema, input, 'registerAgent');
    try {
      return toAgent(
        await this.#transaction((trx, context) => agents.insertAgent(trx, context, agent, agent.tenant)),
      );
    } catch (error) {
      throw agents.agentUniqueClash(this.#context, error, agent.name);
    }
  }

  async registerAgentWithJoinToken(input: RegisterWithJoinTokenInput): Promise<AgentRecord> {
    const { tokenHash } = parseInput(
      joinTokenHashSchema,
      { tokenHash: (input as { tokenHash?: unknown } | null)?.tokenHash },
      'registerAgentWithJoinToken',
    );
    const agentInput = (input as { agent?: RegisterAgentInput } | null)?.agent;
    const agent = parseInput(
      registerAgentSchema,
      agentInput as RegisterAgentInput,
      'registerAgentWithJoinToken',
    );
    const at = this.#context.time(input.at ?? agent.at);
    const explicitTenant = (agentInput as { tenant?: unknown }).tenant;
    try {
      return await this.#transaction((trx, context) =>
        agents.registerWithJoinToken(trx, context, { tokenHash, agent, explicitTenant, at }),
      );
    } catch (error) {
      throw agents.agentUniqueClash(this.#context, error, agent.name);
    }
  }

  async findAgentByTokenHash(tokenHash: string): Promise<AgentRecord | undefined> {
    if (typeof tokenHash !== 'string' || !TOKEN_HASH_PATTERN.test(tokenHash)) return undefined;
    return this.#read((db) => agents.findAgentByTokenHash(db, tokenHash));
  }

  async findJoinToken(tokenHash: string): Promise<JoinTokenRecord | undefined> {
    if (typeof tokenHash !== 'string' || !TOKEN_HASH_PATTERN.test(tokenHash)) return undefined;
    return this.#read((db) => joinTokens.findJoinToken(db, tokenHash));
  }

  async createJoinToken(input: CreateJoinTokenInput): Promise<JoinTokenRecord> {
    const token = parseInput(createJoinTokenSchema, input, 'createJoinToken');
    try {
      return await this.#transaction((trx, context) => joinTokens.createJoinToken(trx, context, token));
    } catch (error) {
      if (this.#isUniqueClash(error)) throw joinTokens.joinTokenClash();
      throw error;
    }
  }

  async revokeJoinToken(tokenHash: string): Promise<boolean> {
    const { tokenHash: hash } = parseInput(joinTokenHashSchema, { tokenHash }, 'revokeJoinToken');
    return this.#transaction((trx, context) => joinTokens.revokeJoinToken(trx, context, hash));
  }

  async countAgentsByStatus(filter: CountFilter = {}): Promise<Record<AgentStatus, number>> {
    return this.#read((db) => agents.countAgentsByStatus(db, filter));
  }

  async listAdvertisedTags(): Promise<string[]> {
    return this.#read((db) => agents.listAdvertisedTags(db));
  }

  async getAgent(agentId: string): Promise<AgentRecord> {
    if (!isStoreId(agentId)) throw agentNotFound(agentId);
    const row = await this.#read((db) => agents.getAgentRow(db, agentId));
    if (!row) throw agentNotFound(agentId);
    return toAgent(row);
  }

  async findAgentByName(name: string): Promise<AgentRecord | undefined> {
    if (typeof name !== 'string') return undefined;
    return this.#read((db) => agents.findAgentByName(db, name));
  }

  async listAgents(filter: ListAgentsFilter = {}): Promise<AgentRecord[]> {
    return this.#read((db) => agents.listAgents(db, filter));
  }

  async updateAgentCapabilities(
    agentId: string,
    capabilities: readonly string[],
    skills?: AgentSkills,
  ): Promise<AgentRecord> {
    const { capabilities: tags, skills: newSkills } = parseInput(
      updateCapabilitiesSchema,
      { capabilities, skills },
      'updateAgentCapabilities',
    );
    return this.#transaction((trx, context) =>
      agents.updateAgentCapabilities(trx, context, agentId, tags, newSkills),
    );
  }

  async setAgentSlots(agentId: string, slots: number): Promise<AgentRecord> {
    const { slots: valid } = parseInput(setAgentSlotsSchema, { slots }, 'setAgentSlots');
    return this.#transaction((trx, context) => agents.setAgentSlots(trx, context, agentId, valid));
  }

  async recordHeartbeat(
    agentId: string,
    options: { at?: Date; extendLeasesUntil?: Date } = {},
  ): Promise<AgentRecord> {
    return this.#transaction((trx, context) => agents.recordHeartbeat(trx, context, agentId, options));
  }

  async recordHeartbeats(beats: readonly HeartbeatWrite[]): Promise<number> {
    const parsed = parseInput(recordHeartbeatsSchema, beats, 'recordHeartbeats');
    if (parsed.length === 0) return 0;
    return this.#transaction((trx, context) => agents.recordHeartbeats(trx, context, parsed));
  }

  async markAgentOffline(
    agentId: string,
    options: { at?: Date; reason?: string; silentSince?: Date } = {},
  ): Promise<AgentOfflineResult> {
    const offline = parseInput(markAgentOfflineSchema, options, 'markAgentOffline');
    return this.#transaction((trx, context) => agents.markAgentOffline(trx, context, agentId, offline));
  }

  async retireAgent(agentId: string, options: RetireAgentOptions): Promise<AgentOfflineResult> {
    const retire = parseInput(retireAgentSchema, options, 'retireAgent');
    return this.#transaction((trx, context) => agents.retireAgent(trx, context, agentId, retire));
  }

  async countChildren(agentId: string): Promise<number> {
    if (!isStoreId(agentId)) throw agentNotFound(agentId);
    return this.#read((db) => agents.countChildren(db, agentId));
  }

  // ---- tasks --------------------------------------------------------------------------------

  async countActiveTasksByAgent(): Promise<Map<string, number>> {
    return this.#read((db) => tasks.countActiveTasksByAgent(db));
  }

  async intakeTask(input: IntakeTaskInput): Promise<TaskRecord> {
    return (await this.#intakeOnce(input, 'intakeTask')).task;
  }

  intakeTaskOnce(input: IntakeTaskInput): Promise<IntakeOutcome> {
    return this.#intakeOnce(input, 'intakeTaskOnce');
  }

  async #intakeOnce(input: IntakeTaskInput, operation: string): Promise<IntakeOutcome> {
    const task = parseInput(intakeTaskSchema, input, operation);
    try {
      if (this.#adapter.driver === 'postgres') {
        return await this.#statement((db, context) =>
          intakeTaskStatement(db, context, task, () => undefined),
        );
      }
      return await this.#transaction((trx, context) => tasks.intakeTaskOnce(trx, context, task));
    } catch (error) {
      const key = task.idempotencyKey;
      if (key === null || !this.#isUniqueClash(error)) throw error;
      // A concurrent intake with the same key committed between our read and our insert: its task is the answer.
      const existing = await this.#read((db) => tasks.findByIdempotencyKey(db, task.tenant, key));
      if (existing === undefined) throw error;
      return tasks.repeatedIntake(existing, task);
    }
  }

  async retryTask(input: RetryTaskInput): Promise<TaskRecord> {
    const retry = parseInput(retryTaskSchema, input, 'retryTask');
    return this.#transaction((trx, context) => tasks.retryTask(trx, context, retry));
  }

  async intakeTaskAndAssign(
    input: IntakeTaskInput,
    choose: (task: TaskRecord) => IntakeAssignment | undefined,
  ): Promise<IntakeOutcome> {
    const task = parseInput(intakeTaskSchema, input, 'intakeTaskAndAssign');
    try {
      if (this.#adapter.driver === 'postgres') {
        return await this.#statement((db, context) => intakeTaskStatement(db, context, task, choose));
      }
      return await this.#transaction(async (trx, context) => {
        const outcome = await tasks.intakeTaskOnce(trx, context, task);
        if (!outcome.created) return outcome;
        const choice = choose(outcome.task);
        if (choice === undefined) return outcome;
        const assignment = parseInput(
          assignTaskSchema,
          { ...choice, taskId: outcome.task.id, expectedAttempt: outcome.task.attempt },
          'intakeTaskAndAssign',
        );
        try {
          return { task: await tasks.assignTask(trx, context, assignment), created: true };
        } catch (error) {
          // Refused before it wrote anything (the caller's view of the agent was behind): the task
          // is taken in parked, and the caller assigns it the usual way.
          if (
            isColibriError(error, 'COLIBRI_AGENT_NOT_ELIGIBLE') ||
            isColibriError(error, 'COLIBRI_AGENT_NOT_FOUND') ||
            isColibriError(error, 'COLIBRI_TASK_NOT_DUE')
          ) {
            return outcome;
          }
          throw error;
        }
      });
    } catch (error) {
      const key = task.idempotencyKey;
      if (key === null || !this.#isUniqueClash(error)) throw error;
      // A concurrent intake with the same key committed between our read and our insert: its task is the answer.
      const existing = await this.#read((db) => tasks.findByIdempotencyKey(db, task.tenant, key));
      if (existing === undefined) throw error;
      return tasks.repeatedIntake(existing, task);
    }
  }

  async intakeTasks(inputs: readonly IntakeTaskInput[]): Promise<TaskRecord[]> {
    if (!Array.isArray(inputs) || inputs.length > MAX_INTAKE_BATCH) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `intakeTasks: expected a list of at most ${MAX_INTAKE_BATCH} tasks`,
        { field: 'inputs' },
      );
    }
    const parsed = inputs.map((input, i) => parseInput(intakeTaskSchema, input, `intakeTasks[${i}]`));
    const keyed = parsed.findIndex((task) => task.idempotencyKey !== null);
    if (keyed !== -1) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `intakeTasks[${keyed}]: idempotencyKey: not accepted in a batch (use intakeTaskOnce per keyed task)`,
        { field: `inputs[${keyed}].idempotencyKey` },
      );
    }
    if (parsed.length === 0) return [];
    return this.#transaction((trx, context) => tasks.intakeTasks(trx, context, parsed));
  }

  async getTask(taskId: string): Promise<TaskRecord> {
    if (!isStoreId(taskId)) throw taskNotFound(taskId);
    const row = await this.#read((db) => tasks.getTaskRow(db, taskId));
    if (!row) throw taskNotFound(taskId);
    return toTask(row);
  }

  async listTasks(filter: ListTasksFilter = {}): Promise<TaskRecord[]> {
    return this.#read((db) => tasks.listTasks(db, filter, this.#adapter.hotPath));
  }

  async findTaskIdsByPrefix(prefix: string, filter: IdPrefixFilter = {}): Promise<string[]> {
    return this.#read((db) => idPrefixes.findTaskIdsByPrefix(db, prefix, filter));
  }

  async findAgentIdsByPrefix(prefix: string, filter: IdPrefixFilter = {}): Promise<string[]> {
    return this.#read((db) => idPrefixes.findAgentIdsByPrefix(db, prefix, filter));
  }

  async assignTask(input: AssignTaskInput): Promise<TaskRecord> {
    const assignment = parseInput(assignTaskSchema, input, 'assignTask');
    if (this.#adapter.driver === 'postgres' && assignment.claimed !== true) {
      // One round trip when the function assigns it; the transaction otherwise (it says why).
      const made = await this.#statement((db, context) => assignTasksStatement(db, context, [assignment]));
      const task = made?.get(0);
      if (task !== undefined) return task;
    }
    return this.#transaction((trx, context) => tasks.assignTask(trx, context, assignment));
  }

  async assignTasks(inputs: readonly AssignTaskInput[]): Promise<AssignOutcome[]> {
    if (!Array.isArray(inputs) || inputs.length > MAX_ASSIGN_BATCH) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        `assignTasks: expected a list of at most ${MAX_ASSIGN_BATCH} assignments`,
        { field: 'inputs' },
      );
    }
    const assignments = inputs.map((input, i) => parseInput(assignTaskSchema, input, `assignTasks[${i}]`));
    if (assignments.length === 0) return [];
    if (this.#adapter.driver !== 'postgres') {
      return this.#transaction((trx, context) => tasks.assignTasks(trx, context, assignments));
    }
    // PostgreSQL: one round trip for what the function assigns; the transaction for the rest (it says why).
    const made = await this.#statement((db, context) => assignTasksStatement(db, context, assignments));
    const outcomes: (AssignOutcome | undefined)[] = assignments.map((_, i) => {
      const task = made?.get(i);
      return task === undefined ? undefined : { ok: true, task };
    });
    const rest = assignments.filter((_, i) => outcomes[i] === undefined);
    if (rest.length > 0) {
      const settled = await this.#transaction((trx, context) => tasks.assignTasks(trx, context, rest));
      let next = 0;
      outcomes.forEach((outcome, i) => {
        if (outcome === undefined) outcomes[i] = settled[next++];
      });
    }
    return outcomes as AssignOutcome[];
  }

  async scanParkedTasks(options: ScanParkedOptions = {}): Promise<ParkedTaskSummary[]> {
    const scan = parseInput(scanParkedSchema, options, 'scanParkedTasks');
    return this.#read((db) => tasks.scanParkedTasks(db, this.#context, scan));
  }

  async transitionTask(input: TransitionTaskInput): Promise<TaskRecord> {
    const change = parseInput(transitionTaskSchema, input, 'transitionTask');
    tasks.checkTransitionInput(change);
    if (this.#adapter.driver === 'postgres') {
      const moved = await this.#statement((db, context) => moveTaskStatement(db, context, change));
      if (moved !== undefined) return moved;
    }
    return this.#transaction((trx, context) => tasks.transitionTask(trx, context, change));
  }

  async claimTasks(input: ClaimTasksInput): Promise<TaskRecord[]> {
    const claim = parseInput(claimTasksSchema, input, 'claimTasks');
    if (claim.tasks.length === 0) return [];
    if (this.#adapter.driver === 'postgres') {
      // One round trip; a claim that moves nothing is no error, so there is nothing to fall back on.
      return (await this.#statement((db, context) => claimTasksStatement(db, context, claim))) ?? [];
    }
    return this.#transaction((trx, context) => tasks.claimTasks(trx, context, claim));
  }

  async claimHeldTasks(input: ClaimHeldTasksInput): Promise<HeldTasks> {
    const claim = parseInput(claimHeldTasksSchema, input, 'claimHeldTasks');
    if (this.#adapter.driver === 'postgres') {
      // One round trip for the read and the claim; a commit is counted only when it claimed.
      const held = await this.#retried(() => claimHeldTasksStatement(this.#db, this.#context, claim));
      if (held.claimed.length > 0) {
        this.#commits++;
        this.#writes++;
      }
      return held;
    }
    const held = isStoreId(claim.agentId)
      ? await this.#read((db) =>
          tasks.listTasks(
            db,
            { assignedAgentId: claim.agentId, status: ['assigned', 'running'], limit: HELD_LIMIT },
            this.#adapter.hotPath,
          ),
        )
      : [];
    const wanted = tasksToClaim(held, claim);
    if (wanted.length === 0) return { tasks: held, claimed: [] };
    const claimed = await this.#transaction((trx, context) =>
      tasks.claimTasks(trx, context, {
        agentId: claim.agentId,
        tasks: wanted.map((task) => ({ taskId: task.id, attempt: task.attempt })),
        at: claim.at,
      }),
    );
    return mergeClaimed(held, claimed);
  }

  async listDueExpiries(options: ListDueExpiriesOptions = {}): Promise<TaskRecord[]> {
    const scan = parseInput(listDueExpiriesSchema, options, 'listDueExpiries');
    return this.#read((db) => expiry.listDueExpiries(db, this.#context, scan));
  }

  async expireTasks(input: ExpireTasksInput): Promise<TaskRecord[]> {
    const expire = parseInput(expireTasksSchema, input, 'expireTasks');
    if (expire.tasks.length === 0) return [];
    return this.#transaction((trx, context) => expiry.expireTasks(trx, context, expire));
  }

  async countPrunable(finishedBefore: Date): Promise<PruneCounts> {
    const { finishedBefore: before } = parseInput(pruneSchema, { finishedBefore }, 'countPrunable');
    return this.#read((db) => retention.countPrunable(db, this.#context, before));
  }

  async pruneFinishedTasks(options: PruneOptions): Promise<PruneCounts> {
    const prune = parseInput(pruneSchema, options, 'pruneFinishedTasks');
    return this.#transaction((trx, context) => retention.pruneFinishedTasks(trx, context, prune));
  }

  async requeueExpiredLeases(now?: Date): Promise<TaskRecord[]> {
    const cutoff = this.#context.time(now);
    const expired = await this.#read((db) => tasks.findExpiredLeases(db, cutoff));
    const changed: TaskRecord[] = [];
    for (const id of expired) {
      const task = await this.#transaction((trx, context) =>
        tasks.requeueExpiredLease(trx, context, id, cutoff),
      );
      if (task) changed.push(task);
    }
    return changed;
  }

  async countTasksByStatus(filter: TaskCountFilter = {}): Promise<Record<TaskStatus, number>> {
    if (
      this.#adapter.driver !== 'sqlite' ||
      filter.tenant !== undefined ||
      filter.assignedAgentId !== undefined
    ) {
      return this.#read((db) => tasks.countTasksByStatus(db, filter));
    }
    // Derived: the status that was largest last time (a range count costs its rows).
    const counts = await this.#read((db) => tasks.countAllTasksByStatusSqlite(db, this.#largestStatus));
    for (const status of Object.keys(counts) as TaskStatus[]) {
      if (counts[status] > counts[this.#largestStatus]) this.#largestStatus = status;
    }
    return counts;
  }

  async listTaskEvents(taskId: string): Promise<TaskEvent[]> {
    await this.getTask(taskId);
    return this.#read((db) => tasks.listTaskEvents(db, taskId));
  }

  // ---- tenants ------------------------------------------------------------------------------

  async createTenant(input: CreateTenantInput): Promise<TenantRecord> {
    const tenant = parseInput(createTenantSchema, input, 'createTenant');
    try {
      return await this.#transaction((trx, context) => tenants.createTenant(trx, context, tenant));
    } catch (error) {
      if (this.#isUniqueClash(error)) {
        throw tenantExists(
          tenants.tenantNames(tenant),
          'concurrent',
          'another tenant with this name, jail or collection was registered at the same time',
        );
      }
      throw error;
    }
  }

  async getTenant(tenantId: string): Promise<TenantRecord> {
    if (typeof tenantId !== 'string') throw tenantNotFound(tenantId);
    const row = await this.#read((db) => tenants.getTenantRow(db, tenantId));
    if (!row) throw tenantNotFound(tenantId);
    return toTenant(row);
  }

  async listTenants(filter: ListTenantsFilter = {}): Promise<TenantRecord[]> {
    return this.#read((db) => tenants.listTenants(db, filter));
  }

  async recordTenantProvision(input: RecordTenantProvisionInput): Promise<TenantRecord> {
    const provision = parseInput(recordTenantProvisionSchema, input, 'recordTenantProvision');
    try {
      return await this.#transaction((trx, context) =>
        tenants.recordTenantProvision(trx, context, provision),
      );
    } catch (error) {
      if (provision.collectionId !== null && this.#isUniqueClash(error)) {
        throw tenants.collectionCachedConcurrently(provision.tenantId, provision.collectionId);
      }
      throw error;
    }
  }

  async resetTenantCollection(
    tenantId: string,
    options: { reason?: string; at?: Date } = {},
  ): Promise<TenantRecord> {
    const reset = parseInput(resetTenantCollectionSchema, { tenantId, ...options }, 'resetTenantCollection');
    return this.#transaction((trx, context) => tenants.resetTenantCollection(trx, context, reset));
  }

  async setTenantStatus(
    tenantId: string,
    to: TenantStatus,
    reason: string,
    options: { at?: Date } = {},
  ): Promise<TenantRecord> {
    const change = parseInput(setTenantStatusSchema, { tenantId, to, reason, ...options }, 'setTenantStatus');
    return this.#transaction((trx, context) => tenants.setTenantStatus(trx, context, change));
  }

  async listTenantEvents(tenantId: string): Promise<TenantEvent[]> {
    await this.getTenant(tenantId);
    return this.#read((db) => tenants.listTenantEvents(db, tenantId));
  }

  // ---- change feed --------------------------------------------------------------------------

  async watchChanges(
    listener: ChangeListener,
    options: WatchChangesOptions = {},
  ): Promise<ChangeSubscription> {
    return openChangeFeed(this.#adapter, this.#subscriptions, listener, options, this.#closed);
  }

  async ping(): Promise<void> {
    await this.#read((db) => sql`select 1`.execute(db));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    // Writes already asked for still commit (and are answered) before the database closes.
    await this.#groups?.idle();
    await this.#db.destroy();
  }
}
