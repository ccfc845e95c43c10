import { sql } from 'kysely';
import type * as v from 'valibot';
import { fromDbTime } from './dialect/dialect-adapter.js';
import type { expireTasksSchema, listDueExpiriesSchema } from './input-schemas.js';
import { isStoreId } from './input-schemas.js';
import { lockRows } from './row-locks.js';
import { type TaskRow, toTask } from './row-mapping.js';
import type { TaskRecord } from './store.js';
import type { Db, StoreContext, Trx } from './store-context.js';
import { applyTransition } from './tasks.js';

type ExpireTasks = v.InferOutput<typeof expireTasksSchema>;
type ListDueExpiries = v.InferOutput<typeof listDueExpiriesSchema>;

/** Parked tasks whose deadline is at or before `now`, earliest deadline first. */
export async function listDueExpiries(
  db: Db,
  context: StoreContext,
  scan: ListDueExpiries,
): Promise<TaskRecord[]> {
  const now = context.time(scan.now);
  if (context.adapter.driver === 'sqlite') {
    // Named: without statistics SQLite's planner prefers an index on status (a scan of every
    // parked task, ~90 ms behind 100,000, on each expiry tick) to the partial index made for this.
    const { rows } = await sql<TaskRow>`select * from tasks indexed by tasks_expiry
      where status = 'parked' and expires_at is not null and expires_at <= ${now}
      order by expires_at, id limit ${scan.limit}`.execute(db);
    return rows.map(toTask);
  }
  const rows = await db
    .selectFrom('tasks')
    .selectAll()
    .where('status', '=', 'parked')
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .orderBy('id')
    .limit(scan.limit)
    .execute();
  return rows.map(toTask);
}

function isDue(task: TaskRow, at: string | Date): boolean {
  return (
    task.status === 'parked' &&
    task.expires_at !== null &&
    fromDbTime(task.expires_at).getTime() <= fromDbTime(at).getTime()
  );
}

/**
 * Moves each listed task that is still parked and past its deadline to `expired`, with its reason
 * in the event log, all in `trx`. Re-checked under the lock: a task assigned or cancelled since it
 * was listed is left alone (and absent from the result), so expiry never takes a task an agent holds.
 */
export async function expireTasks(
  trx: Trx,
  context: StoreContext,
  input: ExpireTasks,
): Promise<TaskRecord[]> {
  const at = context.time(input.at);
  const ids = [...new Set(input.tasks.map((task) => task.taskId).filter(isStoreId))];
  if (ids.length === 0) return [];
  const rows = new Map((await lockRows(trx, context, 'tasks', ids)).map((row) => [row.id, row]));
  const expired: TaskRecord[] = [];
  const seen = new Set<string>();
  for (const { taskId, reason } of input.tasks) {
    const row = rows.get(taskId);
    if (row === undefined || seen.has(taskId) || !isDue(row, at)) continue;
    seen.add(taskId);
    expired.push(
      toTask(await applyTransition(trx, context, row, { to: 'expired', actorAgentId: null, reason, at })),
    );
  }
  return expired;
}
