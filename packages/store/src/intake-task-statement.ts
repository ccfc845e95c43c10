import { sql } from 'kysely';
import type * as v from 'valibot';
import { assignTaskSchema, type intakeTaskSchema, parseInput } from './input-schemas.js';
import { type TaskRow, toTask } from './row-mapping.js';
import type { IntakeAssignment, IntakeOutcome, TaskRecord } from './store.js';
import type { Db, StoreContext } from './store-context.js';
import { findByIdempotencyKey, newTaskRow, repeatedIntake } from './tasks.js';

type IntakeTask = v.InferOutput<typeof intakeTaskSchema>;

/**
 * PostgreSQL: an intake, and its assignment when `choose` picks an agent, in ONE autocommitted
 * statement instead of a transaction of eight or nine round trips. Every effect of
 * `intakeTaskOnce` + `assignTask` is kept, and every check:
 * - the agent's row is locked (FOR UPDATE) and re-checked against the task exactly as
 *   `ineligibility` does (not retired, online, the tenant rule, every required tag, the skill
 *   with its manifest digest); an agent that fails it leaves the task parked, as a refused
 *   assignment does in the transaction (the dispatcher then assigns it the usual way);
 * - the event log gets the `intake` row and, when assigned, the `assigned` row after it, and
 *   when the assignment is `claimed` (the agent's claiming poll waits for it) the task goes on to
 *   `running` with the `running` row after that, as the transaction does;
 * - an idle agent becomes active;
 * - an idempotency key already used is met by the unique index (ON CONFLICT DO NOTHING, which
 *   also waits for a concurrent intake of the same key): no row comes back, and the task that key
 *   made is read and answered as a repeat (or a conflict), as `intakeTaskOnce` does; a key is
 *   looked up first, so a repeat is answered without asking `choose`.
 * `choose` is asked before the statement, with the task as it will be taken in (parked, attempt 0).
 */
export async function intakeTaskStatement(
  db: Db,
  context: StoreContext,
  task: IntakeTask,
  choose: (task: TaskRecord) => IntakeAssignment | undefined,
): Promise<IntakeOutcome> {
  const key = task.idempotencyKey;
  if (key !== null) {
    // A key seen before is answered without choosing anybody (one read; a race past it meets the index).
    const existing = await findByIdempotencyKey(db, task.tenant, key);
    if (existing !== undefined) return repeatedIntake(existing, task);
  }
  const at = context.time(task.at);
  const row = newTaskRow(context, task, at);
  const choice = choose(toTask(row));
  const assignment =
    choice === undefined
      ? undefined
      : parseInput(
          assignTaskSchema,
          { ...choice, taskId: row.id, expectedAttempt: row.attempt },
          'intakeTaskAndAssign',
        );
  const assignAt = assignment === undefined ? at : context.time(assignment.at);
  const lease = assignment === undefined ? null : context.adapter.toDbTime(assignment.leaseExpiresAt);
  // What the agent must offer: the task's skill, with the manifest digest the task was validated against.
  const skillNeed = JSON.stringify(
    row.skill === null
      ? []
      : [row.skill_digest === null ? { name: row.skill } : { name: row.skill, digest: row.skill_digest }],
  );
  const assigned = sql`exists (select 1 from agent)`;
  const assignedStatus = assignment?.claimed === true ? 'running' : 'assigned';
  const values: Record<string, unknown> = {
    ...row,
    status: sql`case when ${assigned} then ${assignedStatus}::text else 'parked' end`,
    attempt: sql`case when ${assigned} then ${row.attempt + 1}::integer else ${row.attempt}::integer end`,
    assigned_agent_id: sql`(select id from agent)`,
    lease_expires_at: sql`case when ${assigned} then ${lease}::timestamptz end`,
    updated_at: sql`case when ${assigned} then ${assignAt}::timestamptz else ${at}::timestamptz end`,
  };
  const columns = Object.keys(values);
  const { rows } = await sql<TaskRow>`
    with agent as (
      select id from agents
      where id = ${assignment?.agentId ?? null}::text
        and retired_at is null and status <> 'offline'
        and (tenant is null or tenant = ${row.tenant}::text)
        and capabilities::jsonb @> ${row.required_capabilities}::jsonb
        and skills::jsonb @> ${skillNeed}::jsonb
      for update
    ), task as (
      insert into tasks (${sql.join(columns.map((column) => sql.ref(column)))})
      values (${sql.join(columns.map((column) => values[column]))})
      on conflict ((coalesce(tenant, '')), idempotency_key) where idempotency_key is not null do nothing
      returning *
    ), events as (
      insert into task_events (task_id, from_status, to_status, agent_id, attempt, reason, at)
      select id, null, 'parked', null, ${row.attempt}::integer, 'intake', ${at}::timestamptz from task
      union all
      select id, 'parked', 'assigned', assigned_agent_id, attempt, ${assignment?.reason ?? null}::text, updated_at
      from task where status in ('assigned', 'running')
      union all
      select id, 'assigned', 'running', assigned_agent_id, attempt, null::text, updated_at
      from task where status = 'running'
    ), activate as (
      update agents set status = 'active' from task
      where agents.id = task.assigned_agent_id and agents.status = 'idle'
    )
    select * from task`.execute(db);
  const inserted = rows[0];
  if (inserted !== undefined) return { task: toTask(inserted), created: true };
  // No row: the key was taken meanwhile (by a concurrent intake we waited for).
  const existing = key === null ? undefined : await findByIdempotencyKey(db, task.tenant, key);
  if (existing === undefined) throw new Error('intake: the insert returned no row and no task holds its key');
  return repeatedIntake(existing, task);
}
