import { AGENT_STATUSES, parseTenantName } from '@colibri/protocol';
import * as v from 'valibot';
import { defineTool } from '../define-tool.js';
import { taskId, tenant } from '../field-schemas.js';
import {
  agentSchema,
  parkedReasonSchema,
  skillListingSchema,
  statusSchema,
  taskSchema,
} from '../output-schemas.js';

export const listAgents = defineTool({
  name: 'list_agents',
  title: 'List agents',
  description:
    'The agents of the hive by name: tags, status (idle/active/offline), tenant, load. Operator token only.',
  toolset: 'observe',
  readOnly: true,
  input: v.strictObject({
    status: v.optional(
      v.pipe(
        v.picklist(AGENT_STATUSES, `must be one of ${AGENT_STATUSES.join(', ')}`),
        v.description('only agents in this status'),
      ),
    ),
    tenant: tenant('only agents of this tenant'),
    include_retired: v.optional(
      v.pipe(v.boolean('must be true or false'), v.description('also agents retired for good')),
    ),
  }),
  output: v.object({ agents: v.array(agentSchema) }),
  run: async (args, { hive }) =>
    hive.listAgents({
      ...(args.status === undefined ? {} : { status: args.status }),
      ...(args.tenant === undefined ? {} : { tenant: parseTenantName(args.tenant) }),
      ...(args.include_retired === true ? { includeRetired: true } : {}),
    }),
  summarize: ({ agents }) =>
    agents.length === 0
      ? 'no agents'
      : agents.map((a) => `${a.name} ${a.status} [${a.capabilities.join(', ')}]`).join('\n'),
});

const capabilitySchema = v.object({
  tag: v.string(),
  agents: v.pipe(
    v.array(v.object({ id: v.string(), name: v.string(), status: v.picklist(AGENT_STATUSES) })),
    v.description('online agents offering the tag'),
  ),
  parkedTasks: v.pipe(v.number(), v.description('parked tasks that need the tag')),
});

export const listCapabilities = defineTool({
  name: 'list_capabilities',
  title: 'List capability tags',
  description:
    'Every capability tag in the hive: the online agents offering it and how many parked tasks need it. A tag with ' +
    'parked tasks and no agents is a lane nobody serves yet. Use it to pick the requires of submit_task. Operator token only.',
  toolset: 'observe',
  readOnly: true,
  input: v.strictObject({}),
  output: v.object({ capabilities: v.array(capabilitySchema) }),
  async run(_args, { hive }) {
    const [{ agents }, { tasks }] = await Promise.all([
      hive.listAgents({}),
      hive.listTasks({ status: 'parked', limit: 10_000 }),
    ]);
    const byTag = new Map<string, v.InferOutput<typeof capabilitySchema>>();
    const entry = (tag: string) => {
      let found = byTag.get(tag);
      if (found === undefined) {
        found = { tag, agents: [], parkedTasks: 0 };
        byTag.set(tag, found);
      }
      return found;
    };
    for (const agent of agents) {
      if (agent.status === 'offline') continue;
      for (const tag of agent.capabilities)
        entry(tag).agents.push({ id: agent.id, name: agent.name, status: agent.status });
    }
    for (const task of tasks) for (const tag of task.requiredCapabilities) entry(tag).parkedTasks += 1;
    return { capabilities: [...byTag.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)) };
  },
  summarize: ({ capabilities }) =>
    capabilities.length === 0
      ? 'no tags: no agent is online and nothing is parked'
      : capabilities
          .map(
            (c) =>
              `${c.tag}: ${c.agents.map((a) => a.name).join(', ') || 'no online agent'}; ${c.parkedTasks} parked`,
          )
          .join('\n'),
});

export const listSkills = defineTool({
  name: 'list_skills',
  title: 'List skills',
  description:
    'Every skill offered in the hive: for each manifest variant its description, required tags, payload JSON Schema ' +
    'and the agents offering it; who has the skill but declines it and why; and conflict (variants disagree). Use it ' +
    'to pick the skill of submit_task (name, or name@digest when conflict is true) and build a payload that matches ' +
    "the variant's payloadSchema. An agent token sees its own tenant's agents and the shared lanes.",
  toolset: 'observe',
  readOnly: true,
  input: v.strictObject({}),
  output: v.object({ skills: v.array(skillListingSchema) }),
  run: async (_args, { hive }) => hive.listSkills(),
  summarize: ({ skills }) =>
    skills.length === 0
      ? 'no skills: no agent offers or declines one'
      : skills
          .map((s) => {
            const offered = s.variants.flatMap((variant) => variant.agents.map((a) => a.name));
            const declined = s.declinedBy.map((d) => `${d.name} declines: ${d.reason}`);
            return `${s.name}${s.conflict ? ' (conflict: name a variant as name@digest)' : ''}: ${
              s.variants[0]?.description ?? ''
            }; offered by ${offered.join(', ') || 'nobody'}${declined.length === 0 ? '' : `; ${declined.join('; ')}`}`;
          })
          .join('\n'),
});

export const explainTask = defineTool({
  name: 'explain_task',
  title: 'Explain why a task waits',
  description:
    'For a parked task: what each eligible online agent lacks (closest first), the closest agent, the required tags ' +
    'no online agent offers, and tags nobody has ever advertised (likely typos, with the nearest spelling). For any ' +
    'other task: where it is.',
  toolset: 'observe',
  readOnly: true,
  input: v.strictObject({ task_id: taskId }),
  output: v.object({
    task: taskSchema,
    parked: v.boolean(),
    explanation: v.string(),
    closestAgent: v.nullable(
      v.object({ agentId: v.string(), agentName: v.string(), missing: v.array(v.string()) }),
    ),
    ...parkedReasonSchema.entries,
  }),
  async run(args, { hive }) {
    const { task, parked } = await hive.showTask(args.task_id);
    if (task.status !== 'parked' || parked === undefined) {
      const where =
        task.status === 'assigned' || task.status === 'running'
          ? `it is ${task.status} on agent ${task.assignedAgentId} (attempt ${task.attempt})`
          : `it has ended: ${task.status}${task.error === null ? '' : ` (${task.error})`}`;
      return {
        task,
        parked: false,
        explanation: `task ${task.id} is not waiting: ${where}`,
        closestAgent: null,
        candidates: [],
        unmatchedTags: [],
        neverAdvertised: [],
      };
    }
    const closest = parked.candidates[0] ?? null;
    const parts = [
      parked.candidates.length === 0
        ? "no eligible agent is online (a task of a tenant may use that tenant's agents and the shared lanes)"
        : parked.candidates.map((c) => `${c.agentName} lacks ${c.missing.join(', ')}`).join('; '),
      ...parked.neverAdvertised.map(
        (n) =>
          `"${n.tag}" has never been advertised by any agent${n.suggestion === null ? '' : ` (did you mean "${n.suggestion}"?)`}`,
      ),
    ];
    return {
      task,
      parked: true,
      explanation: `task ${task.id} is parked: ${parts.join('; ')}`,
      closestAgent: closest === null ? null : { ...closest, missing: [...closest.missing] },
      candidates: parked.candidates.map((c) => ({ ...c, missing: [...c.missing] })),
      unmatchedTags: [...parked.unmatchedTags],
      neverAdvertised: parked.neverAdvertised.map((n) => ({ ...n })),
    };
  },
  summarize: ({ explanation }) => explanation,
});

export const getStatus = defineTool({
  name: 'get_status',
  title: 'Hive status',
  description:
    'The daemon version, its store (sqlite/postgres), uptime, and agents and tasks counted by status (an agent token sees its own tenant).',
  toolset: 'observe',
  readOnly: true,
  input: v.strictObject({}),
  output: statusSchema,
  run: async (_args, { hive }) => hive.status(),
  summarize: (s) =>
    `colibrid ${s.version} (${s.driver}), up ${s.uptimeSeconds} s; agents ${JSON.stringify(s.agents)}; tasks ${JSON.stringify(s.tasks)}`,
});

export const observeTools = [listAgents, listCapabilities, listSkills, explainTask, getStatus];
