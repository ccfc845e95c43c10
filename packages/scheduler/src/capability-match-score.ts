/**
 * Counts the distinct tags in `offered` that `required` does not ask for, or returns -1 when
 * `offered` lacks a required tag.
 *
 * The integer behind {@link capabilityMatchScore}; the pickers compare it directly so that no
 * floating-point rounding can decide between two agents.
 */
export function extraTagCount(required: ReadonlySet<string>, offered: readonly string[]): number {
  for (const tag of required) {
    if (!offered.includes(tag)) return -1;
  }
  let extra = 0;
  for (let i = 0; i < offered.length; i++) {
    const tag = offered[i]!;
    // indexOf(tag) === i counts a tag listed twice once; lanes are short, so this beats allocating a Set.
    if (!required.has(tag) && offered.indexOf(tag) === i) extra++;
  }
  return extra;
}

/**
 * How well an agent's tags (`offered`) fit a task's tags (`required`).
 *
 * - `-1`: at least one required tag is missing, so the agent does not qualify.
 * - otherwise `1 / (1 + extra)`, where `extra` is the number of distinct offered tags the task
 *   did not ask for: `1` is an exact fit, and every extra tag lowers the score. A good fit is
 *   preferred so that agents with scarce tags (a GPU, a display) stay free for the tasks that
 *   need them.
 *
 * Tags are compared by exact string equality; an empty `required` matches any agent. Eligibility
 * (online, tenant) is not part of the score: see `isEligible`.
 *
 * @example
 * capabilityMatchScore(['linux'], ['linux']);                // 1
 * capabilityMatchScore(['linux'], ['linux', 'go', 'rust']); // 1/3
 * capabilityMatchScore(['gpu'], ['linux']);                  // -1
 */
export function capabilityMatchScore(required: readonly string[], offered: readonly string[]): number {
  const extra = extraTagCount(new Set(required), offered);
  return extra < 0 ? -1 : 1 / (1 + extra);
}
