import type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';

/**
 * True when `agent` may be considered for `task` at all, whatever the task's tags:
 * the agent is online (`idle` or `active`, never `offline`) and the tenant rule holds.
 *
 * Tenant rule: a task of tenant T may go to T's own agents or to shared agents (`tenant: null`);
 * an operator task (`tenant: null`) may go to shared agents only. So a tenant's task never reaches
 * another tenant's agent.
 */
export function isEligible(task: TaskRequirements, agent: SchedulableAgent): boolean {
  return isOnline(agent) && (agent.tenant === null || agent.tenant === task.tenant);
}

/** True when the agent holds fewer tasks than its slots: it may be given one more. */
export function hasFreeSlot(agent: SchedulableAgent): boolean {
  return agent.load < agent.slots;
}

/** True when the agent may take new tasks: `idle` or `active`. */
export function isOnline(agent: SchedulableAgent): boolean {
  return agent.status !== 'offline';
}
