import { AGENT_STATUSES, TASK_STATUSES, TENANT_STATUSES } from '@colibri/protocol';
import * as v from 'valibot';

// valibot schemas of colibrid's response bodies: what the OpenAPI document shows and what the
// daemon's tests check its answers against. They mirror the interfaces of `api-types.ts` (a test
// asserts that each schema's output is assignable to its interface); objects are open (a newer
// daemon may add a field), so they describe what is there, not what may not be.

const time = v.pipe(v.string(), v.isoTimestamp());
const nullableTime = v.nullable(time);
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const statusCounts = <T extends readonly string[]>(statuses: T) =>
  v.object(Object.fromEntries(statuses.map((s) => [s, count])) as Record<T[number], typeof count>);

/** `ApiSkill`. */
export const apiSkillSchema = v.object({
  name: v.string(),
  description: v.string(),
  requiredCapabilities: v.array(v.string()),
  payloadSchema: v.nullable(v.record(v.string(), v.unknown())),
  timeoutSeconds: v.nullable(v.number()),
  digest: v.pipe(v.string(), v.regex(/^[0-9a-f]{12}$/)),
});

/** `DeclinedSkill`. */
export const declinedSkillSchema = v.object({
  name: v.string(),
  missing: v.array(v.string()),
  reason: v.string(),
});

/** `ApiAgent`. */
export const apiAgentSchema = v.object({
  id: v.string(),
  name: v.string(),
  host: v.nullable(v.string()),
  capabilities: v.array(v.string()),
  status: v.picklist(AGENT_STATUSES),
  tenant: v.nullable(v.string()),
  registeredAt: time,
  lastHeartbeatAt: nullableTime,
  activeTasks: count,
  slots: count,
  retiredAt: nullableTime,
  spawnedBy: v.nullable(v.string()),
  spawnDepth: count,
  skills: v.array(apiSkillSchema),
  declinedSkills: v.array(declinedSkillSchema),
});

/** `ApiTask`. */
export const apiTaskSchema = v.object({
  id: v.string(),
  title: v.string(),
  payload: v.unknown(),
  requiredCapabilities: v.array(v.string()),
  skill: v.nullable(v.object({ name: v.string(), digest: v.nullable(v.string()) })),
  status: v.picklist(TASK_STATUSES),
  tenant: v.nullable(v.string()),
  assignedAgentId: v.nullable(v.string()),
  priority: v.pipe(v.number(), v.integer()),
  attempt: count,
  maxAttempts: count,
  leaseExpiresAt: nullableTime,
  result: v.unknown(),
  error: v.nullable(v.string()),
  createdAt: time,
  updatedAt: time,
  retryBackoffMs: v.nullable(count),
  notBefore: nullableTime,
  idempotencyKey: v.nullable(v.string()),
  expiresAt: nullableTime,
});

/** `ApiTaskEvent`. */
export const apiTaskEventSchema = v.object({
  id: v.pipe(v.number(), v.integer()),
  from: v.nullable(v.picklist(TASK_STATUSES)),
  to: v.picklist(TASK_STATUSES),
  agentId: v.nullable(v.string()),
  attempt: count,
  reason: v.nullable(v.string()),
  at: time,
});

/** `ParkedReason`. */
export const parkedReasonSchema = v.object({
  candidates: v.array(v.object({ agentId: v.string(), agentName: v.string(), missing: v.array(v.string()) })),
  unmatchedTags: v.array(v.string()),
  neverAdvertised: v.array(v.object({ tag: v.string(), suggestion: v.nullable(v.string()) })),
  skill: v.optional(
    v.object({
      name: v.string(),
      offeredBy: v.array(v.string()),
      declinedBy: v.array(v.object({ agentName: v.string(), missing: v.array(v.string()) })),
      neverOffered: v.nullable(v.object({ suggestion: v.nullable(v.string()) })),
    }),
  ),
});

/** `ListSkillsResponse`. */
export const listSkillsResponseSchema = v.object({
  skills: v.array(
    v.object({
      name: v.string(),
      variants: v.array(
        v.object({
          digest: v.string(),
          description: v.string(),
          requiredCapabilities: v.array(v.string()),
          payloadSchema: v.nullable(v.record(v.string(), v.unknown())),
          timeoutSeconds: v.nullable(v.number()),
          agents: v.array(v.object({ id: v.string(), name: v.string(), status: v.picklist(AGENT_STATUSES) })),
        }),
      ),
      declinedBy: v.array(
        v.object({ id: v.string(), name: v.string(), missing: v.array(v.string()), reason: v.string() }),
      ),
      conflict: v.boolean(),
    }),
  ),
});

/** `ApiTenant`. */
export const apiTenantSchema = v.object({
  tenant: v.string(),
  jail: v.string(),
  collection: v.nullable(v.string()),
  collectionId: v.nullable(v.string()),
  status: v.picklist(TENANT_STATUSES),
  createdAt: time,
  updatedAt: time,
});

/** `ApiTenantEvent`. */
export const apiTenantEventSchema = v.object({
  at: time,
  from: v.nullable(v.picklist(TENANT_STATUSES)),
  to: v.picklist(TENANT_STATUSES),
  reason: v.nullable(v.string()),
  details: v.nullable(v.record(v.string(), v.unknown())),
});

const stepReportSchema = v.object({
  step: v.string(),
  status: v.picklist(['done', 'skipped', 'failed']),
  durationMs: v.number(),
  detail: v.string(),
});

/** `StatusResponse`. */
export const statusResponseSchema = v.object({
  version: v.string(),
  driver: v.picklist(['sqlite', 'postgres']),
  uptimeSeconds: count,
  agents: statusCounts(AGENT_STATUSES),
  tasks: statusCounts(TASK_STATUSES),
});

/** `RegisterAgentResponse`. */
export const registerAgentResponseSchema = v.object({ agent: apiAgentSchema, token: v.string() });
/** `{ agents }` of `GET /v1/agents`. */
export const listAgentsResponseSchema = v.object({ agents: v.array(apiAgentSchema) });
/** `{ agent }`: a heartbeat's or a tag change's answer. */
export const agentResponseSchema = v.object({ agent: apiAgentSchema });
/** `AgentOfflineResponse` (also `RetireAgentResponse`). */
export const agentOfflineResponseSchema = v.object({
  agent: apiAgentSchema,
  requeued: v.array(v.string()),
  failed: v.array(v.string()),
});
/** `{ tasks }`: a listing's answer. */
export const tasksResponseSchema = v.object({ tasks: v.array(apiTaskSchema) });
const heldTaskSchema = v.object({ taskId: v.string(), attempt: v.number() });
/** `PollResponse`: `claimed` only when the poll asked to claim. */
export const pollResponseSchema = v.object({
  tasks: v.array(apiTaskSchema),
  revoked: v.array(
    v.object({
      ...heldTaskSchema.entries,
      status: v.nullable(v.picklist(TASK_STATUSES)),
      reason: v.nullable(v.string()),
    }),
  ),
  claimed: v.optional(v.array(heldTaskSchema)),
});
/** `IntakeTaskResponse`. */
export const intakeTaskResponseSchema = v.object({
  created: v.boolean(),
  task: apiTaskSchema,
  assignedTo: v.nullable(v.object({ id: v.string(), name: v.string() })),
  warnings: v.array(v.string()),
});
/** `ShowTaskResponse`. */
export const showTaskResponseSchema = v.object({
  task: apiTaskSchema,
  events: v.array(apiTaskEventSchema),
  parked: v.exactOptional(parkedReasonSchema),
  stderrTail: v.nullable(v.string()),
});
/** `PruneResponse`. */
export const pruneResponseSchema = v.object({
  dryRun: v.boolean(),
  finishedBefore: time,
  tasks: count,
  events: count,
});
/** `{ task }`: a transition's answer. */
export const taskResponseSchema = v.object({ task: apiTaskSchema });
/** `JoinTokenResponse`. */
export const joinTokenResponseSchema = v.object({ token: v.string(), tenant: v.string(), expiresAt: time });
/** `RevokeJoinTokenResponse`. */
export const revokeJoinTokenResponseSchema = v.object({ revoked: v.boolean() });
/** `ApiSpawnReport`. */
export const spawnReportSchema = v.object({
  agentName: v.string(),
  tenant: v.string(),
  jail: v.string(),
  driver: v.picklist(['bastille', 'linux']),
  outcome: v.picklist(['spawned', 'already-healthy', 'repaired']),
  agentId: v.string(),
  steps: v.array(stepReportSchema),
});
/** `ApiDestroyReport`. */
export const destroyReportSchema = v.object({
  agentName: v.string(),
  tenant: v.string(),
  jail: v.string(),
  outcome: v.picklist(['destroyed', 'absent']),
  steps: v.array(stepReportSchema),
});
/** `{ tenant }`. */
export const tenantResponseSchema = v.object({ tenant: apiTenantSchema });
/** `{ tenants }`. */
export const listTenantsResponseSchema = v.object({ tenants: v.array(apiTenantSchema) });
/** `ShowTenantResponse`. */
export const showTenantResponseSchema = v.object({
  tenant: apiTenantSchema,
  events: v.array(apiTenantEventSchema),
});
/** `POST /v1/board/login-codes`: a one-time code and the board path that redeems it. */
export const boardLoginCodeResponseSchema = v.object({ code: v.string(), path: v.string(), expiresAt: time });
/** `GET /healthz`. */
export const healthResponseSchema = v.object({ status: v.literal('ok'), store: v.literal('ok') });
/** `GET /v1/openapi.json`: an OpenAPI 3.1 document (its shape is OpenAPI's). */
export const openApiResponseSchema = v.object({
  openapi: v.string(),
  info: v.object({ title: v.string(), version: v.string() }),
  paths: v.record(v.string(), v.record(v.string(), v.unknown())),
});
/** `ErrorEnvelope`: every non-2xx answer. */
export const errorEnvelopeSchema = v.object({
  error: v.object({
    code: v.string(),
    message: v.string(),
    details: v.optional(v.record(v.string(), v.unknown())),
  }),
});
