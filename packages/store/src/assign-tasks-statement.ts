import { sql } from 'kysely';
import type * as v from 'valibot';
import { type assignTaskSchema, isStoreId } from './input-schemas.js';
import { type TaskRow, toTask } from './row-mapping.js';
import type { TaskRecord } from './store.js';
import type { Db, StoreContext } from './store-context.js';

type AssignTask = v.InferOutput<typeof assignTaskSchema>;

/**
 * PostgreSQL: a batch of assignments in one autocommitted statement (`colibri_assign_tasks`,
 * migration 0012) instead of a transaction of about seven round trips. Returns, by input index,
 * the task as assigned for every assignment the function made; the indexes it leaves out wrote
 * nothing, and the caller runs the usual transaction for them, which says why each is refused.
 * A task named twice is assigned at most once (its first input), as in the transaction.
 * Returns undefined when it assigned nothing (so the store counts no commit).
 */
export async function assignTasksStatement(
  db: Db,
  context: StoreContext,
  assignments: readonly AssignTask[],
): Promise<Map<number, TaskRecord> | undefined> {
  const indexes = assignments.flatMap((a, i) => (isStoreId(a.taskId) && isStoreId(a.agentId) ? [i] : []));
  if (indexes.length === 0) return undefined;
  const pick = <T>(of: (a: AssignTask) => T) => indexes.map((i) => of(assignments[i]!));
  const { rows } = await sql<TaskRow>`select * from colibri_assign_tasks(
    ${pick((a) => a.taskId)}::text[], ${pick((a) => a.agentId)}::text[],
    ${pick((a) => a.expectedAttempt)}::integer[],
    ${pick((a) => context.adapter.toDbTime(a.leaseExpiresAt))}::timestamptz[],
    ${pick((a) => a.reason ?? null)}::text[], ${pick((a) => context.time(a.at))}::timestamptz[])`.execute(db);
  if (rows.length === 0) return undefined;
  const byId = new Map(rows.map((row) => [row.id, row]));
  const out = new Map<number, TaskRecord>();
  for (const i of indexes) {
    const row = byId.get(assignments[i]!.taskId);
    if (row === undefined) continue;
    // The first input naming the task is the one assigned; a later one is refused by the transaction.
    byId.delete(row.id);
    out.set(i, toTask(row));
  }
  return out;
}
