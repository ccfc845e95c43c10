import { randomUUID } from 'node:crypto';
import { ColibriError } from '@colibri/errors';
import { AGENT_STATUSES, type AgentStatus, hasNul } from '@colibri/protocol';
import type * as v from 'valibot';
import { fromDbTime } from './dialect/dialect-adapter.js';
import type { registerAgentSchema } from './input-schemas.js';
import { lockUsableJoinToken, markJoinTokenUsed } from './join-tokens.js';
import { asList, byTenant } from './list-filters.js';
import { lockAgent } from './row-locks.js';
import { type AgentRow, countsByStatus, toAgent } from './row-mapping.js';
import type { AgentOfflineResult, AgentRecord, CountFilter, ListAgentsFilter, TaskRecord } from './store.js';
import type { Db, StoreContext, Trx } from './store-context.js';
import { agentRetired, nameTaken, tokenHashTaken } from './store-errors.js';
import { handBackTasks, refreshAgentStatus, UNFINISHED } from './tasks.js';

/** A registration as validated at the store's boundary. */
export type RegisterAgent = v.InferOutput<typeof registerAgentSchema>;

/** What a retired agent's `name` column holds: unique, and never a valid agent name (see migration 0005). */
function retiredNameOf(agentId: string): string {
  return `~retired~${agentId}`;
}

async function recordAdvertisedTags(trx: Trx, tags: readonly string[], at: string | Date): Promise<void> {
  if (tags.length === 0) return;
  await trx
    .insertInto('advertised_tags')
    .values(tags.map((tag) => ({ tag, first_advertised_at: at })))
    .onConflict((oc) => oc.column('tag').doNothing())
    .execute();
}

/**
 * Inserts a validated agent inside `trx`: refuses a taken name or token hash, and records its
 * tags as advertised. Shared by both ways to register.
 */
export async function insertAgent(
  trx: Trx,
  context: StoreContext,
  agent: RegisterAgent,
  tenant: string | null,
  lineage: { spawnedBy: string | null; spawnDepth: number } = { spawnedBy: null, spawnDepth: 0 },
): Promise<AgentRow> {
  const at = context.time(agent.at);
  const existing = await trx
    .selectFrom('agents')
    .select('id')
    .where('name', '=', agent.name)
    .executeTakeFirst();
  if (existing) throw nameTaken(agent.name);
  if (agent.tokenHash !== undefined) {
    const clash = await trx
      .selectFrom('agents')
      .select('id')
      .where('token_hash', '=', agent.tokenHash)
      .executeTakeFirst();
    if (clash) throw tokenHashTaken();
  }
  const row: AgentRow = {
    id: randomUUID(),
    name: agent.name,
    host: agent.host,
    capabilities: JSON.stringify(agent.capabilities),
    status: 'idle',
    tenant,
    registered_at: at,
    last_heartbeat_at: null,
    token_hash: agent.tokenHash ?? null,
    retired_at: null,
    retired_name: null,
    retired_reason: null,
    spawned_by: lineage.spawnedBy,
    spawn_depth: lineage.spawnDepth,
    skills: JSON.stringify(agent.skills),
    declined_skills: JSON.stringify(agent.declinedSkills),
    slots: agent.slots,
  };
  const inserted = await trx.insertInto('agents').values(row).returningAll().executeTakeFirstOrThrow();
  await recordAdvertisedTags(trx, agent.capabilities, at);
  return inserted;
}

/** Maps a unique violation that slipped past the in-transaction checks (a race on PostgreSQL). */
export function agentUniqueClash(context: StoreContext, error: unknown, name: string): unknown {
  if (error instanceof ColibriError && context.adapter.isUniqueViolation(error.cause)) {
    return /token_hash/.test((error.cause as Error).message) ? tokenHashTaken() : nameTaken(name);
  }
  return error;
}

/**
 * Registers an agent with a one-time join token: the token must be usable, forces the agent into
 * its tenant (an explicit other tenant is refused) and lineage, and is marked used in `trx`.
 */
export async function registerWithJoinToken(
  trx: Trx,
  context: StoreContext,
  registration: { tokenHash: string; agent: RegisterAgent; explicitTenant: unknown; at: string | Date },
): Promise<AgentRecord> {
  const { tokenHash, agent, explicitTenant, at } = registration;
  const token = await lockUsableJoinToken(trx, context, tokenHash, at);
  if (explicitTenant !== undefined && explicitTenant !== token.tenant) {
    throw new ColibriError(
      'COLIBRI_FORBIDDEN',
      `this join token registers agents of tenant ${token.tenant} only, not ${explicitTenant === null ? 'shared agents' : `tenant ${JSON.stringify(explicitTenant)}`}`,
      { tenant: token.tenant },
    );
  }
  const row = await insertAgent(trx, context, agent, token.tenant, {
    spawnedBy: token.spawned_by,
    spawnDepth: Number(token.spawn_depth),
  });
  await markJoinTokenUsed(trx, tokenHash, row.id, at);
  return toAgent(row);
}

export async function updateAgentCapabilities(
  trx: Trx,
  context: StoreContext,
  agentId: string,
  tags: readonly string[],
  skills?: { readonly skills: readonly unknown[]; readonly declinedSkills: readonly unknown[] },
): Promise<AgentRecord> {
  const agent = await lockAgent(trx, context, agentId);
  if (agent.retired_at !== null) throw agentRetired(agent, 'updateAgentCapabilities');
  const row = await trx
    .updateTable('agents')
    .set({
      capabilities: JSON.stringify(tags),
      ...(skills === undefined
        ? {}
        : { skills: JSON.stringify(skills.skills), declined_skills: JSON.stringify(skills.declinedSkills) }),
    })
    .where('id', '=', agentId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAdvertisedTags(trx, tags, context.time());
  return toAgent(row);
}

/** Sets how many tasks the agent holds at once (validated already). */
export async function setAgentSlots(
  trx: Trx,
  context: StoreContext,
  agentId: string,
  slots: number,
): Promise<AgentRecord> {
  const agent = await lockAgent(trx, context, agentId);
  if (agent.retired_at !== null) throw agentRetired(agent, 'setAgentSlots');
  const row = await trx
    .updateTable('agents')
    .set({ slots })
    .where('id', '=', agentId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toAgent(row);
}

/** Records a sign of life: an offline agent comes back (idle or active), leases are extended when asked. */
export async function recordHeartbeat(
  trx: Trx,
  context: StoreContext,
  agentId: string,
  options: { at?: Date; extendLeasesUntil?: Date },
): Promise<AgentRecord> {
  const at = context.time(options.at);
  const agent = await lockAgent(trx, context, agentId);
  if (agent.retired_at !== null) throw agentRetired(agent, 'recordHeartbeat');
  await trx
    .updateTable('agents')
    .set({ last_heartbeat_at: at, ...(agent.status === 'offline' ? { status: 'idle' as const } : {}) })
    .where('id', '=', agentId)
    .execute();
  if (agent.status === 'offline') await refreshAgentStatus(trx, context, agentId);
  if (options.extendLeasesUntil) {
    await trx
      .updateTable('tasks')
      .set({ lease_expires_at: context.adapter.toDbTime(options.extendLeasesUntil) })
      .where('assigned_agent_id', '=', agentId)
      .where('status', 'in', UNFINISHED)
      .execute();
  }
  return toAgent(
    await trx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirstOrThrow(),
  );
}

/**
 * Writes heartbeats a daemon kept in memory, one UPDATE per agent (and one per agent's leases):
 * `last_heartbeat_at` only moves forward, and only for online agents that are not retired — a
 * late batch never brings an agent back online (a heartbeat through `recordHeartbeat` does) nor
 * undoes a newer write. Returns how many agents' rows moved.
 */
export async function recordHeartbeats(
  trx: Trx,
  context: StoreContext,
  beats: readonly { agentId: string; at: Date; extendLeasesUntil?: Date | undefined }[],
): Promise<number> {
  let moved = 0;
  for (const beat of beats) {
    const at = context.time(beat.at);
    const result = await trx
      .updateTable('agents')
      .set({ last_heartbeat_at: at })
      .where('id', '=', beat.agentId)
      .where('status', '!=', 'offline')
      .where('retired_at', 'is', null)
      .where((eb) => eb.or([eb('last_heartbeat_at', 'is', null), eb('last_heartbeat_at', '<', at)]))
      .executeTakeFirst();
    const changed = Number(result.numUpdatedRows) > 0;
    if (changed) moved++;
    if (changed && beat.extendLeasesUntil !== undefined) {
      const until = context.adapter.toDbTime(beat.extendLeasesUntil);
      await trx
        .updateTable('tasks')
        .set({ lease_expires_at: until })
        .where('assigned_agent_id', '=', beat.agentId)
        .where('status', 'in', UNFINISHED)
        .where('lease_expires_at', '<', until)
        .execute();
    }
  }
  return moved;
}

/** The agent as it now is with the tasks handed back: the answer of `markAgentOffline` and `retireAgent`. */
async function offlineResult(
  trx: Trx,
  agentId: string,
  handedBack: { requeued: TaskRecord[]; failed: TaskRecord[] },
): Promise<AgentOfflineResult> {
  const agent = toAgent(
    await trx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirstOrThrow(),
  );
  return Object.freeze({
    agent,
    requeued: Object.freeze(handedBack.requeued),
    failed: Object.freeze(handedBack.failed),
  });
}

function unchanged(row: AgentRow): AgentOfflineResult {
  return Object.freeze({ agent: toAgent(row), requeued: Object.freeze([]), failed: Object.freeze([]) });
}

/**
 * Marks an agent offline and hands its unfinished tasks back; with `silentSince`, only if its
 * last sign of life is older (a heartbeat landing during a sweep wins).
 */
export async function markAgentOffline(
  trx: Trx,
  context: StoreContext,
  agentId: string,
  options: { at?: Date | undefined; reason?: string | undefined; silentSince?: Date | undefined },
): Promise<AgentOfflineResult> {
  const at = context.time(options.at);
  const reason = options.reason ?? 'agent went offline';
  const current = await lockAgent(trx, context, agentId);
  if (options.silentSince !== undefined) {
    const lastSign = fromDbTime(current.last_heartbeat_at ?? current.registered_at);
    if (lastSign >= options.silentSince) return unchanged(current);
  }
  await trx.updateTable('agents').set({ status: 'offline' }).where('id', '=', agentId).execute();
  return offlineResult(trx, agentId, await handBackTasks(trx, context, agentId, reason, at));
}

/** Retires an agent for good: offline, tasks handed back, token cleared, name freed. Idempotent. */
export async function retireAgent(
  trx: Trx,
  context: StoreContext,
  agentId: string,
  retire: { reason: string; at?: Date | undefined },
): Promise<AgentOfflineResult> {
  const at = context.time(retire.at);
  const current = await lockAgent(trx, context, agentId);
  if (current.retired_at !== null) return unchanged(current);
  await trx
    .updateTable('agents')
    .set({
      status: 'offline',
      token_hash: null,
      retired_at: at,
      retired_name: current.name,
      retired_reason: retire.reason,
      name: retiredNameOf(current.id),
    })
    .where('id', '=', agentId)
    .where('retired_at', 'is', null)
    .execute();
  return offlineResult(
    trx,
    agentId,
    await handBackTasks(trx, context, agentId, `agent retired: ${retire.reason}`, at),
  );
}

export async function getAgentRow(db: Db, agentId: string): Promise<AgentRow | undefined> {
  return db.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
}

export async function findAgentByTokenHash(db: Db, tokenHash: string): Promise<AgentRecord | undefined> {
  const row = await db
    .selectFrom('agents')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row ? toAgent(row) : undefined;
}

export async function findAgentByName(db: Db, name: string): Promise<AgentRecord | undefined> {
  // No name holds a NUL (they are validated), and PostgreSQL would refuse to compare one.
  if (hasNul(name)) return undefined;
  const row = await db
    .selectFrom('agents')
    .selectAll()
    .where('name', '=', name)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return row ? toAgent(row) : undefined;
}

export async function listAgents(db: Db, filter: ListAgentsFilter): Promise<AgentRecord[]> {
  // Retired agents sort by the name they had, among the others.
  let query = db
    .selectFrom('agents')
    .selectAll()
    .orderBy((eb) => eb.fn.coalesce('retired_name', 'name'))
    .orderBy('id');
  if (filter.includeRetired !== true) query = query.where('retired_at', 'is', null);
  if (filter.status !== undefined) {
    query = query.where('status', 'in', asList(filter.status));
  }
  if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
  return (await query.execute()).map(toAgent);
}

export async function countAgentsByStatus(db: Db, filter: CountFilter): Promise<Record<AgentStatus, number>> {
  let query = db
    .selectFrom('agents')
    .select(['status', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('retired_at', 'is', null)
    .groupBy('status');
  if (filter.tenant !== undefined) query = query.where(byTenant(filter.tenant));
  return countsByStatus(AGENT_STATUSES, await query.execute());
}

export async function listAdvertisedTags(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('advertised_tags').select('tag').orderBy('tag').execute();
  return rows.map((row) => row.tag);
}

/** A mother's non-retired children. */
export async function countChildren(db: Db, agentId: string): Promise<number> {
  const { count } = await db
    .selectFrom('agents')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('spawned_by', '=', agentId)
    .where('retired_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(count);
}
