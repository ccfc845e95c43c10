import type { ParkedReason } from '@colibri/api';
import { isColibriError } from '@colibri/errors';
import { AgentIndex, qualifies, type SchedulableAgent } from '@colibri/scheduler';
import type { AgentOfflineResult, AgentRecord, Store, TaskRecord } from '@colibri/store';
import { suggestTag } from '../explain/suggest-tag.js';
import type { Logger } from '../logger.js';
import type { Histogram } from '../metrics/histogram.js';
import { AsyncMutex } from './async-mutex.js';
import { PollWaiters } from './poll-waiters.js';

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

/** How many parked tasks one re-examination looks at (the store's listing limit). */
const PARKED_SCAN_LIMIT = 10_000;
/** How often one task's assignment is retried after losing a race or finding the index stale. */
const ASSIGN_TRIES = 5;
/** Bound on remembered assignment times awaiting delivery (for the delivery latency histogram). */
const MAX_PENDING_DELIVERIES = 100_000;

function schedulable(agent: AgentRecord, load: number): SchedulableAgent {
  return { id: agent.id, capabilities: agent.capabilities, status: agent.status, tenant: agent.tenant, load };
}

/**
 * The daemon's scheduler: one `AgentIndex` fed from the store, and every assignment made through
 * it, one at a time (an in-process mutex). The store's compare-and-set keeps other daemons on the
 * same database honest: a lost race is re-read and retried.
 *
 * Parked tasks are re-examined when an agent registers, comes back online or changes its tags,
 * highest priority first, then oldest; `sweep` is the slow safety net. Long polls wait in
 * `waiters` and are woken by each assignment to their agent.
 */
export class Dispatcher {
  /** Long polls waiting for their agent to be given a task. */
  readonly waiters = new PollWaiters();
  readonly #deps: DispatcherDeps;
  readonly #index = new AgentIndex();
  readonly #agents = new Map<string, AgentRecord>();
  readonly #advertised = new Set<string>();
  readonly #mutex = new AsyncMutex();
  readonly #assignedAt = new Map<string, number>();

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
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
    return this.#mutex.run(() => this.#assign(task));
  }

  /**
   * Takes in a registered agent or one whose tags changed, and re-examines the parked tasks it
   * could run (each still goes to the best agent of the whole fleet). Returns how many were assigned.
   */
  agentChanged(agent: AgentRecord): Promise<number> {
    return this.#mutex.run(async () => {
      this.#remember(agent, this.loadOf(agent.id));
      return agent.status === 'offline' ? 0 : this.#reexamine(agent);
    });
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
  agentWentOffline(result: AgentOfflineResult): Promise<void> {
    return this.#mutex.run(async () => {
      this.#remember(result.agent, 0);
      for (const task of result.requeued) await this.#assign(task);
    });
  }

  /** Tasks whose leases lapsed were re-queued: recount loads, dispatch them again. */
  leasesExpired(tasks: readonly TaskRecord[]): Promise<void> {
    return this.#mutex.run(async () => {
      await this.#resyncLoads();
      for (const task of tasks) if (task.status === 'parked') await this.#assign(task);
    });
  }

  /** A task left `assigned`/`running` of `agentId` (finished, failed, cancelled, handed back). */
  taskLeft(agentId: string, taskId: string, attempt: number): void {
    this.#index.setLoad(agentId, Math.max(0, this.loadOf(agentId) - 1));
    this.#assignedAt.delete(`${taskId}#${attempt}`);
  }

  /**
   * The change feed says `agentId` changed in the store, possibly through another daemon: reads it
   * again and, when it is new to this daemon, came back online or changed its tags, re-examines
   * the parked tasks it could run. An echo of a change this daemon made, or an idle ↔ active
   * flip, only updates the index. Returns how many tasks were assigned.
   */
  agentNoticed(agentId: string): Promise<number> {
    return this.#mutex.run(async () => {
      let agent: AgentRecord;
      try {
        agent = await this.#deps.store.getAgent(agentId);
      } catch (error) {
        if (!isColibriError(error, 'COLIBRI_AGENT_NOT_FOUND')) throw error;
        this.#index.remove(agentId);
        this.#agents.delete(agentId);
        return 0;
      }
      const before = this.#index.get(agentId);
      const known = this.#agents.get(agentId);
      const wasOnline = before !== undefined && before.status !== 'offline';
      const sameTags =
        known !== undefined &&
        known.capabilities.length === agent.capabilities.length &&
        known.capabilities.every((tag) => agent.capabilities.includes(tag));
      this.#remember(agent, before?.load ?? 0);
      if (agent.status === 'offline' || (wasOnline && sameTags)) return 0;
      return this.#reexamine(agent);
    });
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
      return task?.status === 'parked' ? this.#assign(task) : task;
    });
  }

  /** Recounts every agent's assigned + running tasks from the store (other daemons assign too). */
  refreshLoads(): Promise<void> {
    return this.#mutex.run(() => this.#resyncLoads());
  }

  /** The safety net: resync from the store, then try every parked task again. */
  sweep(): Promise<number> {
    return this.#mutex.run(async () => {
      await this.#resync();
      let assigned = 0;
      for (const task of await this.#parked()) {
        if ((await this.#assign(task)).status === 'assigned') assigned++;
      }
      return assigned;
    });
  }

  /** Records delivery latency for tasks a poll is about to return for the first time. */
  delivered(tasks: readonly TaskRecord[]): void {
    const now = this.#deps.clock().getTime();
    for (const task of tasks) {
      if (task.status !== 'assigned') continue;
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
    const explanation = this.#index.explainParked(task);
    return {
      candidates: explanation.candidates.map((c) => ({
        agentId: c.agentId,
        agentName: this.#agents.get(c.agentId)?.name ?? c.agentId,
        missing: c.missing,
      })),
      unmatchedTags: explanation.unmatchedTags,
      neverAdvertised: await this.neverAdvertised(task.requiredCapabilities),
    };
  }

  /** Parked tasks per required tag that no eligible online agent offers (for /metrics). */
  async parkedByMissingTag(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const task of await this.#parked()) {
      for (const tag of this.#index.explainParked(task).unmatchedTags)
        counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    return counts;
  }

  // ---- under the mutex ----------------------------------------------------------------------

  #remember(agent: AgentRecord, load: number): void {
    this.#agents.set(agent.id, agent);
    this.#index.upsert(schedulable(agent, agent.status === 'offline' ? 0 : load));
    for (const tag of agent.capabilities) this.#advertised.add(tag);
  }

  #parked(): Promise<TaskRecord[]> {
    return this.#deps.store.listTasks({ status: 'parked', limit: PARKED_SCAN_LIMIT });
  }

  async #resync(): Promise<void> {
    const { store } = this.#deps;
    const [agents, loads, tags] = await Promise.all([
      store.listAgents(),
      store.countActiveTasksByAgent(),
      store.listAdvertisedTags(),
    ]);
    for (const agent of agents) this.#remember(agent, loads.get(agent.id) ?? 0);
    for (const tag of tags) this.#advertised.add(tag);
  }

  async #resyncLoads(): Promise<void> {
    const loads = await this.#deps.store.countActiveTasksByAgent();
    for (const agent of this.#index.values()) this.#index.setLoad(agent.id, loads.get(agent.id) ?? 0);
  }

  async #reexamine(agent: AgentRecord): Promise<number> {
    const candidate = this.#index.get(agent.id);
    if (candidate === undefined) return 0;
    let assigned = 0;
    for (const task of await this.#parked()) {
      if (!qualifies(task, candidate)) continue;
      if ((await this.#assign(task)).status === 'assigned') assigned++;
    }
    return assigned;
  }

  /** Assigns `task` to the best agent, retrying on a lost compare-and-set or a stale index. */
  async #assign(task: TaskRecord): Promise<TaskRecord> {
    const { store, clock, logger } = this.#deps;
    let current = task;
    for (let tries = 0; tries < ASSIGN_TRIES && current.status === 'parked'; tries++) {
      const pick = this.#index.pick(current);
      if (pick === null) return current;
      const now = clock();
      try {
        const assigned = await store.assignTask({
          taskId: current.id,
          agentId: pick.id,
          expectedAttempt: current.attempt,
          leaseExpiresAt: new Date(now.getTime() + this.#deps.leaseMs),
          reason:
            current.requiredCapabilities.length === 0
              ? 'no tags required: least loaded online agent'
              : `has ${current.requiredCapabilities.join(', ')}; best fit of the online agents`,
          at: now,
        });
        this.#index.setLoad(pick.id, pick.load + 1);
        this.#deps.assignLatency.observe(Math.max(0, now.getTime() - current.createdAt.getTime()) / 1000);
        if (this.#assignedAt.size >= MAX_PENDING_DELIVERIES) this.#assignedAt.clear();
        this.#assignedAt.set(`${assigned.id}#${assigned.attempt}`, now.getTime());
        logger.info(
          {
            taskId: assigned.id,
            agentId: pick.id,
            agent: this.#agents.get(pick.id)?.name,
            attempt: assigned.attempt,
          },
          'task assigned',
        );
        this.waiters.wake(pick.id);
        return assigned;
      } catch (error) {
        if (
          isColibriError(error, 'COLIBRI_AGENT_NOT_ELIGIBLE') ||
          isColibriError(error, 'COLIBRI_AGENT_NOT_FOUND')
        ) {
          // Our index is behind the store (another daemon, or a tag change): refresh that agent.
          const fresh = await store.getAgent(pick.id).catch(() => undefined);
          if (fresh === undefined) this.#index.remove(pick.id);
          else this.#remember(fresh, pick.load);
          current = await store.getTask(current.id);
        } else if (
          isColibriError(error, 'COLIBRI_STALE_ATTEMPT') ||
          isColibriError(error, 'COLIBRI_ILLEGAL_TRANSITION')
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
