import { ColibriError } from '@colibri/errors';
import {
  DEFAULT_AGENT_SLOTS,
  MAX_AGENT_SLOTS,
  noNul,
  parseAgentName,
  parseCapabilities,
  parseCollectionName,
  parseJailName,
  parseTenantName,
  SKILL_NAME_PATTERN,
  skillSchema,
  TASK_STATUSES,
  TENANT_PROVISION_OUTCOMES,
  TENANT_STATUSES,
  viaParser,
} from '@colibri/protocol';
import * as v from 'valibot';

/** Payloads and results above this size are refused: the store is a control plane, not a blob store. */
export const MAX_JSON_BYTES = 1024 * 1024;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `id` has the shape of the ids this store issues (lower-case UUID). */
export function isStoreId(id: unknown): id is string {
  return typeof id === 'string' && UUID_PATTERN.test(id);
}

const date = v.pipe(
  v.date(),
  v.check((d) => !Number.isNaN(d.getTime()), 'must be a valid date'),
);
/** Encodes a JSON value to text, refusing what JSON cannot carry and anything over the size limit. */
function encodeJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new Error(`must be JSON-serialisable (${(error as Error).message})`);
  }
  if (text === undefined) throw new Error('must be a JSON value (got undefined or a function)');
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_JSON_BYTES) throw new Error(`is ${bytes} bytes of JSON; the limit is ${MAX_JSON_BYTES}`);
  return text;
}

const tenant = v.nullable(viaParser(parseTenantName));
const capabilities = viaParser(parseCapabilities);
const json = viaParser(encodeJson);
/** Every free text the store keeps: bounded, and never a NUL (PostgreSQL's text cannot hold one). */
const shortText = (max: number) =>
  v.pipe(v.string('must be a string'), v.maxLength(max, `must be at most ${max} characters`), noNul());

/** A sha256 digest in lower-case hex: the only form in which a token ever reaches the database. */
export const TOKEN_HASH_PATTERN = /^[0-9a-f]{64}$/;
const tokenHash = v.pipe(
  v.string('must be a string'),
  v.regex(TOKEN_HASH_PATTERN, 'must be a sha256 digest in lower-case hex (64 characters), never a raw token'),
);

const storedSkill = v.object({
  ...v.omit(skillSchema, ['payloadSchema', 'timeoutSeconds']).entries,
  payloadSchema: v.optional(v.nullable(v.record(v.string(), v.unknown())), null),
  timeoutSeconds: v.optional(v.nullable(v.number()), null),
  digest: v.pipe(v.string(), v.regex(/^[0-9a-f]{12}$/, 'must be 12 lower-case hex characters (skillDigest)')),
});
const storedDeclinedSkill = v.object({
  name: v.pipe(v.string(), v.regex(SKILL_NAME_PATTERN, 'must be a skill name')),
  missing: v.array(v.string()),
  reason: shortText(1000),
});
const uniqueSkillNames = <T extends { name: string }>(list: T[]) =>
  new Set(list.map((s) => s.name)).size === list.length;
/** An agent's skills as stored: JSON-encodable manifests with their digests, each name once. */
const agentSkills = {
  skills: v.optional(
    v.pipe(v.array(storedSkill), v.check(uniqueSkillNames, 'must not list a skill twice')),
    [],
  ),
  declinedSkills: v.optional(
    v.pipe(v.array(storedDeclinedSkill), v.check(uniqueSkillNames, 'must not list a skill twice')),
    [],
  ),
};

/** An agent's slots: a whole number from 1 to `MAX_AGENT_SLOTS`. */
export const agentSlots = v.pipe(
  v.number('must be a number'),
  v.integer('must be a whole number'),
  v.minValue(1, 'must be at least 1'),
  v.maxValue(MAX_AGENT_SLOTS, `must be at most ${MAX_AGENT_SLOTS}`),
);

export const registerAgentSchema = v.object({
  name: viaParser(parseAgentName),
  capabilities,
  ...agentSkills,
  host: v.optional(v.nullable(v.pipe(shortText(253), v.minLength(1, 'must not be empty'))), null),
  tenant: v.optional(tenant, null),
  tokenHash: v.optional(tokenHash),
  slots: v.optional(agentSlots, DEFAULT_AGENT_SLOTS),
  at: v.optional(date),
});

const storeId = v.pipe(
  v.string('must be an agent id'),
  v.check((id: string) => isStoreId(id), 'must be an agent id (a lower-case UUID)'),
);

export const createJoinTokenSchema = v.object({
  tokenHash,
  tenant: viaParser(parseTenantName),
  expiresAt: date,
  spawnedBy: v.optional(storeId),
  spawnDepth: v.optional(
    v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0), v.maxValue(1000)),
  ),
  at: v.optional(date),
});

export const retireAgentSchema = v.object({
  reason: v.pipe(
    shortText(1000),
    v.check((s) => s.trim().length > 0, 'must not be empty'),
  ),
  at: v.optional(date),
});

export const markAgentOfflineSchema = v.object({
  reason: v.optional(shortText(1000)),
  silentSince: v.optional(date),
  at: v.optional(date),
});

/** At most this many agents go into one `recordHeartbeats` transaction. */
export const MAX_HEARTBEAT_BATCH = 1000;

export const recordHeartbeatsSchema = v.pipe(
  v.array(
    v.object({
      agentId: storeId,
      at: date,
      extendLeasesUntil: v.optional(date),
    }),
  ),
  v.maxLength(MAX_HEARTBEAT_BATCH, `at most ${MAX_HEARTBEAT_BATCH} heartbeats per call`),
);

export const joinTokenHashSchema = v.object({ tokenHash });

export const setAgentSlotsSchema = v.object({ slots: agentSlots });

export const updateCapabilitiesSchema = v.object({ capabilities, skills: v.optional(v.object(agentSkills)) });

/**
 * A caller's idempotency key: 1-200 printable characters (no spaces or control characters), so
 * that it can be logged and typed back; a UUID or `order-1234:render` both fit.
 */
export const idempotencyKey = v.pipe(
  v.string('must be a string'),
  v.regex(/^[\x21-\x7e]{1,200}$/, 'must be 1-200 printable ASCII characters without spaces'),
);

/** The longest backoff between two attempts, whatever the base and the attempt (one hour). */
export const MAX_RETRY_BACKOFF_MS = 60 * 60 * 1000;

export const intakeTaskSchema = v.object({
  title: v.pipe(
    shortText(500),
    v.check((s) => s.trim().length > 0, 'must not be empty'),
  ),
  requiredCapabilities: capabilities,
  payload: v.optional(json, null),
  priority: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(-1000), v.maxValue(1000)),
    0,
  ),
  tenant: v.optional(tenant, null),
  maxAttempts: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(100)),
    3,
  ),
  retryBackoffMs: v.optional(
    v.nullable(
      v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0), v.maxValue(MAX_RETRY_BACKOFF_MS)),
    ),
    null,
  ),
  idempotencyKey: v.optional(v.nullable(idempotencyKey), null),
  skill: v.optional(
    v.nullable(
      v.object({
        name: v.pipe(v.string(), v.regex(SKILL_NAME_PATTERN, 'must be a skill name')),
        digest: v.nullable(
          v.pipe(v.string(), v.regex(/^[0-9a-f]{12}$/, 'must be 12 lower-case hex characters')),
        ),
      }),
    ),
    null,
  ),
  expiresAt: v.optional(v.nullable(date), null),
  at: v.optional(date),
});

export const retryTaskSchema = v.object({
  taskId: v.string(),
  attempts: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(100)),
    1,
  ),
  reason: v.optional(shortText(1000)),
  at: v.optional(date),
});

export const assignTaskSchema = v.object({
  taskId: v.string(),
  agentId: v.string(),
  expectedAttempt: v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0)),
  leaseExpiresAt: date,
  reason: v.optional(shortText(1000)),
  claimed: v.optional(v.boolean()),
  at: v.optional(date),
});

/** At most this many tasks go into one `intakeTasks` transaction. */
export const MAX_INTAKE_BATCH = 10_000;

/** At most this many assignments go into one `assignTasks` transaction. */
export const MAX_ASSIGN_BATCH = 1000;

export const scanParkedSchema = v.object({
  after: v.optional(
    v.object({
      priority: v.pipe(v.number(), v.integer('must be an integer')),
      createdAt: date,
      id: v.string(),
    }),
  ),
  limit: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(10_000)),
    1000,
  ),
});

/** A handler's stderr tail as kept: at most this many UTF-8 bytes (64 KiB). */
export const MAX_STDERR_TAIL_BYTES = 64 * 1024;
const stderrTail = v.pipe(
  v.string('must be a string'),
  v.check(
    (text) => Buffer.byteLength(text) <= MAX_STDERR_TAIL_BYTES,
    `must be at most ${MAX_STDERR_TAIL_BYTES} bytes of UTF-8`,
  ),
  noNul(),
);

/** What `transitionTask` may move a task to. */
const TRANSITION_TARGETS = TASK_STATUSES.filter((s) => s !== 'assigned' && s !== 'expired');

export const transitionTaskSchema = v.object({
  taskId: v.string(),
  to: v.picklist(
    TRANSITION_TARGETS,
    `must be one of ${TRANSITION_TARGETS.join(', ')} (assignment goes through assignTask, expiry through expireTasks)`,
  ),
  agentId: v.optional(v.string()),
  attempt: v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0))),
  result: v.optional(json),
  error: v.optional(shortText(10_000)),
  stderrTail: v.optional(stderrTail),
  reason: v.optional(shortText(1000)),
  at: v.optional(date),
});

/** Task attempts (id and attempt number), at most one assign batch of them. */
const taskAttempts = v.pipe(
  v.array(
    v.object({
      taskId: v.string(),
      attempt: v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0)),
    }),
  ),
  v.maxLength(MAX_ASSIGN_BATCH, `must be at most ${MAX_ASSIGN_BATCH} tasks`),
);

/** Assigned attempts an agent's poll claims (moves to running). */
export const claimTasksSchema = v.object({
  agentId: v.string(),
  tasks: taskAttempts,
  at: v.optional(date),
});

/** A claiming poll's read: the agent, how many to claim, the attempts it says it holds. */
export const claimHeldTasksSchema = v.object({
  agentId: v.string(),
  limit: v.pipe(
    v.number(),
    v.integer('must be an integer'),
    v.minValue(0),
    v.maxValue(MAX_ASSIGN_BATCH, `must be at most ${MAX_ASSIGN_BATCH}`),
  ),
  unlessHolding: v.optional(taskAttempts),
  at: v.optional(date),
});

/** Deadline-passed parked tasks to expire, each with the reason its event records. */
export const expireTasksSchema = v.object({
  tasks: v.pipe(
    v.array(v.object({ taskId: v.string(), reason: shortText(1000) })),
    v.maxLength(MAX_ASSIGN_BATCH, `must be at most ${MAX_ASSIGN_BATCH} tasks`),
  ),
  at: v.optional(date),
});

export const listDueExpiriesSchema = v.object({
  now: v.optional(date),
  limit: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(10_000)),
    200,
  ),
});

export const pruneSchema = v.object({
  finishedBefore: date,
  limit: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(10_000)),
    500,
  ),
});

export const createTenantSchema = v.object({
  tenantId: viaParser(parseTenantName),
  jail: v.optional(viaParser(parseJailName)),
  collection: v.optional(v.nullable(viaParser(parseCollectionName))),
  at: v.optional(date),
});

/** A Vaultwarden collection id (a UUID there): printable ASCII, no spaces, so it is safe to show. */
const collectionId = v.pipe(
  v.string('must be a string or null'),
  v.regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters without spaces'),
);

export const recordTenantProvisionSchema = v.pipe(
  v.object({
    tenantId: v.string('must be a string'),
    outcome: v.picklist(TENANT_PROVISION_OUTCOMES, `must be one of ${TENANT_PROVISION_OUTCOMES.join(', ')}`),
    collectionId: v.nullable(collectionId),
    reason: v.optional(shortText(1000)),
    at: v.optional(date),
  }),
  v.forward(
    v.check(
      (input) => input.outcome !== 'no-bucket' || input.collectionId === null,
      'must be null when the outcome is no-bucket (there is no collection)',
    ),
    ['collectionId'],
  ),
);

export const setTenantStatusSchema = v.object({
  tenantId: v.string('must be a string'),
  to: v.picklist(TENANT_STATUSES, `must be one of ${TENANT_STATUSES.join(', ')}`),
  reason: v.pipe(
    shortText(1000),
    v.check((s) => s.trim().length > 0, 'must not be empty'),
  ),
  at: v.optional(date),
});

export const resetTenantCollectionSchema = v.object({
  tenantId: v.string('must be a string'),
  reason: v.optional(shortText(1000)),
  at: v.optional(date),
});

/**
 * Validates `input` once at the store's boundary. On failure throws `COLIBRI_INVALID_INPUT`
 * naming the operation and every offending field, and nothing has been touched.
 */
export function parseInput<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  operation: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const path = v.getDotPath(issue);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const capabilityIssue = result.issues.some((issue) =>
    /capability tag|listed twice|list of tags/.test(issue.message),
  );
  throw new ColibriError(
    capabilityIssue ? 'COLIBRI_INVALID_CAPABILITY' : 'COLIBRI_INVALID_INPUT',
    `${operation}: ${problems.join('; ')}`,
    { operation, fields: result.issues.map((issue) => v.getDotPath(issue)) },
  );
}
