import { sql } from 'kysely';
import type * as v from 'valibot';
import { type claimHeldTasksSchema, isStoreId } from './input-schemas.js';
import { type TaskRow, toTask } from './row-mapping.js';
import type { HeldTasks, TaskRecord } from './store.js';
import type { Db, StoreContext } from './store-context.js';

type ClaimHeld = v.InferOutput<typeof claimHeldTasksSchema>;

/** As many held tasks as `listTasks` returns by default. */
export const HELD_LIMIT = 1000;

const keyOf = (taskId: string, attempt: number) => `${taskId}#${attempt}`;

/** Dispatch order, as `listTasks` sorts: highest priority, then oldest, then id. */
function byDispatchOrder(a: TaskRecord, b: TaskRecord): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const age = a.createdAt.getTime() - b.createdAt.getTime();
  if (age !== 0) return age;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The distinct attempts of `holding`, as keys. */
function holdingKeys(holding: ClaimHeld['unlessHolding']): Set<string> | undefined {
  return holding === undefined ? undefined : new Set(holding.map((h) => keyOf(h.taskId, h.attempt)));
}

/**
 * SQLite (and any dialect): which of `held` (the agent's assigned and running tasks, in dispatch
 * order) to claim: up to `limit` assigned ones, none when `unlessHolding` names exactly the attempts held.
 */
export function tasksToClaim(held: readonly TaskRecord[], claim: ClaimHeld): TaskRecord[] {
  const holding = holdingKeys(claim.unlessHolding);
  if (holding !== undefined) {
    const same =
      held.length === holding.size && held.every((task) => holding.has(keyOf(task.id, task.attempt)));
    if (same) return [];
  }
  return held.filter((task) => task.status === 'assigned').slice(0, claim.limit);
}

/** `held` with each claimed task replaced by its claimed row; `claimed` in dispatch order. */
export function mergeClaimed(held: readonly TaskRecord[], claimed: readonly TaskRecord[]): HeldTasks {
  const byId = new Map(claimed.map((task) => [task.id, task]));
  return {
    tasks: held.map((task) => byId.get(task.id) ?? task),
    claimed: [...claimed].sort(byDispatchOrder),
  };
}

/**
 * PostgreSQL: a claiming poll's read and claim in ONE autocommitted statement instead of a read
 * then BEGIN/UPDATE/INSERT/COMMIT (or the one-statement claim): the agent's assigned and running
 * tasks (`held`, one snapshot), of which up to `limit` assigned ones in dispatch order are moved
 * by the same compare-and-set UPDATE on status, agent and attempt as `claimTasks` (a row changed
 * meanwhile by another transaction is checked again on its newest version, READ COMMITTED), with
 * the `running` event rows of exactly the rows it moved — unless `unlessHolding` names exactly
 * the attempts held. Returns the held tasks with the claimed ones as claimed, and whether it
 * claimed any (so the store counts a commit only then).
 */
export async function claimHeldTasksStatement(
  db: Db,
  context: StoreContext,
  claim: ClaimHeld,
): Promise<HeldTasks> {
  if (!isStoreId(claim.agentId)) return { tasks: [], claimed: [] };
  const at = context.time(claim.at);
  const holding = claim.unlessHolding === undefined ? undefined : [...holdingKeys(claim.unlessHolding)!];
  const ids = holding?.map((key) => key.slice(0, key.lastIndexOf('#'))) ?? [];
  const attempts = holding?.map((key) => Number(key.slice(key.lastIndexOf('#') + 1))) ?? [];
  const { rows } = await sql<TaskRow & { claimed: boolean }>`
    with held as (
      select * from tasks
      where assigned_agent_id = ${claim.agentId}::text and status in ('assigned', 'running')
      order by priority desc, created_at asc, id asc
      limit ${HELD_LIMIT}::integer
    ), wanted as (
      select id, attempt from held
      where status = 'assigned'
        and (not ${holding !== undefined}::boolean
          or (select count(*) from held) <> ${ids.length}::integer
          or exists (
            select 1 from held h where not exists (
              select 1 from unnest(${ids}::text[], ${attempts}::integer[]) as k(id, attempt)
              where k.id = h.id and k.attempt = h.attempt)))
      order by priority desc, created_at asc, id asc
      limit ${claim.limit}::integer
    ), claimed as (
      update tasks set status = 'running', updated_at = ${at}::timestamptz
      from wanted
      where tasks.id = wanted.id and tasks.attempt = wanted.attempt
        and tasks.status = 'assigned' and tasks.assigned_agent_id = ${claim.agentId}::text
      returning tasks.*
    ), events as (
      insert into task_events (task_id, from_status, to_status, agent_id, attempt, reason, at)
      select id, 'assigned', 'running', ${claim.agentId}::text, attempt, null::text, ${at}::timestamptz from claimed
    )
    select claimed.*, true as claimed from claimed
    union all
    select held.*, false as claimed from held where not exists (select 1 from claimed where claimed.id = held.id)`.execute(
    db,
  );
  const tasks: TaskRecord[] = [];
  const claimed: TaskRecord[] = [];
  for (const { claimed: moved, ...row } of rows) {
    const task = toTask(row as TaskRow);
    tasks.push(task);
    if (moved) claimed.push(task);
  }
  return { tasks: tasks.sort(byDispatchOrder), claimed: claimed.sort(byDispatchOrder) };
}
