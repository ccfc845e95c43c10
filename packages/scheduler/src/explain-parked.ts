import { isEligible } from './is-eligible.js';
import type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';

/** One eligible agent and the required tags it lacks. */
export interface ParkedCandidate {
  /** The agent's id. */
  readonly agentId: string;
  /** Required tags this agent does not offer, in the task's order. Empty if it would qualify. */
  readonly missing: readonly string[];
}

/** Why a task is parked: how close each eligible agent comes, and which tags nobody offers. */
export interface ParkedExplanation {
  /**
   * Every eligible agent (online and allowed by the tenant rule), closest first: fewest missing
   * tags, then smallest id. Agents the tenant rule excludes are never listed, so the explanation
   * leaks nothing about other tenants.
   */
  readonly candidates: readonly ParkedCandidate[];
  /** Required tags that no eligible agent offers, in the task's order: the lane the hive lacks. */
  readonly unmatchedTags: readonly string[];
}

/**
 * Explains why `task` is parked (or would be): for each eligible agent, the required tags it
 * lacks, closest first; plus the required tags that no eligible agent offers.
 *
 * Linear in the fleet; meant for operators and error messages, not for the hot path.
 */
export function explainParked(task: TaskRequirements, agents: Iterable<SchedulableAgent>): ParkedExplanation {
  const required = [...new Set(task.requiredCapabilities)];
  const offered = new Set<string>();
  const candidates: ParkedCandidate[] = [];
  for (const agent of agents) {
    if (!isEligible(task, agent)) continue;
    const missing: string[] = [];
    for (const tag of required) {
      if (agent.capabilities.includes(tag)) offered.add(tag);
      else missing.push(tag);
    }
    candidates.push({ agentId: agent.id, missing });
  }
  return explanation(required, candidates, offered);
}

/** Sorts `candidates` closest first and assembles the explanation; shared with `AgentIndex`. */
export function explanation(
  required: readonly string[],
  candidates: ParkedCandidate[],
  offered: ReadonlySet<string>,
): ParkedExplanation {
  candidates.sort((a, b) => a.missing.length - b.missing.length || compareIds(a.agentId, b.agentId));
  return { candidates, unmatchedTags: required.filter((tag) => !offered.has(tag)) };
}

function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
