import type {
  ApiAgent,
  ApiSkill,
  ApiSkillListing,
  ApiSpawnReport,
  ApiTask,
  ApiTaskEvent,
  JoinTokenResponse,
  ParkedReason,
  StatusResponse,
} from '@colibri/api';
import { AGENT_STATUSES, TASK_STATUSES } from '@colibri/protocol';
import * as v from 'valibot';

// valibot schemas of the API's response shapes that the tools return (the `Api*` types of the wire
// contract, checked against them with `satisfies`), so each tool's output schema is the contract's
// shape. Objects are loose: a newer daemon may add fields.

const time = v.pipe(v.string(), v.description('ISO-8601 time'));
const nullableTime = v.nullable(time);
const id = v.string();

/** {@link ApiTask}. */
export const taskSchema = v.object({
  id,
  title: v.string(),
  payload: v.unknown(),
  requiredCapabilities: v.array(v.string()),
  skill: v.nullable(v.object({ name: v.string(), digest: v.nullable(v.string()) })),
  status: v.picklist(TASK_STATUSES),
  tenant: v.nullable(v.string()),
  assignedAgentId: v.nullable(id),
  priority: v.number(),
  attempt: v.pipe(
    v.number(),
    v.description('assignments so far; the fencing token an agent presents to move the task on'),
  ),
  maxAttempts: v.number(),
  leaseExpiresAt: nullableTime,
  result: v.unknown(),
  error: v.nullable(v.string()),
  createdAt: time,
  updatedAt: time,
}) satisfies v.GenericSchema<ApiTask>;

/** {@link ApiTaskEvent}. */
export const taskEventSchema = v.object({
  id: v.number(),
  from: v.nullable(v.picklist(TASK_STATUSES)),
  to: v.picklist(TASK_STATUSES),
  agentId: v.nullable(id),
  attempt: v.number(),
  reason: v.nullable(v.string()),
  at: time,
}) satisfies v.GenericSchema<ApiTaskEvent>;

/** {@link ParkedReason}. */
export const parkedReasonSchema = v.object({
  candidates: v.array(
    v.object({
      agentId: id,
      agentName: v.string(),
      missing: v.array(v.string()),
    }),
  ),
  unmatchedTags: v.array(v.string()),
  neverAdvertised: v.array(v.object({ tag: v.string(), suggestion: v.nullable(v.string()) })),
}) satisfies v.GenericSchema<ParkedReason>;

/** {@link ApiSkill}. */
export const skillSchema = v.object({
  name: v.string(),
  description: v.string(),
  requiredCapabilities: v.array(v.string()),
  payloadSchema: v.nullable(v.record(v.string(), v.unknown())),
  timeoutSeconds: v.nullable(v.number()),
  digest: v.pipe(
    v.string(),
    v.description('identifies the manifest; name@digest picks it when agents disagree'),
  ),
}) satisfies v.GenericSchema<ApiSkill>;

/** {@link ApiSkillListing}. */
export const skillListingSchema = v.object({
  name: v.string(),
  variants: v.pipe(
    v.array(
      v.object({
        digest: v.pipe(
          v.string(),
          v.description('identifies this manifest; submit_task skill "name@digest" picks it on a conflict'),
        ),
        description: v.string(),
        requiredCapabilities: v.pipe(
          v.array(v.string()),
          v.description("tags an agent needs to offer it (added to the task's requires)"),
        ),
        payloadSchema: v.pipe(
          v.nullable(v.record(v.string(), v.unknown())),
          v.description('JSON Schema the task payload must match, or null'),
        ),
        timeoutSeconds: v.nullable(v.number()),
        agents: v.pipe(
          v.array(v.object({ id, name: v.string(), status: v.picklist(AGENT_STATUSES) })),
          v.description('agents offering this variant'),
        ),
      }),
    ),
    v.description('one entry per distinct manifest'),
  ),
  declinedBy: v.pipe(
    v.array(v.object({ id, name: v.string(), missing: v.array(v.string()), reason: v.string() })),
    v.description('agents with the manifest that do not offer it, what they lack and why'),
  ),
  conflict: v.pipe(
    v.boolean(),
    v.description('true when the variants disagree: submit_task must then name one as name@digest'),
  ),
}) satisfies v.GenericSchema<ApiSkillListing>;

/** {@link ApiAgent}. */
export const agentSchema = v.object({
  id,
  name: v.string(),
  host: v.nullable(v.string()),
  capabilities: v.array(v.string()),
  status: v.picklist(AGENT_STATUSES),
  tenant: v.nullable(v.string()),
  registeredAt: time,
  lastHeartbeatAt: nullableTime,
  activeTasks: v.number(),
  retiredAt: nullableTime,
  spawnedBy: v.nullable(id),
  spawnDepth: v.number(),
  skills: v.array(skillSchema),
  declinedSkills: v.array(v.object({ name: v.string(), missing: v.array(v.string()), reason: v.string() })),
}) satisfies v.GenericSchema<ApiAgent>;

const countsOf = <const T extends readonly string[]>(keys: T) =>
  v.object(
    Object.fromEntries(keys.map((key) => [key, v.number()])) as Record<T[number], v.NumberSchema<undefined>>,
  );

/** {@link StatusResponse}. */
export const statusSchema = v.object({
  version: v.string(),
  driver: v.picklist(['sqlite', 'postgres']),
  uptimeSeconds: v.number(),
  agents: countsOf(AGENT_STATUSES),
  tasks: countsOf(TASK_STATUSES),
}) satisfies v.GenericSchema<StatusResponse>;

/** {@link JoinTokenResponse}. */
export const joinTokenSchema = v.object({
  token: v.pipe(v.string(), v.description('one-time registration token; shown once')),
  tenant: v.string(),
  expiresAt: time,
}) satisfies v.GenericSchema<JoinTokenResponse>;

/** {@link ApiSpawnReport}. */
export const spawnReportSchema = v.object({
  agentName: v.string(),
  tenant: v.string(),
  jail: v.string(),
  driver: v.picklist(['bastille', 'linux']),
  outcome: v.picklist(['spawned', 'already-healthy', 'repaired']),
  agentId: id,
  steps: v.array(
    v.object({
      step: v.string(),
      status: v.picklist(['done', 'skipped', 'failed']),
      durationMs: v.number(),
      detail: v.string(),
    }),
  ),
}) satisfies v.GenericSchema<ApiSpawnReport>;
