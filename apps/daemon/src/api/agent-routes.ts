import {
  type ApiAgent,
  agentOfflineRequestSchema,
  type HeldTask,
  heartbeatRequestSchema,
  listAgentsQuerySchema,
  parseRequest,
  pollQuerySchema,
  pollRequestSchema,
  type RevokedTask,
  registerAgentRequestSchema,
  retireAgentRequestSchema,
  updateCapabilitiesRequestSchema,
} from '@colibri/api';
import { ColibriError } from '@colibri/errors';
import type { AgentRecord, HeldTasks, RegisterAgentInput, TaskRecord } from '@colibri/store';
import { retireAgent } from '../agents/retire-agent.js';
import { unknownToken } from '../auth/authenticator.js';
import { hashToken, newToken } from '../auth/hash-token.js';
import { prepareAgentSkills } from '../skills/skill-catalogue.js';
import { queryObject, requireOperator, requireSelfOrOperator } from './access.js';
import type { AbortWatch, ApiRoute, App, Handler } from './app.js';
import { withAgentRef } from './resolve-ref.js';
import { toApiAgent, toApiTask } from './to-api.js';

/** An agent's own poll counts as a heartbeat, written at most this often relative to TTL and lease. */
function heartbeatEveryMs(app: App): number {
  return Math.max(50, Math.floor(Math.min(app.timing.heartbeatTtlMs, app.timing.leaseMs) / 3));
}

/**
 * Re-examines parked tasks after a committed change to `agent`. The change is already stored, so a
 * dispatch failure must not turn the answer into an error (a registration's token would be lost):
 * it is logged and the safety sweep catches up. Returns how many tasks were assigned.
 */
async function reexamine(app: App, agent: AgentRecord, how: 'changed' | 'seen'): Promise<number> {
  try {
    if (how === 'seen') {
      await app.dispatcher.agentSeen(agent);
      return 0;
    }
    return await app.dispatcher.agentChanged(agent);
  } catch (error) {
    app.logger.error({ err: error, agentId: agent.id }, 'dispatch deferred to the safety sweep');
    return 0;
  }
}

/**
 * The agent as the store has it after a registration or a tag change was re-examined, with its
 * assigned + running task count. Read back from the store, not this daemon's index: with several
 * daemons on one PostgreSQL, another one may have given the agent tasks (through the change feed)
 * before this one did. The change is committed already, so a failed read falls back to what this
 * daemon knows rather than turning the answer into an error.
 */
async function settledAgent(app: App, agent: AgentRecord): Promise<ApiAgent> {
  try {
    const [fresh, counts] = await Promise.all([
      app.store.getAgent(agent.id),
      app.store.countTasksByStatus({ assignedAgentId: agent.id }),
    ]);
    // A COUNT, not a listing's length: a listing stops at its limit (1000 by default).
    return toApiAgent(fresh, counts.assigned + counts.running);
  } catch {
    return toApiAgent(agent, app.dispatcher.loadOf(agent.id));
  }
}

/**
 * One heartbeat (or a poll counting as one). An online agent holding no task is only remembered
 * ({@link App.lastSeen}: no commit; flushed in batches, leases included); an offline agent comes
 * back online, and an agent holding tasks renews its leases, through the store at once. Unknown
 * and retired agents are refused by the store.
 */
async function heartbeat(app: App, agentId: string): Promise<AgentRecord> {
  const now = app.clock();
  const known = app.dispatcher.agent(agentId);
  if (
    known !== undefined &&
    known.status !== 'offline' &&
    known.retiredAt === null &&
    app.dispatcher.loadOf(agentId) === 0
  ) {
    app.lastSeen.seen(agentId, now);
    return app.lastSeen.view(known);
  }
  const agent = await app.store.recordHeartbeat(agentId, {
    at: now,
    extendLeasesUntil: new Date(now.getTime() + app.timing.leaseMs),
  });
  app.lastSeen.persisted(agentId, now);
  await reexamine(app, agent, 'seen');
  return agent;
}

const register: Handler = async (app, { principal, body }) => {
  if (principal.kind === 'agent') {
    throw new ColibriError(
      'COLIBRI_FORBIDDEN',
      'an agent token cannot register agents: use the operator token or a one-time join token',
    );
  }
  if (principal.kind === 'unknown') {
    // Refuse a bad token before looking at the body: strangers get no validation feedback.
    const join = await app.store.findJoinToken(principal.tokenHash);
    if (join === undefined) throw unknownToken();
    if (join.revokedAt !== null || join.usedAt !== null || join.expiresAt <= app.clock()) {
      const why =
        join.revokedAt !== null ? 'was revoked' : join.usedAt !== null ? 'was already used' : 'has expired';
      throw new ColibriError(
        'COLIBRI_JOIN_TOKEN_INVALID',
        `the join token ${why}; ask the operator for a new one`,
      );
    }
  }
  const request = parseRequest(registerAgentRequestSchema, body, 'request body');
  const token = newToken();
  const tokenHash = hashToken(token);
  const input: RegisterAgentInput = {
    name: request.name,
    capabilities: request.capabilities,
    ...prepareAgentSkills(request.skills, request.declinedSkills),
    ...(request.host !== undefined ? { host: request.host } : {}),
    ...(request.tenant !== undefined ? { tenant: request.tenant } : {}),
    ...(request.slots !== undefined ? { slots: request.slots } : {}),
    tokenHash,
  };
  const agent =
    principal.kind === 'operator'
      ? await app.store.registerAgent(input)
      : await app.store.registerAgentWithJoinToken({ tokenHash: principal.tokenHash, agent: input });
  app.authenticator.remember(tokenHash, agent.id, agent.tenant);
  app.logger.info(
    {
      agentId: agent.id,
      agent: agent.name,
      tenant: agent.tenant,
      capabilities: agent.capabilities,
      skills: agent.skills.map((skill) => skill.name),
      slots: agent.slots,
      via: principal.kind === 'operator' ? 'operator' : 'join token',
    },
    'agent registered',
  );
  await reexamine(app, agent, 'changed');
  return { status: 201, body: { agent: await settledAgent(app, agent), token } };
};

const list: Handler = async (app, { principal, query }) => {
  requireOperator(principal, 'list agents');
  const filter = parseRequest(listAgentsQuerySchema, queryObject(query), 'query');
  const [agents, loads] = await Promise.all([
    app.store.listAgents({
      ...(filter.status !== undefined ? { status: filter.status } : {}),
      ...(filter.tenant !== undefined ? { tenant: filter.tenant } : {}),
      ...(filter.includeRetired !== undefined ? { includeRetired: filter.includeRetired } : {}),
    }),
    app.store.countActiveTasksByAgent(),
  ]);
  return {
    status: 200,
    body: { agents: agents.map((a) => toApiAgent(app.lastSeen.view(a), loads.get(a.id) ?? 0)) },
  };
};

const keyOf = (taskId: string, attempt: number) => `${taskId}#${attempt}`;

/**
 * The attempts in `holding` that are no longer the agent's (`current` = its assigned and running
 * tasks): cancelled, re-queued, failed by the operator, given to another agent or gone. Each with
 * the task's status now and the reason of its latest event, so the agent can say why it stopped.
 */
async function revokedOf(
  app: App,
  holding: readonly HeldTask[],
  current: readonly TaskRecord[],
): Promise<RevokedTask[]> {
  const live = new Set(current.map((task) => keyOf(task.id, task.attempt)));
  const revoked: RevokedTask[] = [];
  for (const held of holding) {
    if (live.has(keyOf(held.taskId, held.attempt))) continue;
    const task = await app.store.getTask(held.taskId).catch(() => undefined);
    const events = task === undefined ? [] : await app.store.listTaskEvents(task.id).catch(() => []);
    revoked.push({
      taskId: held.taskId,
      attempt: held.attempt,
      status: task?.status ?? null,
      reason: events.at(-1)?.reason ?? null,
    });
  }
  return revoked;
}

/** The agent's assigned and running tasks, as the store has them now. */
function heldBy(app: App, agentId: string): Promise<TaskRecord[]> {
  return app.store.listTasks({ assignedAgentId: agentId, status: ['assigned', 'running'] });
}

const beat: Handler = async (app, { principal, params, body }) => {
  const agentId = params.id!;
  requireSelfOrOperator(principal, agentId, 'send heartbeats');
  const { holding } = parseRequest(heartbeatRequestSchema, body ?? {}, 'request body');
  const agent = await heartbeat(app, agentId);
  const revoked = holding === undefined ? [] : await revokedOf(app, holding, await heldBy(app, agentId));
  return {
    status: 200,
    body: { agent: toApiAgent(agent, app.dispatcher.loadOf(agentId)), revoked },
  };
};

const capabilities: Handler = async (app, { principal, params, body }) => {
  const agentId = params.id!;
  requireSelfOrOperator(principal, agentId, 'change capabilities');
  const request = parseRequest(updateCapabilitiesRequestSchema, body, 'request body');
  let agent = await app.store.updateAgentCapabilities(
    agentId,
    request.capabilities,
    request.skills === undefined && request.declinedSkills === undefined
      ? undefined
      : prepareAgentSkills(request.skills, request.declinedSkills),
  );
  // An agent restarted with another --slots says so here, with its tags.
  if (request.slots !== undefined && request.slots !== agent.slots) {
    agent = await app.store.setAgentSlots(agentId, request.slots);
  }
  app.logger.info(
    {
      agentId,
      agent: agent.name,
      capabilities: agent.capabilities,
      skills: agent.skills.map((s) => s.name),
      slots: agent.slots,
    },
    'agent capabilities changed',
  );
  await reexamine(app, agent, 'changed');
  return { status: 200, body: { agent: await settledAgent(app, agent) } };
};

/** True when the agent's assigned/running set is not exactly the attempts it says it holds. */
function differs(tasks: readonly TaskRecord[], holding: readonly HeldTask[]): boolean {
  const held = new Set(holding.map((h) => keyOf(h.taskId, h.attempt)));
  return tasks.length !== held.size || tasks.some((task) => !held.has(keyOf(task.id, task.attempt)));
}

/**
 * The agent's assigned and running tasks. With `wait=N` (≤ 60 s) it returns as soon as the agent
 * has an assigned task, or after N seconds, or when the daemon stops. With a `holding` body (the
 * attempts the agent runs or reports on) it returns instead as soon as the agent's set differs
 * from those: a new task, or a held one cancelled, re-queued or taken away (listed in `revoked`),
 * so an agent keeps this poll open even while its slots are full and learns of a cancel at once.
 * The agent's own poll also counts as its heartbeat (renewing its leases).
 */
const poll: Handler = async (app, request) => {
  const { principal, params, query, body } = request;
  // Not `signal`: reading it makes an AbortController, and 10,000 waiting polls would hold one each.
  const abort = request.abortWatch ?? request.signal;
  const agentId = params.id!;
  requireSelfOrOperator(principal, agentId, 'poll');
  const { wait = 0 } = parseRequest(pollQuerySchema, queryObject(query), 'query');
  const { holding, claim } = parseRequest(pollRequestSchema, body ?? {}, 'request body');
  const known = app.dispatcher.agent(agentId) ?? (await app.store.getAgent(agentId));
  if (principal.kind === 'agent') {
    const last = app.lastSeen.lastSign(known).getTime();
    if (known.status === 'offline' || app.clock().getTime() - last >= heartbeatEveryMs(app)) {
      await heartbeat(app, agentId);
    }
  }
  const deadline = Date.now() + wait * 1000;
  const { waiters } = app.dispatcher;
  const settled = (tasks: readonly TaskRecord[]) =>
    holding === undefined
      ? tasks.some((t) => t.status === 'assigned') || (claim !== undefined && waiters.hasUnannounced(agentId))
      : differs(tasks, holding);
  for (;;) {
    const waiter = waiters.register(agentId, claim ?? 0);
    let tasks: TaskRecord[];
    /** What this read claimed (a claiming poll reads and claims in one store call). */
    let claimedNow: TaskRecord[] = [];
    try {
      if (claim !== undefined && !abort.aborted) {
        ({ tasks, claimed: claimedNow } = await readAndClaim(app, agentId, claim, holding));
      } else {
        tasks = await heldBy(app, agentId);
      }
      const remaining = deadline - Date.now();
      // A read that claimed answers at once: it claims only what the answer below would.
      if (
        claimedNow.length === 0 &&
        remaining > 0 &&
        !abort.aborted &&
        !app.dispatcher.waiters.closed &&
        !settled(tasks)
      ) {
        // Woken by an assignment or a task leaving the agent here or, through the change feed, by
        // another daemon; the re-read at the safety sweep's cadence only covers a feed that died
        // silently.
        await waiter.until(Math.min(remaining, app.timing.sweepIntervalMs), abort);
        continue;
      }
    } finally {
      waiter.cancel();
    }
    app.dispatcher.delivered(tasks);
    const claimed =
      claim === undefined
        ? undefined
        : await claimAssigned(app, agentId, tasks, { claim, holding, abort, claimedNow });
    const revoked = holding === undefined ? [] : await revokedOf(app, holding, tasks);
    return {
      status: 200,
      body: {
        tasks: tasks.map(toApiTask),
        revoked,
        ...(claimed === undefined ? {} : { claimed }),
      },
    };
  }
};

/**
 * A claiming poll's read: the agent's assigned and running tasks, with up to its budget of the
 * assigned ones claimed (assigned → running) in the same store call — one statement on
 * PostgreSQL instead of a read and then a claim. The budget is `claim` less the claims made for
 * the agent that it has not acknowledged (an upper bound of what the answer announces; see
 * {@link claimAssigned}, which claims the rest if that bound was too tight), and with `holding`
 * nothing is claimed while the agent's set is exactly `holding` (the poll then waits, and claims
 * when it answers).
 */
function readAndClaim(
  app: App,
  agentId: string,
  claim: number,
  holding: readonly HeldTask[] | undefined,
): Promise<HeldTasks> {
  const { waiters } = app.dispatcher;
  const held = holding && new Set(holding.map((h) => keyOf(h.taskId, h.attempt)));
  const pending = waiters.hasUnannounced(agentId) ? waiters.unannouncedCount(agentId, held) : 0;
  return app.store.claimHeldTasks({
    agentId,
    limit: Math.max(0, claim - pending),
    ...(holding === undefined ? {} : { unlessHolding: holding }),
    at: app.clock(),
  });
}

/**
 * A claiming poll (`claim: N`) answers with what was claimed for the agent: first the tasks an
 * assignment claimed while a poll of it waited (running already, one commit for intake, assignment
 * and claim) that the agent has not acknowledged yet; then, up to N in all, the assigned tasks it
 * returns, moved to running — by the poll's read (`claimedNow`, see {@link readAndClaim}) or else
 * here, in one store call whose answer replaces them in `tasks`. A poll whose client is gone
 * claims nothing more: those stay assigned for its next poll. With `holding`, each claim is
 * announced again until the agent lists it there (an answer lost on the way is not a lost run).
 */
async function claimAssigned(
  app: App,
  agentId: string,
  tasks: TaskRecord[],
  options: {
    claim: number;
    holding: readonly HeldTask[] | undefined;
    abort: AbortWatch;
    claimedNow: readonly TaskRecord[];
  },
): Promise<HeldTask[]> {
  const { waiters } = app.dispatcher;
  const held = options.holding && new Set(options.holding.map((h) => keyOf(h.taskId, h.attempt)));
  const justClaimed = new Set(options.claimedNow.map((task) => task.id));
  const running = tasks.filter((task) => task.status === 'running' && !justClaimed.has(task.id));
  const announced = waiters.hasUnannounced(agentId) ? waiters.unannounced(agentId, running, held) : [];
  const budget = options.claim - announced.length - options.claimedNow.length;
  const wanted = budget <= 0 ? [] : tasks.filter((task) => task.status === 'assigned').slice(0, budget);
  // The read's claims are committed already: recorded before the second claim, so that a store
  // failure there (the poll then answers an error) still leaves them announced to the next poll.
  recordClaims(app, agentId, options.claimedNow, held !== undefined);
  const later =
    wanted.length === 0 || options.abort.aborted
      ? []
      : await app.store.claimTasks({
          agentId,
          tasks: wanted.map((task) => ({ taskId: task.id, attempt: task.attempt })),
          at: app.clock(),
        });
  recordClaims(app, agentId, later, held !== undefined);
  const moved = [...options.claimedNow, ...later];
  if (moved.length === 0) return announced;
  const byId = new Map(later.map((task) => [task.id, task]));
  for (let i = 0; i < tasks.length; i++) tasks[i] = byId.get(tasks[i]!.id) ?? tasks[i]!;
  return [...announced, ...moved.map((task) => ({ taskId: task.id, attempt: task.attempt }))];
}

/** Counts and logs tasks a poll moved to running and, when it announces until acknowledged, remembers them. */
function recordClaims(app: App, agentId: string, claimed: readonly TaskRecord[], remember: boolean): void {
  for (const task of claimed) {
    app.metrics.taskMoved(task.status);
    app.logger.info(
      { taskId: task.id, from: 'assigned', to: task.status, attempt: task.attempt, by: `agent ${agentId}` },
      'task moved (claimed by its poll)',
    );
    if (remember) app.dispatcher.waiters.rememberClaim(agentId, task.id, task.attempt);
  }
}

/**
 * The agent stops (a draining mother): offline now instead of after its TTL, and its unfinished
 * tasks handed back in the same transaction — re-queued (or failed after their last attempt), as
 * the liveness sweep would — then dispatched to other agents. Nothing else changes; the agent's
 * next heartbeat or poll brings it back online.
 */
const offline: Handler = async (app, { principal, params, body }) => {
  const agentId = params.id!;
  requireSelfOrOperator(principal, agentId, 'go offline');
  const request = parseRequest(agentOfflineRequestSchema, body ?? {}, 'request body');
  const by = principal.kind === 'operator' ? 'the operator' : 'the agent itself';
  const reason = request.reason ?? `taken offline by ${by}`;
  const result = await app.store.markAgentOffline(agentId, { at: app.clock(), reason });
  for (const task of [...result.requeued, ...result.failed]) app.metrics.taskMoved(task.status);
  app.logger.info(
    {
      agentId,
      agent: result.agent.name,
      requeued: result.requeued.map((t) => t.id),
      failed: result.failed.map((t) => t.id),
      by,
    },
    `agent offline: ${reason}`,
  );
  try {
    await app.dispatcher.agentWentOffline(result);
  } catch (error) {
    // Committed already: the answer stays a success and the safety sweep dispatches the tasks.
    app.logger.error({ err: error, agentId }, 'dispatch deferred to the safety sweep');
  }
  return {
    status: 200,
    body: {
      agent: toApiAgent(result.agent, 0),
      requeued: result.requeued.map((t) => t.id),
      failed: result.failed.map((t) => t.id),
    },
  };
};

/**
 * Retires an agent for good (operator only): what `destroy-agent` and a rolled-back spawn do to
 * the agent they remove. Its token is refused from the next request on, it goes offline, its
 * unfinished tasks are handed back and dispatched, and its name is free for a new agent.
 */
const retire: Handler = async (app, { principal, params, body }) => {
  requireOperator(principal, 'retire agents');
  const request = parseRequest(retireAgentRequestSchema, body, 'request body');
  const result = await retireAgent(app, params.id!, request.reason, 'the operator');
  return {
    status: 200,
    body: {
      agent: toApiAgent(result.agent, 0),
      requeued: result.requeued.map((t) => t.id),
      failed: result.failed.map((t) => t.id),
    },
  };
};

/** `/v1/agents…` */
export const agentRoutes: readonly ApiRoute[] = [
  { method: 'POST', pattern: '/v1/agents', audience: ['operator', 'join'], handler: register },
  { method: 'GET', pattern: '/v1/agents', audience: ['operator'], handler: list },
  {
    method: 'POST',
    pattern: '/v1/agents/:id/heartbeat',
    audience: ['operator', 'agent'],
    handler: withAgentRef(beat),
  },
  {
    method: 'PUT',
    pattern: '/v1/agents/:id/capabilities',
    audience: ['operator', 'agent'],
    handler: withAgentRef(capabilities),
  },
  {
    method: 'POST',
    pattern: '/v1/agents/:id/poll',
    audience: ['operator', 'agent'],
    handler: withAgentRef(poll),
  },
  {
    method: 'POST',
    pattern: '/v1/agents/:id/offline',
    audience: ['operator', 'agent'],
    handler: withAgentRef(offline),
  },
  { method: 'POST', pattern: '/v1/agents/:id/retire', audience: ['operator'], handler: withAgentRef(retire) },
];
