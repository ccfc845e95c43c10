import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

/**
 * `colibri_move_task(…)` (PostgreSQL only): an agent's or the operator's report — running, done,
 * failed without a retry policy, cancelled — in ONE round trip, autocommitted, with every effect
 * of the store's transaction for it (`applyTransition`): the row locked, the compare-and-set on
 * status (one of `p_from`, the legal sources), agent and attempt (the fencing token), the event
 * row, and the agent's idle/active status recounted when the task leaves it. Each statement takes
 * a fresh snapshot (READ COMMITTED), as the transaction's statements do.
 *
 * It returns the moved row, or no row when anything is not as expected (no such task, an illegal
 * or stale move, another agent's task, a retry policy to apply): it then wrote nothing, and the
 * store runs its usual transaction, which says precisely why (or applies the move if it became
 * legal meanwhile). The rules of what is refused stay in one place, the TypeScript.
 *
 * SQLite: nothing (its store transactions are in-process: no round trips to save).
 */
export function moveTaskFunctionSchema(driver: StoreDriverName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (driver !== 'postgres') return;
      await sql`
        create function colibri_move_task(
          p_id text, p_to text, p_from text[], p_agent text, p_attempt integer,
          p_set_result boolean, p_result text, p_set_stderr boolean, p_stderr text, p_error text,
          p_reason text, p_at timestamptz
        ) returns setof tasks language plpgsql as $$
        declare
          t tasks;
          agent_status text;
        begin
          select * into t from tasks where id = p_id for update;
          if not found
             or not (t.status = any (p_from))
             or (p_agent is not null and t.assigned_agent_id is distinct from p_agent)
             or (p_attempt is not null and t.attempt <> p_attempt)
             or p_to not in ('running', 'done', 'failed', 'cancelled')
             or (p_to = 'failed' and t.retry_backoff_ms is not null) then
            return;
          end if;
          return query
            update tasks set
              status = p_to,
              updated_at = p_at,
              lease_expires_at = case when p_to = 'running' then lease_expires_at end,
              result = case when p_set_result then p_result else result end,
              stderr_tail = case when p_set_stderr then p_stderr else stderr_tail end,
              error = case when p_to = 'done' then null else coalesce(p_error, error) end
            where id = p_id
            returning *;
          insert into task_events (task_id, from_status, to_status, agent_id, attempt, reason, at)
            values (p_id, t.status, p_to, coalesce(p_agent, t.assigned_agent_id), t.attempt, p_reason, p_at);
          if t.assigned_agent_id is not null and p_to <> 'running' then
            agent_status := case when exists (
                select 1 from tasks
                where assigned_agent_id = t.assigned_agent_id and status in ('assigned', 'running'))
              then 'active' else 'idle' end;
            update agents set status = agent_status
              where id = t.assigned_agent_id and status <> 'offline' and status <> agent_status;
          end if;
        end $$`.execute(db);
    },
  };
}
