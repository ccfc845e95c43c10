import { extraTagCount } from './capability-match-score.js';
import { isEligible } from './is-eligible.js';
import type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';

/**
 * True when `agent` could be picked for `task`: it is eligible (online, tenant rule) and offers
 * ALL of the task's required tags.
 *
 * Useful when one agent appears or changes: the daemon can test its parked tasks against just
 * that agent.
 */
export function qualifies(task: TaskRequirements, agent: SchedulableAgent): boolean {
  return (
    isEligible(task, agent) && extraTagCount(new Set(task.requiredCapabilities), agent.capabilities) >= 0
  );
}
