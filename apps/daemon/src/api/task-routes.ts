import {
  intakeTaskRequestSchema,
  listTasksQuerySchema,
  parseRequest,
  retryTaskRequestSchema,
  transitionTaskRequestSchema,
} from '@colibri/api';
import { ColibriError, isColibriError } from '@colibri/errors';
import type { TaskRecord } from '@colibri/store';
import type * as v from 'valibot';
import type { Principal } from '../auth/authenticator.js';
import { type ResolvedSkill, resolveSkill, validateSkillPayload } from '../skills/skill-catalogue.js';
import { canRead, queryObject, requireOperator, visibleTasks } from './access.js';
import type { ApiRoute, App, Handler, Reply } from './app.js';
import { withTaskRef } from './resolve-ref.js';
import { toApiTask, toApiTaskEvent } from './to-api.js';

function actor(principal: Principal): string {
  return principal.kind === 'agent' ? `agent ${principal.agentId}` : 'operator';
}

function tenantOf(principal: Principal, requested: string | null | undefined): string | null {
  if (principal.kind !== 'agent') return requested ?? null;
  if (requested === undefined || requested === principal.tenant) return principal.tenant;
  throw new ColibriError(
    'COLIBRI_FORBIDDEN',
    principal.tenant === null
      ? 'a shared agent may only take in tasks without a tenant'
      : `an agent of tenant ${principal.tenant} may only take in tasks of tenant ${principal.tenant}`,
    { tenant: principal.tenant },
  );
}

/**
 * The attempt budget and retry policy of an intake: `retries` N means N + 1 attempts with a retry
 * policy; `retryBackoffMs` alone turns the policy on for the default 3 attempts; neither takes the
 * daemon's `--task-retries` (none by default: no policy, a failed handler ends the task).
 */
function retryPolicy(
  app: App,
  request: Pick<v.InferOutput<typeof intakeTaskRequestSchema>, 'retries' | 'maxAttempts' | 'retryBackoffMs'>,
): { maxAttempts?: number; retryBackoffMs: number | null } {
  if (request.retries !== undefined && request.maxAttempts !== undefined) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      'request body: retries and maxAttempts: give one (retries N allows N + 1 attempts)',
      { field: 'retries' },
    );
  }
  const retries =
    request.retries ??
    (request.maxAttempts === undefined && request.retryBackoffMs === undefined
      ? app.taskDefaults.retries
      : undefined);
  const policy = retries !== undefined || request.retryBackoffMs !== undefined;
  const maxAttempts = retries !== undefined ? retries + 1 : request.maxAttempts;
  return {
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    retryBackoffMs: policy ? (request.retryBackoffMs ?? app.taskDefaults.retryBackoffMs) : null,
  };
}

const intake: Handler = async (app, { principal, body }) => {
  const request = parseRequest(intakeTaskRequestSchema, body, 'request body');
  const tenant = tenantOf(principal, request.tenant);
  if (request.requiredCapabilities === undefined && request.skill === undefined) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      'request body: requiredCapabilities: required (a list of tags, possibly empty), unless the task names a skill',
      { field: 'requiredCapabilities' },
    );
  }
  let skill: ResolvedSkill | null = null;
  let requiredCapabilities = request.requiredCapabilities ?? [];
  if (request.skill !== undefined) {
    // Only the agents this task may reach define the skill for it: its tenant's and the shared ones.
    const reachable = (await app.store.listAgents()).filter(
      (agent) => agent.tenant === null || agent.tenant === tenant,
    );
    skill = resolveSkill(request.skill, reachable);
    validateSkillPayload(skill, reachable, request.payload);
    requiredCapabilities = [...new Set([...requiredCapabilities, ...skill.requiredCapabilities])];
  }
  // Its own expiry, or the daemon's default; null asks for none whatever the default.
  const expireAfterMs =
    request.expireAfterSeconds === undefined
      ? app.expireAfterMs
      : request.expireAfterSeconds === null
        ? undefined
        : request.expireAfterSeconds * 1000;
  const at = app.clock();
  // Taken in and, when an agent qualifies, assigned in the same transaction (one commit).
  const { task, created, assignError } = await app.dispatcher.intake({
    title: request.title,
    requiredCapabilities,
    ...(skill === null ? {} : { skill: { name: skill.name, digest: skill.digest } }),
    tenant,
    ...(request.payload !== undefined ? { payload: request.payload } : {}),
    ...(request.priority !== undefined ? { priority: request.priority } : {}),
    ...retryPolicy(app, request),
    ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
    ...(expireAfterMs === undefined ? {} : { expiresAt: new Date(at.getTime() + expireAfterMs) }),
    at,
  });
  if (!created) {
    // A repeat of an intake that already happened (a client retrying): its task as it is now, nothing new.
    app.logger.info(
      { taskId: task.id, tenant, by: actor(principal) },
      'task intake repeated (idempotency key)',
    );
    const agentId = task.assignedAgentId;
    const assignedTo =
      agentId === null ? null : { id: agentId, name: app.dispatcher.agent(agentId)?.name ?? agentId };
    return { status: 200, body: { created: false, task: toApiTask(task), assignedTo, warnings: [] } };
  }
  app.logger.info(
    {
      taskId: task.id,
      tenant,
      requiredCapabilities: task.requiredCapabilities,
      skill: task.skill?.name ?? null,
      priority: task.priority,
      expiresAt: task.expiresAt?.toISOString() ?? null,
      by: actor(principal),
    },
    'task accepted',
  );
  const warnings = (await app.dispatcher.neverAdvertised(task.requiredCapabilities)).map(
    ({ tag, suggestion }) =>
      `required tag "${tag}" has never been advertised by any agent${suggestion === null ? '' : ` (did you mean "${suggestion}"?)`}; the task stays parked until an agent offers it`,
  );
  if (skill !== null && skill.digest === null) {
    warnings.push(
      `no agent offers skill "${skill.name}" yet: its payload is not checked and the task stays parked until an agent offering it joins`,
    );
  }
  if (assignError !== undefined) {
    // The task is committed: answer 201 (a retry would duplicate it); the safety sweep assigns it later.
    app.logger.error({ err: assignError, taskId: task.id }, 'assignment deferred after intake');
    warnings.push(`assignment was deferred (${assignError.message}); the task is parked and will be retried`);
  }
  const assignedTo =
    task.assignedAgentId === null
      ? null
      : {
          id: task.assignedAgentId,
          name: app.dispatcher.agent(task.assignedAgentId)?.name ?? task.assignedAgentId,
        };
  if (assignedTo === null)
    app.logger.info({ taskId: task.id }, 'task parked: no online agent has every required tag');
  return { status: 201, body: { created: true, task: toApiTask(task), assignedTo, warnings } };
};

const list: Handler = async (app, { principal, query }) => {
  const filter = parseRequest(listTasksQuerySchema, queryObject(query), 'query');
  const visible = visibleTasks(principal);
  if (visible.tenant !== undefined && filter.tenant !== undefined && filter.tenant !== visible.tenant) {
    throw new ColibriError(
      'COLIBRI_FORBIDDEN',
      `an agent of tenant ${visible.tenant} may only list tasks of tenant ${visible.tenant}`,
      { tenant: visible.tenant },
    );
  }
  const tasks = await app.store.listTasks({
    ...(filter.status !== undefined ? { status: filter.status } : {}),
    ...(filter.tenant !== undefined ? { tenant: filter.tenant } : {}),
    ...visible,
    ...(filter.limit !== undefined ? { limit: filter.limit } : {}),
  });
  // The store filter is the rule; this re-check keeps a list from ever outgrowing a read.
  return { status: 200, body: { tasks: tasks.filter((t) => canRead(principal, t)).map(toApiTask) } };
};

function forbiddenTask(taskId: string): ColibriError {
  return new ColibriError(
    'COLIBRI_FORBIDDEN',
    `task ${taskId} is neither assigned to this agent nor of its tenant`,
    { taskId },
  );
}

const show: Handler = async (app, { principal, params }) => {
  const task = await app.store.getTask(params.id!);
  if (!canRead(principal, task)) throw forbiddenTask(task.id);
  const events = await app.store.listTaskEvents(task.id);
  return {
    status: 200,
    body: {
      task: toApiTask(task),
      events: events.map(toApiTaskEvent),
      ...(task.status === 'parked' ? { parked: await app.dispatcher.explain(task) } : {}),
      stderrTail: task.stderrTail,
    },
  };
};

async function checkAgentMayMove(
  app: App,
  agentId: string,
  task: TaskRecord,
  attempt: number,
): Promise<void> {
  if (task.assignedAgentId === agentId && task.status === 'cancelled') {
    // Cancelled under the agent: the attempt it holds is over, so its late report is refused as
    // stale, never applied, and the agent drops the work.
    throw new ColibriError(
      'COLIBRI_STALE_ATTEMPT',
      `task ${task.id} was cancelled while this agent held attempt ${attempt}: that attempt is over; drop the work`,
      { taskId: task.id, attempt: task.attempt, presentedAttempt: attempt, status: task.status },
    );
  }
  if (task.assignedAgentId === agentId) return;
  const events = await app.store.listTaskEvents(task.id);
  if (events.some((e) => e.to === 'assigned' && e.agentId === agentId)) {
    throw new ColibriError(
      'COLIBRI_STALE_ATTEMPT',
      `task ${task.id} is no longer this agent's (it is ${task.status}, attempt ${task.attempt}): its lease was taken away; drop the work`,
      { taskId: task.id, attempt: task.attempt },
    );
  }
  throw forbiddenTask(task.id);
}

/** What the store refuses when an agent's report does not fit the task: the full check then says why. */
const REFUSED_REPORT = [
  'COLIBRI_STALE_ATTEMPT',
  'COLIBRI_NOT_ASSIGNED_TO_AGENT',
  'COLIBRI_ILLEGAL_TRANSITION',
  'COLIBRI_TASK_NOT_FOUND',
  'COLIBRI_INVALID_INPUT',
] as const;

/**
 * An agent's report on the task it holds, straight to the store, whose compare-and-set on agent
 * and attempt is the whole check (no read first: one round trip less on PostgreSQL). Undefined
 * when the store refused it (nothing changed): the caller then reads the task and answers why.
 */
async function reportMove(
  app: App,
  taskId: string,
  agentId: string,
  request: v.InferOutput<typeof transitionTaskRequestSchema>,
): Promise<TaskRecord | undefined> {
  if (request.attempt === undefined) return undefined;
  try {
    return await app.store.transitionTask({
      taskId,
      to: request.to,
      agentId,
      attempt: request.attempt,
      ...(request.result !== undefined ? { result: request.result } : {}),
      ...(request.error !== undefined ? { error: request.error } : {}),
      ...(request.stderrTail !== undefined ? { stderrTail: request.stderrTail } : {}),
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
      at: app.clock(),
    });
  } catch (error) {
    if (REFUSED_REPORT.some((code) => isColibriError(error, code))) return undefined;
    throw error;
  }
}

const transition: Handler = async (app, { principal, params, body }) => {
  const request = parseRequest(transitionTaskRequestSchema, body, 'request body');
  if (principal.kind === 'agent') {
    const after = await reportMove(app, params.id!, principal.agentId, request);
    if (after !== undefined) {
      // It held the task (assigned or running: nothing else moves with its agent and attempt).
      return moved(
        app,
        principal,
        { id: after.id, assignedAgentId: principal.agentId, attempt: after.attempt },
        after,
        principal.agentId,
      );
    }
  }
  const before = await app.store.getTask(params.id!);
  let agentId: string | undefined;
  if (principal.kind === 'agent') {
    if (request.attempt === undefined) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        'request body: attempt is required when an agent moves its task (the attempt from poll is its fencing token)',
        { field: 'attempt' },
      );
    }
    await checkAgentMayMove(app, principal.agentId, before, request.attempt);
    agentId = principal.agentId;
  }
  const after = await app.store.transitionTask({
    taskId: before.id,
    to: request.to,
    ...(agentId !== undefined ? { agentId } : {}),
    ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
    ...(request.result !== undefined ? { result: request.result } : {}),
    ...(request.error !== undefined ? { error: request.error } : {}),
    ...(request.stderrTail !== undefined ? { stderrTail: request.stderrTail } : {}),
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    at: app.clock(),
  });
  const held = before.status === 'assigned' || before.status === 'running';
  return moved(app, principal, held ? before : undefined, after, agentId, before.status);
};

/**
 * The bookkeeping of a committed move: metrics, the held slot freed (and refilled) when the task
 * left its agent, the log line, and a task back in parked dispatched again. `held` is the task as
 * its agent held it (assigned or running), or undefined when it was not held.
 */
async function moved(
  app: App,
  principal: Principal,
  held: Pick<TaskRecord, 'id' | 'assignedAgentId' | 'attempt'> | undefined,
  after: TaskRecord,
  agentId: string | undefined,
  from?: TaskRecord['status'],
): Promise<Reply> {
  app.metrics.taskMoved(after.status);
  const before = held;
  if (before !== undefined && before.assignedAgentId !== null && after.status !== 'running') {
    // Taken from the agent by someone else (a cancel): its open long poll answers now, so the
    // agent kills the handler within a second instead of at its next heartbeat.
    if (agentId === undefined) app.dispatcher.waiters.wake(before.assignedAgentId);
    try {
      // Its slot is free: the next parked task it can run is given to it now.
      await app.dispatcher.taskLeft(before.assignedAgentId, before.id, before.attempt);
    } catch (error) {
      // The move is committed: the answer stays a success and the safety sweep fills the slot.
      app.logger.error(
        { err: error, agentId: before.assignedAgentId },
        'dispatch deferred to the safety sweep',
      );
    }
  }
  app.logger.info(
    {
      taskId: after.id,
      ...(from !== undefined ? { from } : {}),
      to: after.status,
      attempt: after.attempt,
      by: actor(principal),
    },
    'task moved',
  );
  if (after.status !== 'parked') app.dispatcher.taskNotParked(after.id);
  const final = after.status === 'parked' ? await app.dispatcher.dispatch(after) : after;
  return { status: 200, body: { task: toApiTask(final) } };
}

/** A failed, cancelled or expired task back in line (operator only): parked with more attempts, then dispatched. */
const retry: Handler = async (app, { principal, params, body }) => {
  requireOperator(principal, 'retry tasks');
  const request = parseRequest(retryTaskRequestSchema, body ?? {}, 'request body');
  const task = await app.store.retryTask({
    taskId: params.id!,
    ...(request.attempts !== undefined ? { attempts: request.attempts } : {}),
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    at: app.clock(),
  });
  app.metrics.taskMoved(task.status);
  app.logger.info(
    { taskId: task.id, attempt: task.attempt, maxAttempts: task.maxAttempts, by: actor(principal) },
    'task retried',
  );
  let final = task;
  try {
    final = await app.dispatcher.dispatch(task);
  } catch (error) {
    app.logger.error({ err: error, taskId: task.id }, 'assignment deferred after retry');
  }
  return { status: 200, body: { task: toApiTask(final) } };
};

/** `/v1/tasks…` */
export const taskRoutes: readonly ApiRoute[] = [
  { method: 'POST', pattern: '/v1/tasks', audience: ['operator', 'agent'], handler: intake },
  { method: 'GET', pattern: '/v1/tasks', audience: ['operator', 'agent'], handler: list },
  { method: 'GET', pattern: '/v1/tasks/:id', audience: ['operator', 'agent'], handler: withTaskRef(show) },
  {
    method: 'POST',
    pattern: '/v1/tasks/:id/transition',
    audience: ['operator', 'agent'],
    handler: withTaskRef(transition),
  },
  { method: 'POST', pattern: '/v1/tasks/:id/retry', audience: ['operator'], handler: withTaskRef(retry) },
];
