import { TERMINAL_TASK_STATUSES } from '@colibri/protocol';
import type * as v from 'valibot';
import type { pruneSchema } from './input-schemas.js';
import type { PruneCounts } from './store.js';
import type { Db, StoreContext, Trx } from './store-context.js';

type Prune = v.InferOutput<typeof pruneSchema>;

/** The statuses nothing leaves: only these are ever pruned. */
const PRUNABLE = [...TERMINAL_TASK_STATUSES];

/** How many finished tasks (and their events) finished before the cutoff: what a prune would delete. */
export async function countPrunable(
  db: Db,
  context: StoreContext,
  finishedBefore: Date,
): Promise<PruneCounts> {
  const before = context.adapter.toDbTime(finishedBefore);
  const tasks = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('status', 'in', PRUNABLE)
    .where('updated_at', '<', before)
    .executeTakeFirstOrThrow();
  const events = await db
    .selectFrom('task_events')
    .innerJoin('tasks', 'tasks.id', 'task_events.task_id')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('tasks.status', 'in', PRUNABLE)
    .where('tasks.updated_at', '<', before)
    .executeTakeFirstOrThrow();
  return Object.freeze({ tasks: Number(tasks.count), events: Number(events.count) });
}

/**
 * Deletes up to `limit` finished tasks that finished before the cutoff, oldest first, with their
 * event logs, in `trx`. A task that is not finished is never touched: the status is checked in the
 * statements themselves (and the database refuses to delete an unfinished task's events).
 */
export async function pruneFinishedTasks(
  trx: Trx,
  context: StoreContext,
  prune: Prune,
): Promise<PruneCounts> {
  const before = context.adapter.toDbTime(prune.finishedBefore);
  let query = trx
    .selectFrom('tasks')
    .select('id')
    .where('status', 'in', PRUNABLE)
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .orderBy('id')
    .limit(prune.limit);
  if (context.adapter.supportsRowLocks) query = query.forUpdate();
  const ids = (await query.execute()).map((row) => row.id);
  if (ids.length === 0) return Object.freeze({ tasks: 0, events: 0 });
  const events = await trx.deleteFrom('task_events').where('task_id', 'in', ids).executeTakeFirst();
  const tasks = await trx
    .deleteFrom('tasks')
    .where('id', 'in', ids)
    .where('status', 'in', PRUNABLE)
    .executeTakeFirst();
  return Object.freeze({ tasks: Number(tasks.numDeletedRows), events: Number(events.numDeletedRows) });
}
