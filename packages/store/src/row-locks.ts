import { hasNul } from '@colibri/protocol';
import { isStoreId } from './input-schemas.js';
import type { AgentRow, JoinTokenRow, TaskRow, TenantRow } from './row-mapping.js';
import type { StoreContext, Trx } from './store-context.js';
import { agentNotFound, taskNotFound, tenantNotFound } from './store-errors.js';

/*
 * Reads one row for a change inside `trx`, locked until commit where the dialect can (`FOR
 * UPDATE` on PostgreSQL; on SQLite `BEGIN IMMEDIATE` already holds the whole-database write lock).
 */

export async function lockTask(trx: Trx, context: StoreContext, taskId: string): Promise<TaskRow> {
  if (!isStoreId(taskId)) throw taskNotFound(taskId);
  const hot = context.adapter.hotPath;
  if (hot !== undefined) {
    const row = hot.selectById<TaskRow>('tasks', taskId);
    if (!row) throw taskNotFound(taskId);
    return row;
  }
  let query = trx.selectFrom('tasks').selectAll().where('id', '=', taskId);
  if (context.adapter.supportsRowLocks) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw taskNotFound(taskId);
  return row;
}

export async function lockAgent(trx: Trx, context: StoreContext, agentId: string): Promise<AgentRow> {
  if (!isStoreId(agentId)) throw agentNotFound(agentId);
  const hot = context.adapter.hotPath;
  if (hot !== undefined) {
    const row = hot.selectById<AgentRow>('agents', agentId);
    if (!row) throw agentNotFound(agentId);
    return row;
  }
  let query = trx.selectFrom('agents').selectAll().where('id', '=', agentId);
  if (context.adapter.supportsRowLocks) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw agentNotFound(agentId);
  return row;
}

export async function lockTenant(trx: Trx, context: StoreContext, tenantId: string): Promise<TenantRow> {
  if (hasNul(tenantId)) throw tenantNotFound(tenantId);
  let query = trx.selectFrom('tenants').selectAll().where('tenant_id', '=', tenantId);
  if (context.adapter.supportsRowLocks) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw tenantNotFound(tenantId);
  return row;
}

/** A join token's row, locked; undefined when there is none. */
export async function lockJoinToken(
  trx: Trx,
  context: StoreContext,
  tokenHash: string,
): Promise<JoinTokenRow | undefined> {
  let query = trx.selectFrom('join_tokens').selectAll().where('token_hash', '=', tokenHash);
  if (context.adapter.supportsRowLocks) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Several tasks' or agents' rows by id, locked (in one statement); absent ids are simply missing. */
export async function lockRows<T extends 'tasks' | 'agents'>(
  trx: Trx,
  context: StoreContext,
  table: T,
  ids: readonly string[],
): Promise<(T extends 'tasks' ? TaskRow : AgentRow)[]> {
  // Locked in id order: two batches touching the same rows take their locks in the same order.
  let query = trx
    .selectFrom(table as 'tasks')
    .selectAll()
    .where('id', 'in', [...ids])
    .orderBy('id');
  if (context.adapter.supportsRowLocks) query = query.forUpdate();
  return (await query.execute()) as never;
}
