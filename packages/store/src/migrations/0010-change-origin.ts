import { type Kysely, sql } from 'kysely';
import { CHANGE_CHANNEL } from '../change-feed/change-channel.js';
import type { StoreDriverName } from '../store.js';

/**
 * The change feed says who committed each change (PostgreSQL only): the 0004 notifications gain
 * `"origin"`, the committing session's `colibri.origin` setting (each store sets its own random id
 * on every pooled connection; null for any other writer). A daemon then skips the notifications
 * of its own commits, which it has already acted on, and still hears every other writer's: another
 * daemon's, a tool's, or a raw `UPDATE` (origin null). Older readers ignore the extra field.
 *
 * SQLite: nothing (no change feed).
 */
export function changeOriginSchema(driver: StoreDriverName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (driver !== 'postgres') return;
      const channel = sql.lit(CHANGE_CHANNEL);
      await sql`
        create or replace function colibri_notify_task_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify(${channel}, json_build_object(
            'kind', 'task', 'id', new.id, 'status', new.status, 'agentId', new.assigned_agent_id,
            'origin', nullif(current_setting('colibri.origin', true), ''))::text);
          return null;
        end $$`.execute(db);
      await sql`
        create or replace function colibri_notify_agent_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify(${channel}, json_build_object(
            'kind', 'agent', 'id', new.id, 'status', new.status,
            'what', case
              when tg_op = 'INSERT' then 'registered'
              when old.capabilities is distinct from new.capabilities then 'capabilities'
              else 'status' end,
            'origin', nullif(current_setting('colibri.origin', true), ''))::text);
          return null;
        end $$`.execute(db);
    },
  };
}
