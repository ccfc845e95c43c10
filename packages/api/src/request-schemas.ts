import { ColibriError } from '@colibri/errors';
import {
  AGENT_NAME_PATTERN,
  AGENT_STATUSES,
  CAPABILITY_TAG_PATTERN,
  capabilityTagSchema,
  MAX_AGENT_SLOTS,
  MAX_COLLECTION_NAME_LENGTH,
  noNul,
  parseAgentName,
  parseCapabilities,
  parseCollectionName,
  parseJailName,
  parseTenantName,
  SKILL_NAME_PATTERN,
  skillSchema,
  TASK_STATUSES,
  TENANT_NAME_PATTERN,
  TENANT_PROVISION_OUTCOMES,
  TENANT_STATUSES,
  viaParser,
} from '@colibri/protocol';
import * as v from 'valibot';
import { documented } from './json-schema-hints.js';

// valibot schemas of colibrid's request bodies and query strings. The daemon validates every
// request once with them, at its boundary, and hands typed, frozen values inward; a client may use
// them to check a request before sending it.

const integer = (min: number, max: number) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
/** Every free-text field: bounded, and never a NUL (PostgreSQL's text cannot hold one; the store refuses it too). */
const text = (min: number, max: number) =>
  v.pipe(
    v.string('must be a string'),
    v.minLength(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`),
    v.maxLength(max, `must be at most ${max} characters`),
    noNul(),
  );
const tenant = documented(viaParser(parseTenantName), {
  type: 'string',
  pattern: TENANT_NAME_PATTERN.source,
  description: 'a tenant name (also its default jail and collection name)',
});
const tags = (description: string) => ({
  type: 'array',
  items: { type: 'string', pattern: CAPABILITY_TAG_PATTERN.source },
  uniqueItems: true,
  description,
});
const capabilities = documented(
  viaParser((value) => parseCapabilities(value)),
  tags('capability tags (exact strings, no hierarchy)'),
);
const requiredCapabilities = documented(
  viaParser((value) => parseCapabilities(value, 'requiredCapabilities')),
  tags('every tag the agent must have (none = any online agent)'),
);
const agentName = documented(viaParser(parseAgentName), {
  type: 'string',
  pattern: AGENT_NAME_PATTERN.source,
  description: 'an agent name',
});
const jailName = documented(viaParser(parseJailName), {
  type: 'string',
  pattern: TENANT_NAME_PATTERN.source,
  description: 'a jail name',
});
const collectionName = documented(viaParser(parseCollectionName), {
  type: 'string',
  minLength: 1,
  maxLength: MAX_COLLECTION_NAME_LENGTH,
  description: 'a Vaultwarden collection name (no control characters)',
});

/** The longest a long-poll may wait, in seconds. */
export const MAX_POLL_WAIT_SECONDS = 60;
/** The longest a join token may live, in seconds (7 days). */
export const MAX_JOIN_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

/** The longest list of skills one agent may offer or decline. */
export const MAX_AGENT_SKILLS = 256;

const skillName = v.pipe(
  v.string('must be a string'),
  v.regex(
    SKILL_NAME_PATTERN,
    'must be a skill name: 1-64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit',
  ),
);
const uniqueNames = <T extends { name: string }>(list: readonly T[]) =>
  new Set(list.map((item) => item.name)).size === list.length;
const skills = v.pipe(
  v.array(skillSchema, 'must be a list of skills'),
  v.maxLength(MAX_AGENT_SKILLS, `must list at most ${MAX_AGENT_SKILLS} skills`),
  v.check(uniqueNames, 'must not list a skill twice'),
);
const declinedSkills = v.pipe(
  v.array(
    v.strictObject({
      name: skillName,
      missing: v.array(capabilityTagSchema, 'must be a list of capability tags'),
      reason: text(1, 500),
    }),
    'must be a list of declined skills',
  ),
  v.maxLength(MAX_AGENT_SKILLS, `must list at most ${MAX_AGENT_SKILLS} skills`),
  v.check(uniqueNames, 'must not list a skill twice'),
);
/** Every offered skill's requirements must be among the agent's own tags: an agent offers only what it can run. */
const skillsWithinTags = <
  T extends {
    capabilities: readonly string[];
    skills?: readonly { name: string; requiredCapabilities: readonly string[] }[] | undefined;
  },
>(
  body: T,
) =>
  (body.skills ?? []).every((skill) =>
    skill.requiredCapabilities.every((tag) => body.capabilities.includes(tag)),
  );
const skillsWithinTagsMessage =
  "skills: every offered skill's requiredCapabilities must be among the agent's capabilities (decline the skill instead)";

/** `POST /v1/agents`. */
/** An agent's slots: how many tasks it holds at once. */
const agentSlots = integer(1, MAX_AGENT_SLOTS);

export const registerAgentRequestSchema = v.pipe(
  v.strictObject({
    name: agentName,
    capabilities,
    host: v.optional(v.nullable(text(1, 253))),
    tenant: v.optional(v.nullable(tenant)),
    skills: v.optional(skills),
    declinedSkills: v.optional(declinedSkills),
    slots: v.optional(agentSlots),
  }),
  v.check(skillsWithinTags, skillsWithinTagsMessage),
);

/** The most tasks one agent may say it holds in a poll or heartbeat body. */
export const MAX_HELD_TASKS = 1024;

/**
 * The body of `POST /v1/agents/:id/poll` and `POST /v1/agents/:id/heartbeat` (optional): the task
 * attempts the agent holds (running a handler, or a report on its way). A long poll with `holding`
 * returns as soon as the agent's assigned/running set differs from it (a new task, or one of these
 * cancelled, re-queued or taken away), and both answers list the held attempts that are no longer
 * the agent's in `revoked`: that is how a cancel reaches a running handler within a second.
 */
export const heldTasksRequestSchema = v.strictObject({
  holding: v.optional(
    v.pipe(
      v.array(
        v.strictObject({
          taskId: text(1, 100),
          attempt: integer(1, Number.MAX_SAFE_INTEGER),
        }),
        'must be a list of {taskId, attempt}',
      ),
      v.maxLength(MAX_HELD_TASKS, `must list at most ${MAX_HELD_TASKS} tasks`),
    ),
  ),
});

/** `POST /v1/agents/:id/heartbeat`: the body may be absent, `{}` or `{holding}` (see {@link heldTasksRequestSchema}). */
export const heartbeatRequestSchema = heldTasksRequestSchema;

/**
 * `POST /v1/agents/:id/poll`: the body may be absent, `{}`, `{holding}` and/or `{claim}`; the wait
 * is in the query. `claim: N` (opt-in) lets the poll claim up to N of the assigned tasks it returns
 * (its free slots): each moves `assigned → running` in the poll's own transaction (the same
 * compare-and-set on the attempt and the same event row as a `running` report), is returned
 * running and listed in `claimed`, so the agent starts it without reporting `running`. Without
 * `claim` the poll changes nothing.
 */
export const pollRequestSchema = v.strictObject({
  ...heldTasksRequestSchema.entries,
  claim: v.optional(integer(1, MAX_AGENT_SLOTS)),
});

/** `POST /v1/tenants/:tenant/reset-collection`: no fields (the body may be absent or `{}`). */
export const resetCollectionRequestSchema = v.strictObject({});

/** `PUT /v1/agents/:id/capabilities`. Without `skills` the agent's skills stay as they are. */
export const updateCapabilitiesRequestSchema = v.pipe(
  v.strictObject({
    capabilities,
    skills: v.optional(skills),
    declinedSkills: v.optional(declinedSkills),
    slots: v.optional(agentSlots),
  }),
  v.check(skillsWithinTags, skillsWithinTagsMessage),
);

/** A task's skill: `name`, or `name@digest` to pick one manifest when agents disagree. */
const skillReference = v.pipe(
  v.string('must be a string'),
  v.regex(
    /^[a-z0-9][a-z0-9._-]{0,63}(@[0-9a-f]{12})?$/,
    'must be a skill name (a-z, 0-9, ".", "_", "-"), optionally followed by @ and its 12-hex digest',
  ),
);

/** The longest wait between two attempts of a task, whatever its base backoff (one hour). */
export const MAX_RETRY_BACKOFF_MS = 3_600_000;

/** An idempotency key: 1-200 printable ASCII characters, no spaces (a UUID, `order-1234:render`). */
const idempotencyKey = v.pipe(
  v.string('must be a string'),
  v.regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters without spaces'),
);
/** The longest `expireAfterSeconds` / `olderThanSeconds` taken: ten years. */
export const MAX_EXPIRE_AFTER_SECONDS = 10 * 366 * 86_400;

/**
 * `POST /v1/tasks`. Payload size and JSON-ness are checked by the store. `requiredCapabilities` may be
 * left out only when `skill` is given (the daemon refuses a task that names neither).
 */
export const intakeTaskRequestSchema = v.strictObject({
  title: v.pipe(
    text(1, 500),
    v.check((s) => s.trim().length > 0, 'must not be blank'),
  ),
  requiredCapabilities: v.optional(requiredCapabilities),
  skill: v.optional(skillReference),
  payload: v.optional(v.unknown()),
  priority: v.optional(integer(-1000, 1000)),
  tenant: v.optional(v.nullable(tenant)),
  maxAttempts: v.optional(integer(1, 100)),
  retries: v.optional(integer(0, 99)),
  retryBackoffMs: v.optional(integer(0, MAX_RETRY_BACKOFF_MS)),
  idempotencyKey: v.optional(idempotencyKey),
  expireAfterSeconds: v.optional(v.nullable(integer(1, MAX_EXPIRE_AFTER_SECONDS))),
});

/** `POST /v1/tasks/:id/retry`. The body may be absent or `{}`. */
export const retryTaskRequestSchema = v.strictObject({
  attempts: v.optional(integer(1, 100)),
  reason: v.optional(text(1, 1000)),
});

/** A handler's stderr tail as an agent reports it: at most 64 KiB of UTF-8, no NUL. */
export const MAX_STDERR_TAIL_BYTES = 64 * 1024;
const stderrTail = v.pipe(
  v.string('must be a string'),
  v.check(
    (value) => new TextEncoder().encode(value).length <= MAX_STDERR_TAIL_BYTES,
    `must be at most ${MAX_STDERR_TAIL_BYTES} bytes of UTF-8 (the last 64 KiB)`,
  ),
  noNul(),
);

/** `POST /v1/tasks/:id/transition`. */
export const transitionTaskRequestSchema = v.strictObject({
  to: v.picklist(
    ['running', 'done', 'failed', 'cancelled', 'parked'],
    'must be one of running, done, failed, cancelled, parked',
  ),
  attempt: v.optional(integer(0, Number.MAX_SAFE_INTEGER)),
  result: v.optional(v.unknown()),
  error: v.optional(text(0, 10_000)),
  stderrTail: v.optional(stderrTail),
  reason: v.optional(text(0, 1000)),
});

/** `POST /v1/prune`. */
export const pruneRequestSchema = v.strictObject({
  olderThanSeconds: integer(1, MAX_EXPIRE_AFTER_SECONDS),
  dryRun: v.optional(v.boolean('must be true or false')),
});

/** `POST /v1/agents/:id/offline`. The body is optional. */
export const agentOfflineRequestSchema = v.strictObject({
  reason: v.optional(text(1, 1000)),
});

/** `POST /v1/join-tokens`. */
export const joinTokenRequestSchema = v.strictObject({
  tenant,
  ttlSeconds: v.optional(integer(1, MAX_JOIN_TOKEN_TTL_SECONDS)),
});

/** A Vaultwarden collection id as the vault reports it (a UUID for Vaultwarden): printable, no spaces. */
const collectionId = v.pipe(
  v.string('must be a string or null'),
  v.regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters without spaces'),
);

/** `POST /v1/tenants`. */
export const registerTenantRequestSchema = v.strictObject({
  tenant,
  jail: v.optional(jailName),
  collection: v.optional(v.nullable(collectionName)),
});

/** `POST /v1/tenants/:tenant/provision`. `no-bucket` carries no collection id. */
export const recordProvisionRequestSchema = v.pipe(
  v.strictObject({
    outcome: v.picklist(TENANT_PROVISION_OUTCOMES, `must be one of ${TENANT_PROVISION_OUTCOMES.join(', ')}`),
    collectionId: v.nullable(collectionId),
    reason: v.optional(text(1, 1000)),
  }),
  v.forward(
    v.check(
      (input) => input.outcome !== 'no-bucket' || input.collectionId === null,
      'must be null when the outcome is no-bucket (there is no collection)',
    ),
    ['collectionId'],
  ),
);

/** `POST /v1/tenants/:tenant/status`. */
export const setTenantStatusRequestSchema = v.strictObject({
  status: v.picklist(TENANT_STATUSES, `must be one of ${TENANT_STATUSES.join(', ')}`),
  reason: v.pipe(
    text(1, 1000),
    v.check((s) => s.trim().length > 0, 'must not be blank'),
  ),
});

/** A query-string integer (`?limit=10`): digits only, then the range. */
const queryInteger = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,9}$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/** A query-string boolean: exactly `true` or `false`. */
const queryBoolean = v.pipe(
  v.picklist(['true', 'false'], 'must be true or false'),
  v.transform((value) => value === 'true'),
);

/** `GET /v1/agents?status=&tenant=&includeRetired=`. */
export const listAgentsQuerySchema = v.strictObject({
  status: v.optional(v.picklist(AGENT_STATUSES, `must be one of ${AGENT_STATUSES.join(', ')}`)),
  tenant: v.optional(tenant),
  includeRetired: v.optional(queryBoolean),
});

/** `POST /v1/agents/:id/retire`. */
export const retireAgentRequestSchema = v.strictObject({
  reason: v.pipe(
    text(1, 1000),
    v.check((s) => s.trim().length > 0, 'must not be blank'),
  ),
});

/** `POST /v1/join-tokens/revoke`. The token's value is never quoted back in an error. */
export const revokeJoinTokenRequestSchema = v.strictObject({
  token: v.pipe(
    v.string('must be a string'),
    v.regex(/^[\x21-\x7e]{1,1024}$/, 'must be a join token (1 to 1024 printable characters)'),
  ),
});

/** `POST /v1/spawn`. */
export const spawnAgentRequestSchema = v.strictObject({
  name: agentName,
  tenant,
  capabilities: v.optional(v.nullable(capabilities)),
});

/** `POST /v1/spawn/destroy`. */
export const destroyAgentRequestSchema = v.strictObject({
  name: agentName,
  tenant: v.optional(tenant),
});

/** `GET /v1/tasks?status=&tenant=&limit=`. */
export const listTasksQuerySchema = v.strictObject({
  status: v.optional(v.picklist(TASK_STATUSES, `must be one of ${TASK_STATUSES.join(', ')}`)),
  tenant: v.optional(tenant),
  limit: v.optional(queryInteger(1, 10_000)),
});

/** `GET /v1/tenants?status=`. */
export const listTenantsQuerySchema = v.strictObject({
  status: v.optional(v.picklist(TENANT_STATUSES, `must be one of ${TENANT_STATUSES.join(', ')}`)),
});

/** `POST /v1/agents/:id/poll?wait=N`. */
export const pollQuerySchema = v.strictObject({
  wait: v.optional(queryInteger(0, MAX_POLL_WAIT_SECONDS)),
});

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    return `${path}: unknown field (check its spelling)`;
  }
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Validates `input` against `schema` once, at the boundary, and returns the result frozen.
 * Throws `COLIBRI_INVALID_CAPABILITY` when a capability tag is the problem, else
 * `COLIBRI_INVALID_INPUT`, naming `what` (e.g. `request body`) and every offending field.
 */
export function parseRequest<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  what: string,
): Readonly<v.InferOutput<S>> {
  const result = v.safeParse(schema, input);
  if (result.success) {
    const output = result.output as v.InferOutput<S>;
    return typeof output === 'object' && output !== null ? Object.freeze(output) : output;
  }
  const capabilityIssue = result.issues.some((issue) =>
    /capability tag|listed twice|list of tags/.test(issue.message),
  );
  throw new ColibriError(
    capabilityIssue ? 'COLIBRI_INVALID_CAPABILITY' : 'COLIBRI_INVALID_INPUT',
    `${what}: ${result.issues.map(describeIssue).join('; ')}`,
    { fields: result.issues.map((issue) => v.getDotPath(issue)) },
  );
}
