import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

/**
 * The first schema. Column types that differ per dialect are chosen here and only here:
 * timestamps are ISO text on SQLite and timestamptz on PostgreSQL; the event id is SQLite's
 * rowid alias or a PostgreSQL identity column (kysely's autoIncrement() is MySQL syntax).
 */
export function initialSchema(driver: StoreDriverName) {
  const time = driver === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tenants')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('jail', 'text', (c) => c.notNull().unique())
        .addColumn('collection_id', 'text')
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'provisioned', 'active', 'failed')`),
        )
        .addColumn('created_at', sql.raw(time), (c) => c.notNull())
        .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('agents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('host', 'text')
        .addColumn('capabilities', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('idle', 'active', 'offline')`))
        .addColumn('tenant', 'text')
        .addColumn('registered_at', sql.raw(time), (c) => c.notNull())
        .addColumn('last_heartbeat_at', sql.raw(time))
        .execute();

      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('required_capabilities', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('parked', 'assigned', 'running', 'done', 'failed', 'cancelled')`),
        )
        .addColumn('tenant', 'text')
        .addColumn('assigned_agent_id', 'text', (c) => c.references('agents.id'))
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempt >= 0`))
        .addColumn('max_attempts', 'integer', (c) => c.notNull().check(sql`max_attempts >= 1`))
        .addColumn('lease_expires_at', sql.raw(time))
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', sql.raw(time), (c) => c.notNull())
        .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tasks_dispatch_order')
        .on('tasks')
        .columns(['status', 'priority desc', 'created_at'])
        .execute();
      await db.schema
        .createIndex('tasks_by_agent')
        .on('tasks')
        .columns(['assigned_agent_id', 'status'])
        .execute();

      const eventId =
        driver === 'postgres'
          ? sql.raw('bigint generated always as identity primary key')
          : sql.raw('integer primary key');
      await db.schema
        .createTable('task_events')
        .addColumn('id', eventId)
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('at', sql.raw(time), (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('task_events_by_task')
        .on('task_events')
        .columns(['task_id', 'id'])
        .execute();

      // The event log is evidence: refuse edits and deletes at the database, not only in code.
      if (driver === 'postgres') {
        await sql`
          create function colibri_task_events_append_only() returns trigger language plpgsql as $$
          begin raise exception 'task_events is append-only'; end $$`.execute(db);
        await sql`
          create trigger task_events_append_only before update or delete on task_events
          for each row execute function colibri_task_events_append_only()`.execute(db);
      } else {
        for (const op of ['update', 'delete']) {
          await sql
            .raw(
              `create trigger task_events_no_${op} before ${op} on task_events
               begin select raise(abort, 'task_events is append-only'); end`,
            )
            .execute(db);
        }
      }
    },
  };
}
