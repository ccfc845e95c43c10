import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

const OLD_STATUSES = `'parked', 'assigned', 'running', 'done', 'failed', 'cancelled'`;
const NEW_STATUSES = `'parked', 'assigned', 'running', 'done', 'failed', 'cancelled', 'expired'`;
const TERMINAL = sql.raw(`('done', 'failed', 'cancelled', 'expired')`);

/**
 * Expiry, retention and handler output (issue 15 items 1, 7, 8):
 * - `tasks.status` may be `expired` (a parked task whose deadline passed with no capable agent);
 * - `tasks.expires_at`: that deadline, or null (the task waits for as long as it takes);
 * - `tasks.stderr_tail`: the last 64 KiB of the handler's stderr, scrubbed by the agent, or null;
 * - indexes for the expiry timer (parked tasks by deadline) and for pruning (finished tasks by age);
 * - the event log stays append-only, except that a finished task's events may be deleted with it
 *   (retention). An unfinished task's history can still be neither edited nor deleted.
 *
 * SQLite cannot alter a CHECK constraint: the tasks table (and task_events, which references it)
 * is rebuilt from its own stored definition (create, copy, drop, rename), so every column, index and
 * trigger earlier migrations added is kept as it is.
 */
export function expiryRetentionSchema(driver: StoreDriverName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (driver === 'postgres') await upPostgres(db);
      else await upSqlite(db);
    },
  };
}

async function upPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tasks add column expires_at timestamptz, add column stderr_tail text`.execute(db);
  await sql`alter table tasks drop constraint tasks_status_check`.execute(db);
  await sql`alter table tasks add constraint tasks_status_check check (status in (${sql.raw(NEW_STATUSES)}))`.execute(
    db,
  );
  await createIndexes(db);
  await sql`
    create or replace function colibri_task_events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and exists (
        select 1 from tasks where id = old.task_id and status in ${TERMINAL}) then
        return old;
      end if;
      raise exception 'task_events is append-only';
    end $$`.execute(db);
}

async function createIndexes(db: Kysely<unknown>): Promise<void> {
  // The expiry timer reads parked tasks whose deadline passed, oldest deadline first.
  await sql`create index tasks_expiry on tasks (expires_at) where status = 'parked' and expires_at is not null`.execute(
    db,
  );
  // Retention reads finished tasks by when they finished (a finished task's updated_at).
  await sql`create index tasks_finished on tasks (status, updated_at)`.execute(db);
}

async function upSqlite(db: Kysely<unknown>): Promise<void> {
  // Runs inside the migration's transaction (the store's SQLite migrations are transactional), where
  // foreign keys cannot be switched off: so task_events, which references tasks, is rebuilt with it,
  // and no row ever points at a missing task. Event ids are copied, so their order is kept.
  await sql`alter table tasks add column expires_at text`.execute(db);
  await sql`alter table tasks add column stderr_tail text`.execute(db);
  const { rows } = await sql<{ type: string; name: string; tbl_name: string; sql: string }>`
    select type, name, tbl_name, sql from sqlite_master
    where tbl_name in ('tasks', 'task_events') and sql is not null`.execute(db);
  const tableSql = (name: string) => rows.find((row) => row.type === 'table' && row.tbl_name === name)?.sql;
  const tasks = tableSql('tasks');
  const events = tableSql('task_events');
  if (tasks === undefined || !tasks.includes(OLD_STATUSES) || events === undefined) {
    throw new Error('0007: the tasks table does not have the status check this migration expects');
  }
  await sql
    .raw(
      tasks
        .replace(OLD_STATUSES, NEW_STATUSES)
        .replace(/^create table "?tasks"?/i, 'create table "tasks_0007"'),
    )
    .execute(db);
  await sql`insert into tasks_0007 select * from tasks`.execute(db);
  const rebuiltEvents = events
    .replace(/^create table "?task_events"?/i, 'create table "task_events_0007"')
    .replace(/references "?tasks"?\s*\(/i, 'references "tasks_0007" (');
  if (!rebuiltEvents.includes('"tasks_0007"')) throw new Error('0007: task_events does not reference tasks');
  await sql.raw(rebuiltEvents).execute(db);
  await sql`insert into task_events_0007 select * from task_events`.execute(db);
  await sql`drop table task_events`.execute(db);
  await sql`drop table tasks`.execute(db);
  // Renaming rewrites task_events_0007's reference to tasks_0007 into one to tasks.
  await sql`alter table tasks_0007 rename to tasks`.execute(db);
  await sql`alter table task_events_0007 rename to task_events`.execute(db);
  for (const row of rows) {
    if (row.type === 'table' || row.name === 'task_events_no_delete') continue;
    await sql.raw(row.sql).execute(db);
  }
  await createIndexes(db);
  await sql`
    create trigger task_events_no_delete before delete on task_events
    when (select status from tasks where id = old.task_id) is null
      or (select status from tasks where id = old.task_id) not in ${TERMINAL}
    begin select raise(abort, 'task_events is append-only'); end`.execute(db);
  const { rows: broken } = await sql`pragma foreign_key_check`.execute(db);
  if (broken.length > 0) throw new Error(`0007: ${broken.length} rows break a foreign key after the rebuild`);
}
