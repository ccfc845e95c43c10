import type { StoreChange } from '@colibri/store';
import type { Logger } from '../logger.js';
import type { PollWaiters } from './poll-waiters.js';

/** The part of the dispatcher the follower drives (a port, so its logic is tested alone). */
export interface FollowedDispatcher {
  readonly waiters: PollWaiters;
  agentNoticed(agentId: string): Promise<number>;
  retryParked(taskId: string): Promise<unknown>;
  taskNotParked(taskId: string): void;
  refreshLoads(): Promise<void>;
  sweep(): Promise<number>;
}

/**
 * Turns the store's change feed into dispatcher work, so that several daemons on one PostgreSQL
 * act on each other's changes at once instead of at the next safety sweep:
 * - a task assigned to agent X, or cancelled while X held it, wakes X's long polls here;
 * - a parked task (taken in or re-queued anywhere) is offered to the agents this daemon knows
 *   (and stays in its index of parked tasks); any other task status takes it out of that index;
 * - a registered agent, one back online or with new tags, re-examines the parked tasks;
 * - any task change makes the agents' loads stale (recounted once per batch);
 * - a `resync` (the feed was away) wakes every long poll to re-read and runs the sweep.
 *
 * The feed carries only other writers' changes (colibrid subscribes with `ignoreOwnCommits`: it
 * acts on its own writes as it makes them). Changes arrive faster than they can be acted on, so
 * work is coalesced by id and done one batch at a time; every step re-reads the store, so a
 * repeated or late change is harmless. A failed step is logged: the safety sweep catches up.
 */
export class ChangeFollower {
  readonly #dispatcher: FollowedDispatcher;
  readonly #logger: Logger;
  readonly #parked = new Set<string>();
  readonly #agents = new Set<string>();
  #loadsStale = false;
  #resync = false;
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(dispatcher: FollowedDispatcher, logger: Logger) {
    this.#dispatcher = dispatcher;
    this.#logger = logger;
  }

  /** Takes one change from the feed (never throws, never waits). */
  handle(change: StoreChange): void {
    if (this.#closed) return;
    switch (change.kind) {
      case 'task':
        if ((change.status === 'assigned' || change.status === 'cancelled') && change.agentId !== null) {
          // A new task for the agent, or one cancelled under it: its long poll answers now.
          this.#dispatcher.waiters.wake(change.agentId);
        }
        if (change.status === 'parked') this.#parked.add(change.taskId);
        else this.#dispatcher.taskNotParked(change.taskId);
        this.#loadsStale = true;
        break;
      case 'agent':
        this.#agents.add(change.agentId);
        break;
      case 'resync':
        this.#logger.info({ reason: change.reason }, 'change feed back: resyncing from the store');
        this.#resync = true;
        this.#dispatcher.waiters.recheckAll();
        break;
    }
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  /** Stops taking changes and waits for the batch in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
  }

  /** Resolves once every change handed in so far has been acted on (for tests). */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  get #pending(): boolean {
    return this.#resync || this.#loadsStale || this.#agents.size > 0 || this.#parked.size > 0;
  }

  async #drain(): Promise<void> {
    // Let the feed deliver the rest of a burst first: one batch then covers all of it.
    await Promise.resolve();
    while (this.#pending && !this.#closed) {
      if (this.#resync) {
        // The sweep resyncs the fleet and loads and re-examines every parked task: it covers the rest.
        this.#resync = false;
        this.#loadsStale = false;
        this.#agents.clear();
        this.#parked.clear();
        await this.#step('sweep', undefined, () => this.#dispatcher.sweep());
        continue;
      }
      // Agents first, so that the parked tasks below can go to an agent that just appeared.
      for (const agentId of this.#take(this.#agents)) {
        await this.#step('agent', agentId, () => this.#dispatcher.agentNoticed(agentId));
      }
      if (this.#loadsStale) {
        this.#loadsStale = false;
        await this.#step('loads', undefined, () => this.#dispatcher.refreshLoads());
      }
      for (const taskId of this.#take(this.#parked)) {
        if (this.#closed) return;
        await this.#step('task', taskId, () => this.#dispatcher.retryParked(taskId));
      }
    }
  }

  #take(set: Set<string>): string[] {
    const ids = [...set];
    set.clear();
    return ids;
  }

  async #step(what: string, id: string | undefined, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.#logger.warn(
        { err: error, change: what, ...(id !== undefined ? { id } : {}) },
        'acting on a store change failed; the safety sweep will catch up',
      );
    }
  }
}
