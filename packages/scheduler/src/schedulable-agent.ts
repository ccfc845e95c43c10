import type { AgentStatus } from '@colibri/protocol';

/**
 * What the scheduler needs to know about an agent, and nothing more.
 *
 * A small structural shape (not the store's row): the daemon maps its rows onto it, tests build it
 * by hand. Capability lists are expected to be validated already (see `validateCapabilities`).
 */
export interface SchedulableAgent {
  /** Stable, unique agent id. The last tie-break, so the same fleet always yields the same pick. */
  readonly id: string;
  /** The agent's lane: flat capability tags, compared by exact string equality (no hierarchy). */
  readonly capabilities: readonly string[];
  /** Only `idle` and `active` agents may take tasks; `offline` agents are never picked. */
  readonly status: AgentStatus;
  /**
   * The tenant this agent works for, or `null` for a shared (operator-owned) agent that serves
   * every tenant and the operator's own tasks.
   */
  readonly tenant: string | null;
  /**
   * Tasks currently assigned to or running on the agent (its used slots); among equally fitting
   * agents the one with the smallest `load / slots` wins.
   */
  readonly load: number;
  /**
   * How many tasks the agent holds at once (at least 1): it is given a task only while
   * `load < slots` (see `hasFreeSlot`).
   */
  readonly slots: number;
}

/** What a task asks of the agent that runs it. */
export interface TaskRequirements {
  /** Tags the agent must ALL offer (exact match). Empty = any eligible agent will do. */
  readonly requiredCapabilities: readonly string[];
  /**
   * The tenant that owns the task: its own agents and shared agents may take it. `null` = an
   * operator task, which only shared agents may take (a tenant's jail never sees it).
   */
  readonly tenant: string | null;
}
