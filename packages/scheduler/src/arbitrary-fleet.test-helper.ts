import { AGENT_STATUSES } from '@colibri/protocol';
import fc from 'fast-check';
import type { SchedulableAgent, TaskRequirements } from './schedulable-agent.js';

/** A small vocabulary, so random agents and tasks overlap often. */
export const TAGS = ['linux', 'freebsd', 'docker', 'gpu', 'screenshot', 'gui', 'rust', 'shell'] as const;

/** Two tenants plus `null` (shared agents / operator tasks). */
export const TENANTS = ['acme', 'globex', null] as const;

const tag = fc.constantFrom(...TAGS);
const tenant = fc.constantFrom(...TENANTS);

/** Options for {@link arbitraryAgents}. */
export interface FleetOptions {
  /** Let an agent list a tag twice (the scheduler must still count it once). */
  readonly duplicateTags?: boolean;
  readonly maxAgents?: number;
}

/** The fields of an agent other than its id. */
export function arbitraryAgentFields(options: FleetOptions = {}): fc.Arbitrary<Omit<SchedulableAgent, 'id'>> {
  return fc.record({
    capabilities: options.duplicateTags
      ? fc.array(tag, { maxLength: 7 })
      : fc.uniqueArray(tag, { maxLength: TAGS.length }),
    status: fc.constantFrom(...AGENT_STATUSES),
    tenant,
    // Narrow ranges, so load ties (and therefore id tie-breaks) and full agents are common.
    load: fc.integer({ min: 0, max: 3 }),
    slots: fc.integer({ min: 1, max: 4 }),
  });
}

/** Short ids from a tiny alphabet, so string order matters and collisions are tested by `uniqueArray`. */
export const arbitraryId = fc.string({
  unit: fc.constantFrom('a', 'b', 'B', '1', '-'),
  minLength: 1,
  maxLength: 3,
});

/** A fleet with unique ids. */
export function arbitraryAgents(options: FleetOptions = {}): fc.Arbitrary<SchedulableAgent[]> {
  const agent = fc
    .tuple(arbitraryId, arbitraryAgentFields(options))
    .map(([id, fields]): SchedulableAgent => ({ id, ...fields }));
  return fc.uniqueArray(agent, { selector: (a) => a.id, maxLength: options.maxAgents ?? 12 });
}

/** A task with up to three required tags (optionally repeated). */
export function arbitraryTask(
  options: { readonly duplicateTags?: boolean } = {},
): fc.Arbitrary<TaskRequirements> {
  return fc.record({
    requiredCapabilities: options.duplicateTags
      ? fc.array(tag, { maxLength: 4 })
      : fc.uniqueArray(tag, { maxLength: 3 }),
    tenant,
  });
}

/** Tags that can be added to a task. */
export const arbitraryTags = fc.uniqueArray(tag, { maxLength: 3 });

/** The rule written out independently of the implementation: online, tenant rule, all tags. */
export function oracleQualifies(task: TaskRequirements, agent: SchedulableAgent): boolean {
  const online = agent.status === 'idle' || agent.status === 'active';
  const tenantOk =
    task.tenant === null ? agent.tenant === null : agent.tenant === null || agent.tenant === task.tenant;
  return online && tenantOk && task.requiredCapabilities.every((t) => agent.capabilities.includes(t));
}

/** The expected pick: of the qualifying agents with a free slot, sorted by (extra tags, load/slots, id), the first. */
export function oraclePick(
  task: TaskRequirements,
  agents: readonly SchedulableAgent[],
): SchedulableAgent | null {
  const required = new Set(task.requiredCapabilities);
  const extra = (a: SchedulableAgent) => [...new Set(a.capabilities)].filter((t) => !required.has(t)).length;
  const ranked = agents
    .filter((a) => oracleQualifies(task, a) && a.load < a.slots)
    .sort(
      (a, b) =>
        extra(a) - extra(b) ||
        a.load / a.slots - b.load / b.slots ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  return ranked[0] ?? null;
}
