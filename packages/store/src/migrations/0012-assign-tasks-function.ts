import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

/**
 * `colibri_assign_tasks(…)` (PostgreSQL only): a batch of assignments (`assignTasks`) in ONE
 * autocommitted round trip instead of BEGIN, two locking reads, one UPDATE per group, the event
 * INSERT, the agents' UPDATE and COMMIT. The arrays are the inputs, one index per assignment.
 * The rows are locked as the transaction locks them (the tasks, then the agents, each ordered by
 * id), then each assignment is one compare-and-set UPDATE that holds every check of
 * `assignmentRefusal`: the task parked at the expected attempt and due (its backoff over), the
 * agent not retired, online, of the task's tenant or shared, offering every required tag and the
 * task's skill with its manifest digest. An assignment that passes writes the `assigned` event row
 * and makes an idle agent active, as the transaction does.
 *
 * It returns the assigned rows only. An assignment it refused wrote nothing: the store runs the
 * usual transaction for those, which says precisely why (or assigns if it became legal
 * meanwhile), so the rules of what is refused and the wording of the refusal stay in one place,
 * the TypeScript.
 *
 * SQLite: nothing (its store transactions are in-process: no round trips to save).
 */
export function assignTasksFunctionSchema(driver: StoreDriverName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (driver !== 'postgres') return;
      await sql`
        create function colibri_assign_tasks(
          p_task text[], p_agent text[], p_attempt integer[], p_lease timestamptz[],
          p_reason text[], p_at timestamptz[]
        ) returns setof tasks language plpgsql as $$
        declare
          i integer;
          t tasks;
        begin
          perform 1 from tasks where id = any (p_task) order by id for update;
          perform 1 from agents where id = any (p_agent) order by id for update;
          for i in 1 .. coalesce(array_length(p_task, 1), 0) loop
            update tasks set
              status = 'assigned',
              attempt = tasks.attempt + 1,
              assigned_agent_id = a.id,
              lease_expires_at = p_lease[i],
              updated_at = p_at[i]
            from agents a
            where tasks.id = p_task[i]
              and tasks.status = 'parked'
              and tasks.attempt = p_attempt[i]
              and (tasks.not_before is null or tasks.not_before <= p_at[i])
              and a.id = p_agent[i]
              and a.retired_at is null
              and a.status <> 'offline'
              and (a.tenant is null or a.tenant = tasks.tenant)
              and a.capabilities::jsonb @> tasks.required_capabilities::jsonb
              and (tasks.skill is null or a.skills::jsonb @> case
                when tasks.skill_digest is null then jsonb_build_array(jsonb_build_object('name', tasks.skill))
                else jsonb_build_array(jsonb_build_object('name', tasks.skill, 'digest', tasks.skill_digest))
              end)
            returning tasks.* into t;
            if found then
              insert into task_events (task_id, from_status, to_status, agent_id, attempt, reason, at)
                values (t.id, 'parked', 'assigned', t.assigned_agent_id, t.attempt, p_reason[i], p_at[i]);
              update agents set status = 'active' where id = t.assigned_agent_id and status = 'idle';
              return next t;
            end if;
          end loop;
        end $$`.execute(db);
    },
  };
}
