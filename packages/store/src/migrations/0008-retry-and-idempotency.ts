import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

/**
 * Automatic retries and idempotent intake. The attempt budget is the existing
 * `tasks.max_attempts` (an agent going offline has always cost one): no second counter.
 * - `tasks.retry_backoff_ms`: the task's retry policy. Null (every task before this migration,
 *   and the default): a failed handler ends the task. A number: a failed attempt goes back to
 *   parked while attempts remain, waiting `retry_backoff_ms * 2^(attempt - 1)` (capped) first.
 * - `tasks.not_before`: a parked task is not assignable before this time (the backoff), or null.
 * - `tasks.idempotency_key`: the caller's key for this intake, or null. Unique per tenant
 *   (operator tasks, tenant null, are one namespace): a partial unique index on an expression,
 *   which both SQLite (>= 3.9) and PostgreSQL enforce, so concurrent duplicates meet the database.
 * - `tasks.idempotency_digest`: sha256 of the intake request it was made from, so the same key
 *   with another request is told apart from a retry of the same one.
 */
export function retryAndIdempotencySchema(driver: StoreDriverName) {
  const time = driver === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('tasks')
        .addColumn('retry_backoff_ms', 'integer', (c) => c.check(sql`retry_backoff_ms >= 0`))
        .execute();
      await db.schema.alterTable('tasks').addColumn('not_before', sql.raw(time)).execute();
      await db.schema.alterTable('tasks').addColumn('idempotency_key', 'text').execute();
      await db.schema.alterTable('tasks').addColumn('idempotency_digest', 'text').execute();
      await sql`create unique index tasks_idempotency_key on tasks (coalesce(tenant, ''), idempotency_key) where idempotency_key is not null`.execute(
        db,
      );
    },
  };
}
