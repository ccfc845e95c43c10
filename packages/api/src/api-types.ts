import type { AgentStatus, Skill, TaskStatus, TenantProvisionOutcome, TenantStatus } from '@colibri/protocol';

// The JSON shapes of colibrid's HTTP API (camelCase; times are ISO-8601 strings). The daemon
// produces them and the CLI prints them with --json, so they are the scripting contract.

/** An agent as the API shows it. */
export interface ApiAgent {
  readonly id: string;
  readonly name: string;
  readonly host: string | null;
  readonly capabilities: readonly string[];
  readonly status: AgentStatus;
  /** null = shared (operator-owned) lane serving every tenant. */
  readonly tenant: string | null;
  readonly registeredAt: string;
  readonly lastHeartbeatAt: string | null;
  /** Tasks it holds in `assigned` or `running`: its used slots. */
  readonly activeTasks: number;
  /** How many tasks it holds at once: it is given one only while `activeTasks < slots`. */
  readonly slots: number;
  /** When it was retired (gone for good, its name free again), or null. Listed only with `includeRetired`. */
  readonly retiredAt: string | null;
  /** The agent that had it spawned (its mother), or null when the operator did. */
  readonly spawnedBy: string | null;
  /** Its generation: 0 = started by the operator, its mother's depth + 1 for a spawned child. */
  readonly spawnDepth: number;
  /** The skills it offers (handler + manifest, requirements met by its own tags), each with its digest. */
  readonly skills: readonly ApiSkill[];
  /** Skills it has a manifest for but does not offer, and what it lacks for each. */
  readonly declinedSkills: readonly DeclinedSkill[];
}

/** A skill as an agent offers it: its manifest plus the digest the daemon computed from it. */
export interface ApiSkill {
  readonly name: string;
  /** One line: what it does. */
  readonly description: string;
  /** Tags an agent needs to offer it (the agent's own confirmed tags must include them all). */
  readonly requiredCapabilities: readonly string[];
  /** JSON Schema every payload of a task asking for it must match, or null. */
  readonly payloadSchema: Readonly<Record<string, unknown>> | null;
  /** Its handler's time limit, or null for the agent's default. */
  readonly timeoutSeconds: number | null;
  /** 12 hex characters identifying the manifest's requirements and payload schema (see `skillDigest`). */
  readonly digest: string;
}

/** A skill an agent has the manifest for but does not offer. */
export interface DeclinedSkill {
  readonly name: string;
  /** Required tags the agent does not advertise (empty when its handler is the problem). */
  readonly missing: readonly string[];
  /** One sentence: why it is not offered. */
  readonly reason: string;
}

/** One skill of the hive (`GET /v1/skills`): every manifest variant, who offers it, who has it but cannot. */
export interface ApiSkillListing {
  readonly name: string;
  /** One entry per distinct manifest (digest); more than one is a conflict the daemon reports. */
  readonly variants: readonly {
    readonly digest: string;
    readonly description: string;
    readonly requiredCapabilities: readonly string[];
    readonly payloadSchema: Readonly<Record<string, unknown>> | null;
    readonly timeoutSeconds: number | null;
    readonly agents: readonly { readonly id: string; readonly name: string; readonly status: AgentStatus }[];
  }[];
  /** Agents with the handler and manifest that do not offer it, and what they lack. */
  readonly declinedBy: readonly {
    readonly id: string;
    readonly name: string;
    readonly missing: readonly string[];
    readonly reason: string;
  }[];
  /** True when the variants disagree: a task must then name one (`name@digest`). */
  readonly conflict: boolean;
}

export interface ListSkillsResponse {
  readonly skills: readonly ApiSkillListing[];
}

/** A task as the API shows it. */
export interface ApiTask {
  readonly id: string;
  readonly title: string;
  readonly payload: unknown;
  readonly requiredCapabilities: readonly string[];
  /** The skill it asks for (its digest once the daemon resolved which manifest), or null. */
  readonly skill: { readonly name: string; readonly digest: string | null } | null;
  readonly status: TaskStatus;
  readonly tenant: string | null;
  readonly assignedAgentId: string | null;
  readonly priority: number;
  /** Assignments so far; also the fencing token an agent must present to move the task on. */
  readonly attempt: number;
  /** Attempts allowed before it fails for good (an agent going offline costs one too). */
  readonly maxAttempts: number;
  readonly leaseExpiresAt: string | null;
  readonly result: unknown;
  /** The last attempt's error (kept while a retry waits; cleared when done). */
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * The retry policy: the base backoff in ms (a failed or lost attempt goes back to parked while
   * attempts remain, waiting base·2^(attempt-1), at most an hour), or null: a failed handler ends it.
   */
  readonly retryBackoffMs: number | null;
  /**
   * When the last retry backoff ends: while the task is parked it is not assigned before this time
   * (kept afterwards as history); null when it never waited for a retry.
   */
  readonly notBefore: string | null;
  /** The idempotency key it was taken in with, or null. */
  readonly idempotencyKey: string | null;
  /** When it expires if nobody has taken it by then (status `expired`), or null: it waits as long as it takes. */
  readonly expiresAt: string | null;
}

/** One entry of a task's event log. */
export interface ApiTaskEvent {
  readonly id: number;
  readonly from: TaskStatus | null;
  readonly to: TaskStatus;
  readonly agentId: string | null;
  readonly attempt: number;
  readonly reason: string | null;
  readonly at: string;
}

/** Why a task is parked: the answer to "why is my task waiting?". */
export interface ParkedReason {
  /** Each online agent the task's tenant may use, closest first, with the required tags it lacks. */
  readonly candidates: readonly {
    readonly agentId: string;
    readonly agentName: string;
    readonly missing: readonly string[];
  }[];
  /** Required tags that no eligible online agent offers. */
  readonly unmatchedTags: readonly string[];
  /** Required tags no agent has ever advertised (likely typos), with the nearest known tag if one is close. */
  readonly neverAdvertised: readonly { readonly tag: string; readonly suggestion: string | null }[];
  /** For a task that asks for a skill: who offers it, who has it but lacks tags (absent otherwise). */
  readonly skill?:
    | {
        readonly name: string;
        readonly offeredBy: readonly string[];
        readonly declinedBy: readonly { readonly agentName: string; readonly missing: readonly string[] }[];
        /** The skill name nobody has ever offered, with the nearest known skill name if one is close. */
        readonly neverOffered: { readonly suggestion: string | null } | null;
      }
    | undefined;
}

export interface RegisterAgentRequest {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly host?: string | null;
  /** Ignored (forced) when registering with a join token: the token's tenant wins; a different value is refused. */
  readonly tenant?: string | null;
  /** The skills it offers (each one's requirements among `capabilities`). */
  readonly skills?: readonly Skill[];
  /** Skills it has a manifest for but does not offer (for "why is my task waiting?"). */
  readonly declinedSkills?: readonly DeclinedSkill[];
  /** Tasks it holds at once, 1 to `MAX_AGENT_SLOTS` (10,000); default 1. */
  readonly slots?: number;
}
export interface RegisterAgentResponse {
  readonly agent: ApiAgent;
  /** The agent's bearer token. Shown once; the daemon keeps only its hash. */
  readonly token: string;
}

export interface AgentOfflineRequest {
  /** Why, for the event log of each task handed back (e.g. `drained on SIGTERM`). */
  readonly reason?: string;
}
export interface AgentOfflineResponse {
  readonly agent: ApiAgent;
  /** Ids of its unfinished tasks, now parked again (and dispatched to other agents where possible). */
  readonly requeued: readonly string[];
  /** Ids of its unfinished tasks that had used their last attempt and are now failed. */
  readonly failed: readonly string[];
}

export interface IntakeTaskRequest {
  readonly title: string;
  /** Optional with `skill` (the skill's requirements are added), required without. */
  readonly requiredCapabilities?: readonly string[];
  /** A skill name, or `name@digest` to pick one manifest when agents disagree. */
  readonly skill?: string;
  readonly payload?: unknown;
  readonly priority?: number;
  /** With an agent token: must be the agent's own tenant (defaults to it). */
  readonly tenant?: string | null;
  /** Attempts allowed (an agent going offline costs one); not with `retries`. */
  readonly maxAttempts?: number;
  /** Automatic retries after a failed attempt (maxAttempts = retries + 1); not with `maxAttempts`. */
  readonly retries?: number;
  /** The first retry's backoff in ms, doubled per attempt (at most an hour); default the daemon's. */
  readonly retryBackoffMs?: number;
  /**
   * The caller's key (1-200 printable ASCII characters): the same key in the same tenant returns
   * the task it made (HTTP 200, `created: false`) instead of a second one; with a different
   * request it is `COLIBRI_IDEMPOTENCY_CONFLICT`.
   */
  readonly idempotencyKey?: string;
  /**
   * Expire the task if it is still parked this many seconds after intake (its reason in the event
   * log). Absent: the daemon's default (`--expire-after`, off unless set); null: never, whatever the default.
   */
  readonly expireAfterSeconds?: number | null;
}
export interface IntakeTaskResponse {
  /** False when the idempotency key had already made this task (nothing new was taken in). */
  readonly created: boolean;
  readonly task: ApiTask;
  /** Where it went, or null when parked. */
  readonly assignedTo: { readonly id: string; readonly name: string } | null;
  /** E.g. a required tag no agent has ever advertised (with a near-spelling suggestion). */
  readonly warnings: readonly string[];
}

/** `POST /v1/tasks/:id/retry`: a failed, cancelled or expired task back in line. */
export interface RetryTaskRequest {
  /** Attempts it is given from here, its automatic retries included (default 1). */
  readonly attempts?: number;
  /** Why, for the event log (default `retried by the operator`). */
  readonly reason?: string;
}

export interface TransitionTaskRequest {
  readonly to: 'running' | 'done' | 'failed' | 'cancelled' | 'parked';
  /** The fencing token; required when an agent acts. */
  readonly attempt?: number;
  readonly result?: unknown;
  readonly error?: string;
  /** The last 64 KiB of the handler's stderr, scrubbed of secrets, with `done` or `failed`. */
  readonly stderrTail?: string;
  readonly reason?: string;
}

/** `POST /v1/prune`: delete finished tasks (and their events) that finished longer ago than this. */
export interface PruneRequest {
  readonly olderThanSeconds: number;
  /** Count only; delete nothing. */
  readonly dryRun?: boolean;
}
export interface PruneResponse {
  readonly dryRun: boolean;
  /** The cutoff: tasks that finished before it were (or would be) deleted. */
  readonly finishedBefore: string;
  readonly tasks: number;
  readonly events: number;
}

/** A task attempt an agent holds (running its handler, or reporting on it). */
export interface HeldTask {
  readonly taskId: string;
  readonly attempt: number;
}

/** A held attempt that is no longer the agent's: its handler must stop, its report is refused. */
export interface RevokedTask {
  readonly taskId: string;
  readonly attempt: number;
  /** The task's status now (`cancelled`, `parked` after a re-queue, …), or null when it is gone. */
  readonly status: TaskStatus | null;
  /** Why, from the task's event log (e.g. the operator's cancel reason). */
  readonly reason: string | null;
}

/** `POST /v1/agents/:id/poll`. */
export interface PollResponse {
  /** The agent's assigned and running tasks. */
  readonly tasks: ApiTask[];
  /** The attempts given in `holding` that are no longer the agent's (empty without `holding`). */
  readonly revoked: readonly RevokedTask[];
  /**
   * Only with `claim`: the attempts this poll moved `assigned → running` for the agent (returned
   * running in `tasks`). The agent starts them without a `running` report; any other running
   * task it does not hold is not its run any more.
   */
  readonly claimed?: readonly HeldTask[];
}

/** `POST /v1/agents/:id/heartbeat`. */
export interface HeartbeatResponse {
  readonly agent: ApiAgent;
  /** The attempts given in `holding` that are no longer the agent's (empty without `holding`). */
  readonly revoked: readonly RevokedTask[];
}

export interface ShowTaskResponse {
  readonly task: ApiTask;
  readonly events: readonly ApiTaskEvent[];
  /** Present only while the task is parked. */
  readonly parked?: ParkedReason;
  /** The last 64 KiB of the handler's stderr, as its agent reported it (secrets scrubbed), or null. */
  readonly stderrTail: string | null;
}

export interface StatusResponse {
  readonly version: string;
  readonly driver: 'sqlite' | 'postgres';
  readonly uptimeSeconds: number;
  readonly agents: Readonly<Record<AgentStatus, number>>;
  readonly tasks: Readonly<Record<TaskStatus, number>>;
}

export interface JoinTokenRequest {
  readonly tenant: string;
  /** Default 3600, at most 7 days. */
  readonly ttlSeconds?: number;
}
export interface JoinTokenResponse {
  /** One-time registration token for an agent of `tenant`. Shown once. */
  readonly token: string;
  readonly tenant: string;
  readonly expiresAt: string;
}

export interface RetireAgentRequest {
  /** Why, for the agent row and for the event log of each task handed back (e.g. `jail destroyed`). */
  readonly reason: string;
}
/** What retiring did: the agent (retired; retiring again changes nothing) and the tasks it handed back. */
export type RetireAgentResponse = AgentOfflineResponse;

export interface RevokeJoinTokenRequest {
  /** The one-time join token itself (the daemon hashes it; it is never stored or logged). */
  readonly token: string;
}
export interface RevokeJoinTokenResponse {
  /** True when an unused token was made unusable; false when unknown, used or already revoked. */
  readonly revoked: boolean;
}

/** `POST /v1/spawn`: birth a jailed agent (operator, or a mother agent its spawn policy allows). */
export interface SpawnAgentRequest {
  /** The child's agent name. */
  readonly name: string;
  /** Its tenant (a registered one; its jail is the tenant's). */
  readonly tenant: string;
  /**
   * The tags it advertises; absent or null = what its probe finds inside the jail. A mother must
   * give them: its spawn policy checks every tag.
   */
  readonly capabilities?: readonly string[] | null;
}

/** `POST /v1/spawn/destroy`. */
export interface DestroyAgentRequest {
  readonly name: string;
  /** The tenant whose jail holds it; default the agent's tenant (or its name when unknown). */
  readonly tenant?: string;
}

/** How one step of a spawn or a destroy went (`skipped` = already in the wanted state). */
export interface ApiStepReport {
  readonly step: string;
  readonly status: 'done' | 'skipped' | 'failed';
  readonly durationMs: number;
  readonly detail: string;
}

/** One undo action taken after a failed spawn (in a failure's `details.rollback`). */
export interface ApiRollbackAction {
  readonly action: string;
  readonly status: 'done' | 'failed';
  readonly detail: string;
}

/** What a spawn did (the spawner's `SpawnReport`). */
export interface ApiSpawnReport {
  readonly agentName: string;
  readonly tenant: string;
  readonly jail: string;
  readonly driver: 'bastille' | 'linux';
  readonly outcome: 'spawned' | 'already-healthy' | 'repaired';
  readonly agentId: string;
  readonly steps: readonly ApiStepReport[];
}

/** What a destroy did (the spawner's `DestroyReport`). */
export interface ApiDestroyReport {
  readonly agentName: string;
  readonly tenant: string;
  readonly jail: string;
  readonly outcome: 'destroyed' | 'absent';
  readonly steps: readonly ApiStepReport[];
}

/** A tenant as the API shows it: tenant id == jail name == collection name by default (1:1:1). */
export interface ApiTenant {
  readonly tenant: string;
  /** The jail its agent runs in. */
  readonly jail: string;
  /** The Vaultwarden collection NAME its `.env` comes from; null = the tenant has no bucket (no secrets). */
  readonly collection: string | null;
  /** The collection id the vault resolved from the name and cached; null until resolved (or after a reset). */
  readonly collectionId: string | null;
  /** `pending` → `provisioned` (`.env` in place) → `active` (its agent registered), or `failed`. */
  readonly status: TenantStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One entry of a tenant's append-only event log. */
export interface ApiTenantEvent {
  readonly at: string;
  /** null for the creation event. */
  readonly from: TenantStatus | null;
  readonly to: TenantStatus;
  readonly reason: string | null;
  /** What else was recorded, e.g. `{ outcome, collectionId }` for a provision; null when nothing. */
  readonly details: Readonly<Record<string, unknown>> | null;
}

export interface RegisterTenantRequest {
  /** The tenant name (also the default jail and collection name). */
  readonly tenant: string;
  /** Default: the tenant name. */
  readonly jail?: string;
  /** Default: the tenant name; null = this tenant has no bucket (its `.env` stays absent). */
  readonly collection?: string | null;
}

export interface RecordProvisionRequest {
  readonly outcome: TenantProvisionOutcome;
  /**
   * The collection id the vault resolved, or null (no bucket, a source without ids, or a failure
   * before resolving). A non-null id that differs from the cached one is refused
   * (`COLIBRI_VAULT_COLLECTION_CHANGED`) until the operator resets it.
   */
  readonly collectionId: string | null;
  /** Why, for the event log (e.g. the failure's message). */
  readonly reason?: string;
}

export interface SetTenantStatusRequest {
  readonly status: TenantStatus;
  /** Why, for the event log (e.g. `agent acme-1 registered`). */
  readonly reason: string;
}

export interface ShowTenantResponse {
  readonly tenant: ApiTenant;
  /** Oldest first. */
  readonly events: readonly ApiTenantEvent[];
}

/** `POST /v1/board/login-codes`: what `colibri board` opens in the browser. */
export interface BoardLoginCodeResponse {
  /** The one-time code (good once, until `expiresAt`); it signs in as the caller's token would. */
  readonly code: string;
  /** Where to send the browser: `/board/login?code=…` (the board redirects to `/board` once the code is spent). */
  readonly path: string;
  readonly expiresAt: string;
}

/** Every non-2xx response body. */
export interface ErrorEnvelope {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Record<string, unknown>;
  };
}
