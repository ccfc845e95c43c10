import { type Kysely, sql } from 'kysely';
import { CHANGE_CHANNEL } from '../change-feed/change-channel.js';
import type { StoreDriverName } from '../store.js';

/**
 * The change feed (PostgreSQL only): triggers `pg_notify` a small JSON text on every committed
 * change that another daemon must react to, so that every writer notifies, whichever daemon or
 * tool it is:
 * - tasks: insert, and updates of `status` or `assigned_agent_id` (not lease renewals);
 * - agents: insert, and updates of `status` or `capabilities` (not heartbeats).
 *
 * The payload carries ids and the new status only (`{"kind":"task","id":…,"status":…,"agentId":…}`,
 * `{"kind":"agent","id":…,"status":…,"what":"registered|status|capabilities"}`), far below NOTIFY's
 * 8000-byte limit whatever the row holds. PostgreSQL delivers notifications at commit, in commit
 * order, and never for a rolled-back transaction.
 *
 * SQLite: nothing. One daemon owns an SQLite file; there is nobody to notify.
 */
export function changeFeedSchema(driver: StoreDriverName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (driver !== 'postgres') return;
      const channel = sql.lit(CHANGE_CHANNEL);
      await sql`
        create function colibri_notify_task_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify(${channel}, json_build_object(
            'kind', 'task', 'id', new.id, 'status', new.status, 'agentId', new.assigned_agent_id)::text);
          return null;
        end $$`.execute(db);
      await sql`
        create trigger tasks_notify_insert after insert on tasks
        for each row execute function colibri_notify_task_change()`.execute(db);
      await sql`
        create trigger tasks_notify_update after update on tasks for each row
        when (old.status is distinct from new.status
              or old.assigned_agent_id is distinct from new.assigned_agent_id)
        execute function colibri_notify_task_change()`.execute(db);

      await sql`
        create function colibri_notify_agent_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify(${channel}, json_build_object(
            'kind', 'agent', 'id', new.id, 'status', new.status,
            'what', case
              when tg_op = 'INSERT' then 'registered'
              when old.capabilities is distinct from new.capabilities then 'capabilities'
              else 'status' end)::text);
          return null;
        end $$`.execute(db);
      await sql`
        create trigger agents_notify_insert after insert on agents
        for each row execute function colibri_notify_agent_change()`.execute(db);
      await sql`
        create trigger agents_notify_update after update on agents for each row
        when (old.status is distinct from new.status or old.capabilities is distinct from new.capabilities)
        execute function colibri_notify_agent_change()`.execute(db);
    },
  };
}
