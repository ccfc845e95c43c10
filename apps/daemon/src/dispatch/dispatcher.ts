import type { ParkedReason } from '@colibri/api';
import { isColibriError } from '@colibri/errors';
import { isSkillTag } from '@colibri/protocol';
import {
  AgentIndex,
  hasFreeSlot,
  type ParkedTask,
  ParkedTaskIndex,
  type SchedulableAgent,
} from '@colibri/scheduler';
import type {
  AgentOfflineResult,
  AgentRecord,
  AssignTaskInput,
  IntakeTaskInput,
  ParkedTaskCursor,
  ParkedTaskSummary,
  Store,
  TaskRecord,
} from '@colibri/store';
import { suggestTag } from '../explain/suggest-tag.js';
import type { Logger } from '../logger.js';
import type { Histogram } from '../metrics/histogram.js';
import { explainSkill, skillRoutingTags, taskSkillTag } from '../skills/skill-catalogue.js';
import { AsyncMutex } from './async-mutex.js';
import { DeferredTasks } from './deferred-tasks.js';
import { PollWaiters } from './poll-waiters.js';
import { SharedGate } from './shared-gate.js';

/** What the dispatcher needs. */
export interface DispatcherDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** How long a fresh assignment holds before its agent must renew it. */
  readonly leaseMs: number;
  /** Intake → assignment latency. */
  readonly assignLatency: Histogram;
  /** Assignment → delivery (the agent's poll returning the task) latency. */
  readonly deliverLatency: Histogram;
}

/**
 * How many parked tasks one batch assigns, in one store transaction; the dispatcher is released
 * between batches so that intakes and other events interleave with a big unpark. An intake waits
 * for at most the batch running when it arrives, so this bounds its wait: on SQLite, unparking
 * 10,000 behind 100,000 parked, 100 per batch took 0.8-0.9 s with intakes meanwhile at p99 ~23 ms;
 * 200 per batch 0.75-1.2 s at p99 31-88 ms; 400 0.7 s at p99 ~50 ms.
 */
const UNPARK_BATCH = 100;
/** How many parked tasks the safety sweep reads per page (each page under the dispatcher, briefly). */
const SWEEP_PAGE = 1000;
/** How often one task's assignment is retried after losing a race or finding the index stale. */
const ASSIGN_TRIES = 5;
/** Bound on remembered assignment times awaiting delivery (for the delivery latency histogram). */
const MAX_PENDING_DELIVERIES = 100_000;

function schedulable(agent: AgentRecord, load: number): SchedulableAgent {
  // An agent's skills route as tags it cannot declare (`skill:<name>`, `skill:<name>@<digest>`).
  const capabilities =
    agent.skills.length === 0 ? agent.capabilities : [...agent.capabilities, ...skillRoutingTags(agent)];
  return { id: agent.id, capabilities, status: agent.status, tenant: agent.tenant, load, slots: agent.slots };
}

/**
 * What the index of parked tasks keeps of a task (no payload), and what the scheduler matches it
 * on: its tags, plus its skill's routing tag when it asks for one.
 */
function parkedOf(task: TaskRecord | ParkedTaskSummary): ParkedTask {
  const skill = taskSkillTag(task);
  return {
    id: task.id,
    tenant: task.tenant,
    requiredCapabilities: skill === null ? task.requiredCapabilities : [...task.requiredCapabilities, skill],
    priority: task.priority,
    createdAt: task.createdAt.getTime(),
    attempt: task.attempt,
  };
}

function assignReason(task: ParkedTask): string {
  const skill = task.requiredCapabilities.find(isSkillTag);
  const tags = task.requiredCapabilities.filter((tag) => !isSkillTag(tag));
  const offers = skill === undefined ? '' : `offers ${skill.slice('skill:'.length)}, `;
  return tags.length === 0
    ? `${offers}no tags required: least loaded online agent`
    : `${offers}has ${tags.join(', ')}; best fit of the online agents`;
}

/**
 * Lets the event loop take in what arrived (requests, timers) before the next batch. Needed, not
 * only the mutex: with SQLite every query resolves at once (better-sqlite3 is synchronous), so
 * without it a whole unpark would run in one go of microtasks and no request would be read meanwhile.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Between two unpark batches: two turns of the event loop, not one. The requests read in the
 * first turn (an intake, say) queue their writes for the store's next group commit, which starts
 * on `setImmediate` in that same turn; the next batch is asked for only in the second turn, so it
 * does not join (and lengthen) that group: an intake waits for at most the batch that was running
 * when it arrived, never for the next one as well.
 */
async function yieldToWaitingWrites(): Promise<void> {
  await yieldToEventLoop();
  await yieldToEventLoop();
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

/**
 * The daemon's scheduler: one `AgentIndex` of the fleet and one `ParkedTaskIndex` of the parked
 * tasks, both fed from the store, and every assignment made through them under an in-process
 * mutex. The store's compare-and-set keeps other daemons on the same database honest: a lost race
 * is re-read and retried.
 *
 * An agent is given a task only while it holds fewer than its slots. When an agent registers,
 * comes back online, changes its tags or slots, or frees a slot, the parked tasks it can run are
 * found in the index (never by reading the backlog) and assigned in fair-share order (highest
 * priority first; at equal priority tenants take turns, least recently served first; then
 * oldest: `fairShareOrder`), at most its free slots, in batches of one transaction each, the
 * mutex released between batches so that intakes interleave. `sweep` is the slow safety net: it rebuilds the index from the store page by page,
 * with no limit on the backlog, and assigns whatever an online agent can run. Long polls wait in
 * `waiters` and are woken by each assignment to their agent.
 */
export class Dispatcher {
  /** Long polls waiting for their agent to be given a task. */
  readonly waiters = new PollWaiters();
  readonly #deps: DispatcherDeps;
  readonly #index = new AgentIndex();
  readonly #parked = new ParkedTaskIndex();
  /** Sweeps run one at a time (each page still takes the mutex). */
  readonly #sweeps = new AsyncMutex();
  readonly #agents = new Map<string, AgentRecord>();
  readonly #advertised = new Set<string>();
  readonly #mutex = new AsyncMutex();
  /**
   * Intakes run outside the mutex, side by side (shared), so that concurrent intakes share a
   * group commit; a resync of the loads from the store runs exclusive (see {@link SharedGate}).
   */
  readonly #intakes = new SharedGate();
  readonly #assignedAt = new Map<string, number>();
  /** Parked tasks whose retry backoff has not run out: handed back to `retryParked` when due. */
  readonly #deferred = new DeferredTasks((taskId) => {
    this.retryParked(taskId).catch((error: unknown) =>
      this.#deps.logger.error({ err: error, taskId }, 'retry after backoff deferred to the safety sweep'),
    );
  });
  /**
   * Fair shares: when each tenant (null = the operator's tasks) was last given an agent, as an
   * assignment serial. Freed slots go to the parked tasks in `fairShareOrder` by it, so tenants
   * take turns at equal priority. One entry per tenant ever served.
   */
  readonly #lastServed = new Map<string | null, number>();
  #serial = 0;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  /** Drops the backoff timers (colibrid is closing). */
  stop(): void {
    this.#deferred.clear();
  }

  /** How many parked tasks wait out a retry backoff here. */
  get deferredCount(): number {
    return this.#deferred.size;
  }

  /**
   * False for a task still in its retry backoff: it leaves the index of parked tasks and is
   * handed back when due. Every way into assignment (`#assignOne`, `#dispatchMany`, the sweep)
   * asks this first; what stays in the index is always due.
   */
  #due(task: { id: string; notBefore: Date | null }): boolean {
    if (task.notBefore === null) return true;
    const now = this.#deps.clock().getTime();
    if (task.notBefore.getTime() <= now) return true;
    this.#parked.remove(task.id);
    this.#deferred.defer(task.id, task.notBefore.getTime(), now);
    return false;
  }

  /** Loads the fleet, the agents' loads and the advertised tags from the store (call once at start). */
  load(): Promise<void> {
    return this.#mutex.run(() => this.#resync());
  }

  /** The agent as last seen by this daemon, if known. */
  agent(agentId: string): AgentRecord | undefined {
    return this.#agents.get(agentId);
  }

  /** The agent's assigned + running tasks as the index counts them. */
  loadOf(agentId: string): number {
    return this.#index.get(agentId)?.load ?? 0;
  }

  /** Assigns a parked task now if an agent qualifies; returns the task as it ends up. */
  dispatch(task: TaskRecord): Promise<TaskRecord> {
    return this.#mutex.run(() => this.#assignOne(task));
  }

  /**
   * Takes a new task in and, when an online agent qualifies, assigns it in the intake's own
   * transaction (one commit for both). When the store refused the pick (this daemon's view of the
   * agent was behind) the task is parked and assigned the usual way: `assignError` is set if that
   * second step failed — the task is committed either way, so the caller still answers.
   *
   * Not under the mutex while it waits for its commit, so that intakes sent together share one
   * (group) commit: the pick is made inside the store's transaction, where the writes of a group
   * run one after the other, and the agent's load is counted at once (a reservation, given back if
   * the store refuses or the commit fails), so every later pick — another intake's or an unpark
   * batch's — sees it. A task left parked is then re-examined under the mutex, so an agent that
   * came meanwhile is not missed.
   */
  async intake(input: IntakeTaskInput): Promise<{ task: TaskRecord; created: boolean; assignError?: Error }> {
    const { task, created } = await this.#intakes.shared(() => this.#intakeAndPick(input));
    if (!created || task.status !== 'parked') return { task, created };
    try {
      return { task: await this.#mutex.run(() => this.#assignOne(task)), created };
    } catch (error) {
      return { task, created, assignError: error as Error };
    }
  }

  async #intakeAndPick(input: IntakeTaskInput): Promise<{ task: TaskRecord; created: boolean }> {
    const { store, clock, leaseMs } = this.#deps;
    let pick: SchedulableAgent | null = null;
    let at = clock();
    const release = () => {
      if (pick !== null) this.#index.setLoad(pick.id, Math.max(0, this.loadOf(pick.id) - 1));
      pick = null;
    };
    let outcome: { task: TaskRecord; created: boolean };
    try {
      outcome = await store.intakeTaskAndAssign(input, (taken) => {
        // Called again when the store runs the transaction again (a PostgreSQL deadlock retry).
        release();
        pick = this.#index.pick(parkedOf(taken));
        if (pick === null) return undefined;
        this.#index.setLoad(pick.id, pick.load + 1);
        at = clock();
        return {
          agentId: pick.id,
          leaseExpiresAt: new Date(at.getTime() + leaseMs),
          reason: assignReason(parkedOf(taken)),
          // The agent's claiming poll waits: the task goes on to running in this transaction.
          ...(this.waiters.claimFor(pick.id) ? { claimed: true } : {}),
          at,
        };
      });
    } catch (error) {
      release();
      throw error;
    }
    const { task } = outcome;
    const picked = pick as SchedulableAgent | null;
    if (
      outcome.created &&
      (task.status === 'assigned' || task.status === 'running') &&
      picked !== null &&
      task.assignedAgentId === picked.id
    ) {
      this.#assigned(task, picked.id, task.createdAt.getTime(), at);
    } else {
      release();
    }
    return outcome;
  }

  /**
   * The store says `taskId` is no longer parked (assigned, finished or cancelled, here or by
   * another daemon): it leaves the index of parked tasks at once.
   */
  taskNotParked(taskId: string): void {
    this.#parked.remove(taskId);
    this.#deferred.forget(taskId);
  }

  /** How many parked tasks this daemon's index holds. */
  get parkedCount(): number {
    return this.#parked.size;
  }

  /**
   * Takes in a registered agent or one whose tags changed, and re-examines the parked tasks it
   * could run (each still goes to the best agent of the whole fleet). Returns how many were assigned.
   */
  async agentChanged(agent: AgentRecord): Promise<number> {
    await this.#mutex.run(async () => this.#remember(agent, this.loadOf(agent.id)));
    return agent.status === 'offline' ? 0 : this.#unparkFor(agent.id);
  }

  /** A heartbeat's result: re-examines parked tasks only when the agent has just come back online. */
  async agentSeen(agent: AgentRecord): Promise<void> {
    const before = this.#index.get(agent.id);
    if (before === undefined || (before.status === 'offline' && agent.status !== 'offline')) {
      await this.agentChanged(agent);
    } else {
      this.#remember(agent, before.load);
    }
  }

  /** An agent the liveness sweep marked offline: forget its load, dispatch its re-queued tasks elsewhere. */
  async agentWentOffline(result: AgentOfflineResult): Promise<void> {
    await this.#mutex.run(async () => this.#remember(result.agent, 0));
    for (const task of result.failed) this.#parked.remove(task.id);
    await this.#dispatchMany(result.requeued);
  }

  /** Tasks whose leases lapsed were re-queued: recount loads, dispatch them again. */
  async leasesExpired(tasks: readonly TaskRecord[]): Promise<void> {
    await this.#mutex.run(() => this.#resyncLoads());
    for (const task of tasks) if (task.status !== 'parked') this.#parked.remove(task.id);
    await this.#dispatchMany(tasks.filter((task) => task.status === 'parked'));
  }

  /**
   * A task left `assigned`/`running` of `agentId` (finished, failed, cancelled, handed back): its
   * slot is free, and is filled at once from the parked tasks it can run, tenants taking turns.
   * Returns how many tasks were assigned.
   */
  taskLeft(agentId: string, taskId: string, attempt: number): Promise<number> {
    this.#index.setLoad(agentId, Math.max(0, this.loadOf(agentId) - 1));
    this.#assignedAt.delete(`${taskId}#${attempt}`);
    this.waiters.forgetClaim(agentId, taskId, attempt);
    return this.#unparkFor(agentId);
  }

  /**
   * The change feed says `agentId` changed in the store, possibly through another daemon: reads it
   * again and, when it is new to this daemon, came back online or changed its tags, re-examines
   * the parked tasks it could run. An echo of a change this daemon made, or an idle ↔ active
   * flip, only updates the index. Returns how many tasks were assigned.
   */
  async agentNoticed(agentId: string): Promise<number> {
    const reexamine = await this.#mutex.run(async () => {
      let agent: AgentRecord;
      try {
        agent = await this.#deps.store.getAgent(agentId);
      } catch (error) {
        if (!isColibriError(error, 'COLIBRI_AGENT_NOT_FOUND')) throw error;
        this.#index.remove(agentId);
        this.#agents.delete(agentId);
        return false;
      }
      const before = this.#index.get(agentId);
      const known = this.#agents.get(agentId);
      const wasOnline = before !== undefined && before.status !== 'offline';
      const sameTags =
        known !== undefined &&
        known.capabilities.length === agent.capabilities.length &&
        known.capabilities.every((tag) => agent.capabilities.includes(tag));
      this.#remember(agent, before?.load ?? 0);
      return !(agent.status === 'offline' || (wasOnline && sameTags));
    });
    return reexamine ? this.#unparkFor(agentId) : 0;
  }

  /**
   * The change feed says `taskId` is parked (taken in or re-queued, possibly by another daemon):
   * assigns it if it still is and an agent qualifies. Returns the task as it ends up, or undefined
   * when it no longer exists.
   */
  retryParked(taskId: string): Promise<TaskRecord | undefined> {
    return this.#mutex.run(async () => {
      const task = await this.#deps.store.getTask(taskId).catch((error: unknown) => {
        if (isColibriError(error, 'COLIBRI_TASK_NOT_FOUND')) return undefined;
        throw error;
      });
      if (task === undefined) {
        this.#parked.remove(taskId);
        return undefined;
      }
      if (task.status !== 'parked') {
        this.#parked.remove(taskId);
        return task;
      }
      return this.#assignOne(task);
    });
  }

  /** Recounts every agent's assigned + running tasks from the store (other daemons assign too). */
  refreshLoads(): Promise<void> {
    return this.#mutex.run(() => this.#resyncLoads());
  }

  /**
   * The safety net: resync the fleet from the store, then read every parked task page by page (no
   * limit), rebuilding the index of parked tasks (what the store no longer has parked is dropped)
   * and assigning whatever an online agent can run. Each page holds the dispatcher only briefly.
   */
  sweep(): Promise<number> {
    return this.#sweeps.run(async () => {
      const { store } = this.#deps;
      await this.#mutex.run(() => this.#resync());
      const generation = this.#parked.beginSweep();
      let after: ParkedTaskCursor | undefined;
      let assigned = 0;
      for (;;) {
        const rows = await this.#mutex.run(async () => {
          const page = await store.scanParkedTasks({ limit: SWEEP_PAGE, ...(after ? { after } : {}) });
          for (const row of page) if (this.#due(row)) this.#parked.upsert(parkedOf(row));
          return page;
        });
        const last = rows.at(-1);
        if (last === undefined || rows.length < SWEEP_PAGE) break;
        await yieldToEventLoop();
        after = { priority: last.priority, createdAt: last.createdAt, id: last.id };
      }
      this.#parked.endSweep(generation);
      // Every free slot is filled from the rebuilt index, tenants taking turns as for a freed slot.
      for (const agent of [...this.#index.values()]) {
        if (agent.status !== 'offline' && hasFreeSlot(agent)) assigned += await this.#unparkFor(agent.id);
      }
      return assigned;
    });
  }

  /** Records delivery latency for tasks a poll is about to return for the first time. */
  delivered(tasks: readonly TaskRecord[]): void {
    const now = this.#deps.clock().getTime();
    for (const task of tasks) {
      if (task.status !== 'assigned' && task.status !== 'running') continue;
      const key = `${task.id}#${task.attempt}`;
      const at = this.#assignedAt.get(key);
      if (at === undefined) continue;
      this.#assignedAt.delete(key);
      this.#deps.deliverLatency.observe((now - at) / 1000);
    }
  }

  /**
   * Required tags that no agent has ever advertised, each with its nearest known spelling. Reads
   * the store again on a miss: another daemon may have seen the tag.
   */
  async neverAdvertised(tags: readonly string[]): Promise<{ tag: string; suggestion: string | null }[]> {
    if (tags.some((tag) => !this.#advertised.has(tag))) {
      for (const tag of await this.#deps.store.listAdvertisedTags()) this.#advertised.add(tag);
    }
    return tags
      .filter((tag) => !this.#advertised.has(tag))
      .map((tag) => ({ tag, suggestion: suggestTag(tag, this.#advertised) }));
  }

  /** Why `task` is parked: the eligible online agents closest first, and what nobody offers. */
  async explain(task: TaskRecord): Promise<ParkedReason> {
    const explanation = this.#index.explainParked(parkedOf(task));
    // Only the agents the tenant rule lets this task reach: another tenant's lanes are never named.
    const reachable = [...this.#agents.values()].filter(
      (agent) => agent.tenant === null || agent.tenant === task.tenant,
    );
    const skill = explainSkill(task, reachable);
    return {
      candidates: explanation.candidates.map((c) => ({
        agentId: c.agentId,
        agentName: this.#agents.get(c.agentId)?.name ?? c.agentId,
        missing: c.missing.filter((tag) => !isSkillTag(tag)),
      })),
      unmatchedTags: explanation.unmatchedTags.filter((tag) => !isSkillTag(tag)),
      neverAdvertised: await this.neverAdvertised(task.requiredCapabilities),
      ...(skill === undefined ? {} : { skill }),
    };
  }

  /** Parked tasks per required tag that no eligible online agent offers (for /metrics). */
  async parkedByMissingTag(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const group of this.#parked.groups()) {
      for (const tag of this.#index.explainParked(group).unmatchedTags)
        if (!isSkillTag(tag)) counts.set(tag, (counts.get(tag) ?? 0) + group.size);
    }
    return counts;
  }

  // ---- under the mutex ----------------------------------------------------------------------

  #remember(agent: AgentRecord, load: number): void {
    this.#agents.set(agent.id, agent);
    this.#index.upsert(schedulable(agent, agent.status === 'offline' ? 0 : load));
    for (const tag of agent.capabilities) this.#advertised.add(tag);
  }

  /** Loads from the store replace the index's: exclusive of intakes, whose reservations the store has not counted yet. */
  #resync(): Promise<void> {
    return this.#intakes.exclusive(async () => {
      const { store } = this.#deps;
      const [agents, loads, tags] = await Promise.all([
        store.listAgents(),
        store.countActiveTasksByAgent(),
        store.listAdvertisedTags(),
      ]);
      for (const agent of agents) this.#remember(agent, loads.get(agent.id) ?? 0);
      for (const tag of tags) this.#advertised.add(tag);
    });
  }

  #resyncLoads(): Promise<void> {
    return this.#intakes.exclusive(async () => {
      const loads = await this.#deps.store.countActiveTasksByAgent();
      for (const agent of this.#index.values()) this.#index.setLoad(agent.id, loads.get(agent.id) ?? 0);
    });
  }

  /**
   * Assigns the parked tasks `agentId` can run, best first, in batches: each batch takes the
   * mutex, asks the index for the next tasks (so whatever happened in between counts) and assigns
   * them in one transaction; each task still goes to the best agent of the whole fleet. A task
   * that stays parked despite the agent (a lost race, re-read) is not tried again in this run: the
   * sweep will. Returns how many were assigned.
   */
  async #unparkFor(agentId: string): Promise<number> {
    const tried = new Set<string>();
    let assigned = 0;
    for (;;) {
      const batch = await this.#mutex.run(async () => {
        const candidate = this.#index.get(agentId);
        if (candidate === undefined || candidate.status === 'offline') return undefined;
        // No more than the agent has free slots (none when it is full), in fair-share order.
        const room = Math.min(UNPARK_BATCH, candidate.slots - candidate.load);
        const tasks = this.#parked
          .runnableBy(candidate, room + tried.size, this.#lastServed)
          .filter((task) => !tried.has(task.id))
          .slice(0, room);
        if (tasks.length === 0) return undefined;
        const outcome = await this.#assignMany(tasks);
        for (const id of outcome.unassigned) tried.add(id);
        return outcome;
      });
      if (batch === undefined) return assigned;
      assigned += batch.assigned;
      await yieldToWaitingWrites();
    }
  }

  /** Dispatches re-queued tasks in batches, releasing the mutex between them. */
  async #dispatchMany(tasks: readonly TaskRecord[]): Promise<void> {
    const due = tasks.filter((task) => this.#due(task));
    for (const batch of chunks(due.map(parkedOf), UNPARK_BATCH)) {
      await this.#mutex.run(() => this.#assignMany(batch));
      await yieldToWaitingWrites();
    }
  }

  /**
   * Assigns each of `tasks` to the best agent of the fleet, all in ONE store transaction, and
   * keeps the index of parked tasks current: assigned ones leave it, the others are (re)entered
   * as the store has them. A refused assignment is re-read and retried alone (rare: another
   * daemon moved first, or this daemon's view of an agent was stale).
   */
  async #assignMany(tasks: readonly ParkedTask[]): Promise<{ assigned: number; unassigned: string[] }> {
    const { store, clock } = this.#deps;
    const now = clock();
    const leaseExpiresAt = new Date(now.getTime() + this.#deps.leaseMs);
    const unassigned: string[] = [];
    const planned: { task: ParkedTask; agent: SchedulableAgent }[] = [];
    const inputs: AssignTaskInput[] = [];
    for (const task of tasks) {
      const pick = this.#index.pick(task);
      if (pick === null) {
        this.#parked.upsert(task);
        unassigned.push(task.id);
        continue;
      }
      // Counted now, so that the next picks of this batch spread over equally fitting agents.
      this.#index.setLoad(pick.id, pick.load + 1);
      planned.push({ task, agent: pick });
      inputs.push({
        taskId: task.id,
        agentId: pick.id,
        expectedAttempt: task.attempt,
        leaseExpiresAt,
        reason: assignReason(task),
        at: now,
      });
    }
    if (inputs.length === 0) return { assigned: 0, unassigned };
    let outcomes: Awaited<ReturnType<Store['assignTasks']>>;
    try {
      outcomes = await store.assignTasks(inputs);
    } catch (error) {
      for (const { task, agent } of planned) {
        this.#index.setLoad(agent.id, Math.max(0, this.loadOf(agent.id) - 1));
        this.#parked.upsert(task);
      }
      throw error;
    }
    let assigned = 0;
    const retry: ParkedTask[] = [];
    outcomes.forEach((outcome, i) => {
      const { task, agent } = planned[i]!;
      if (outcome.ok) {
        this.#assigned(outcome.task, agent.id, task.createdAt, now);
        assigned++;
        return;
      }
      this.#index.setLoad(agent.id, Math.max(0, this.loadOf(agent.id) - 1));
      retry.push(task);
    });
    for (const task of retry) {
      const current = await store.getTask(task.id).catch((error: unknown) => {
        if (isColibriError(error, 'COLIBRI_TASK_NOT_FOUND')) return undefined;
        throw error;
      });
      if (current === undefined) {
        this.#parked.remove(task.id);
        continue;
      }
      const final = current.status === 'parked' ? await this.#assignOne(current) : current;
      if (final.status === 'parked') unassigned.push(final.id);
      else if (final.status === 'assigned' && final.assignedAgentId !== null) assigned++;
      if (final.status !== 'parked') this.#parked.remove(final.id);
    }
    return { assigned, unassigned };
  }

  /** The bookkeeping of one assignment that committed. */
  #assigned(task: TaskRecord, agentId: string, createdAtMs: number, now: Date): void {
    this.#parked.remove(task.id);
    this.#lastServed.set(task.tenant, ++this.#serial);
    this.#deps.assignLatency.observe(Math.max(0, now.getTime() - createdAtMs) / 1000);
    if (this.#assignedAt.size >= MAX_PENDING_DELIVERIES) this.#assignedAt.clear();
    this.#assignedAt.set(`${task.id}#${task.attempt}`, now.getTime());
    this.#deps.logger.info(
      { taskId: task.id, agentId, agent: this.#agents.get(agentId)?.name, attempt: task.attempt },
      'task assigned',
    );
    this.waiters.assigned(agentId, task);
  }

  /** `#assign`, keeping the index of parked tasks current with the outcome. */
  async #assignOne(task: TaskRecord): Promise<TaskRecord> {
    if (task.status === 'parked' && !this.#due(task)) return task;
    this.#deferred.forget(task.id);
    try {
      const final = await this.#assign(task);
      if (final.status !== 'parked') this.#parked.remove(final.id);
      else if (this.#due(final)) this.#parked.upsert(parkedOf(final));
      return final;
    } catch (error) {
      // Still parked as far as this daemon knows: keep it where the next agent event finds it.
      if (task.status === 'parked') this.#parked.upsert(parkedOf(task));
      throw error;
    }
  }

  /** Assigns `task` to the best agent, retrying on a lost compare-and-set or a stale index. */
  async #assign(task: TaskRecord): Promise<TaskRecord> {
    const { store, clock } = this.#deps;
    let current = task;
    for (let tries = 0; tries < ASSIGN_TRIES && current.status === 'parked'; tries++) {
      if (!this.#due(current)) return current;
      const pick = this.#index.pick(parkedOf(current));
      if (pick === null) return current;
      const now = clock();
      // Counted before the commit: an intake picking meanwhile (outside the mutex) sees it.
      this.#index.setLoad(pick.id, pick.load + 1);
      try {
        const assigned = await store.assignTask({
          taskId: current.id,
          agentId: pick.id,
          expectedAttempt: current.attempt,
          leaseExpiresAt: new Date(now.getTime() + this.#deps.leaseMs),
          reason: assignReason(parkedOf(current)),
          at: now,
        });
        this.#assigned(assigned, pick.id, current.createdAt.getTime(), now);
        return assigned;
      } catch (error) {
        this.#index.setLoad(pick.id, Math.max(0, this.loadOf(pick.id) - 1));
        if (
          isColibriError(error, 'COLIBRI_AGENT_NOT_ELIGIBLE') ||
          isColibriError(error, 'COLIBRI_AGENT_NOT_FOUND')
        ) {
          // Our index is behind the store (another daemon, or a tag change): refresh that agent.
          const fresh = await store.getAgent(pick.id).catch(() => undefined);
          if (fresh === undefined) this.#index.remove(pick.id);
          else this.#remember(fresh, this.loadOf(pick.id));
          current = await store.getTask(current.id);
        } else if (
          isColibriError(error, 'COLIBRI_STALE_ATTEMPT') ||
          isColibriError(error, 'COLIBRI_ILLEGAL_TRANSITION') ||
          isColibriError(error, 'COLIBRI_TASK_NOT_DUE')
        ) {
          // Someone else moved the task first: read it again; it may still be parked.
          current = await store.getTask(current.id);
        } else {
          throw error;
        }
      }
    }
    return current;
  }
}
