import { sql } from 'kysely';
import type * as v from 'valibot';
import { type claimTasksSchema, isStoreId } from './input-schemas.js';
import { type TaskRow, toTask } from './row-mapping.js';
import type { TaskRecord } from './store.js';
import type { Db, StoreContext } from './store-context.js';

type ClaimTasks = v.InferOutput<typeof claimTasksSchema>;

/**
 * PostgreSQL: a claiming poll's claim (`assigned → running` for the agent's tasks at the given
 * attempts) in ONE autocommitted statement instead of BEGIN, UPDATE, INSERT and COMMIT: the
 * same compare-and-set UPDATE on status, agent and attempt as `claimTasks`, and the `running`
 * event rows of exactly the rows it moved, in a data-modifying CTE. Returns the claimed tasks in
 * the order asked, or undefined when it claimed none (nothing written, no commit counted).
 */
export async function claimTasksStatement(
  db: Db,
  context: StoreContext,
  claim: ClaimTasks,
): Promise<TaskRecord[] | undefined> {
  const wanted = claim.tasks.filter((task) => isStoreId(task.taskId));
  if (wanted.length === 0 || !isStoreId(claim.agentId)) return undefined;
  const at = context.time(claim.at);
  const { rows } = await sql<TaskRow>`
    with claimed as (
      update tasks set status = 'running', updated_at = ${at}::timestamptz
      from unnest(${wanted.map((t) => t.taskId)}::text[], ${wanted.map((t) => t.attempt)}::integer[]) as w(id, attempt)
      where tasks.status = 'assigned' and tasks.assigned_agent_id = ${claim.agentId}::text
        and tasks.id = w.id and tasks.attempt = w.attempt
      returning tasks.*
    ), events as (
      insert into task_events (task_id, from_status, to_status, agent_id, attempt, reason, at)
      select id, 'assigned', 'running', ${claim.agentId}::text, attempt, null::text, ${at}::timestamptz from claimed
    )
    select * from claimed`.execute(db);
  if (rows.length === 0) return undefined;
  const order = new Map(wanted.map((task, i) => [task.taskId, i]));
  return rows.map(toTask).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}
