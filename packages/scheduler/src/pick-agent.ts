import { extraTagCount } from './capability-match-score.js';
import { hasFreeSlot, isEligible } from './is-eligible.js';
import type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';

/**
 * Picks the agent that should run `task`, or `null` when none qualifies (the caller parks the
 * task until a capable agent appears; a task is never failed for lack of an agent).
 *
 * An agent qualifies when it is online, the tenant rule allows it (see `isEligible`), it has a
 * free slot (`load < slots`) and it offers ALL required tags. Among qualifying agents the best is
 * the one with
 * 1. the fewest extra tags (tags the task did not ask for), keeping scarce lanes free;
 * 2. then the least `load / slots` (the share of its slots in use);
 * 3. then the smallest `id` (plain string comparison).
 *
 * The result does not depend on the order of `agents` (ids are expected to be unique). This is
 * the reference implementation: a linear scan, O(n · t) for n agents with t tags each. For large
 * fleets use `AgentIndex.pick`, which returns the same agent.
 */
export function pickAgent(
  task: TaskRequirements,
  agents: readonly SchedulableAgent[],
): SchedulableAgent | null {
  const required = new Set(task.requiredCapabilities);
  let best: SchedulableAgent | null = null;
  let bestExtra = Number.POSITIVE_INFINITY;
  for (const agent of agents) {
    if (!isEligible(task, agent) || !hasFreeSlot(agent)) continue;
    const extra = extraTagCount(required, agent.capabilities);
    if (extra < 0) continue;
    if (best === null || extra < bestExtra || (extra === bestExtra && isLessBusy(agent, best))) {
      best = agent;
      bestExtra = extra;
    }
  }
  return best;
}

/**
 * The tie-break between two agents that fit equally well: the smaller share of slots in use
 * (`load / slots`, compared as `a.load * b.slots` vs `b.load * a.slots`, so no rounding decides),
 * then the smallest id.
 */
export function isLessBusy(a: SchedulableAgent, b: SchedulableAgent): boolean {
  const left = a.load * b.slots;
  const right = b.load * a.slots;
  return left < right || (left === right && a.id < b.id);
}
