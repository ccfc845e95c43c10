import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

/**
 * The tenant life cycle (`colibri register-tenant` replaces the manual insert):
 * - `tenants.collection`: the Vaultwarden collection NAME the tenant's `.env` comes from; null =
 *   the tenant has no bucket. Existing rows get their tenant id (the 1:1:1 default). Unique among
 *   tenants (several NULLs allowed): two tenants reading one collection would read each other's
 *   secrets.
 * - `tenants.collection_id` becomes unique too, for the same reason. A duplicate cached id left by
 *   a manual insert is cleared first: it is only a cache, and the next provision resolves it again.
 * - `tenant_events`: the append-only log of every status change and provision, guarded by
 *   triggers like `task_events`. `details` is JSON text (e.g. `{"outcome":"written"}`).
 */
export function tenantLifecycleSchema(driver: StoreDriverName) {
  const time = driver === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('tenants').addColumn('collection', 'text').execute();
      await sql`update tenants set collection = tenant_id`.execute(db);
      await db.schema.createIndex('tenants_collection').unique().on('tenants').column('collection').execute();
      await sql`
        update tenants set collection_id = null where collection_id in (
          select collection_id from tenants where collection_id is not null
          group by collection_id having count(*) > 1)`.execute(db);
      await db.schema
        .createIndex('tenants_collection_id')
        .unique()
        .on('tenants')
        .column('collection_id')
        .execute();

      const eventId =
        driver === 'postgres'
          ? sql.raw('bigint generated always as identity primary key')
          : sql.raw('integer primary key');
      const statuses = sql`('pending', 'provisioned', 'active', 'failed')`;
      await db.schema
        .createTable('tenant_events')
        .addColumn('id', eventId)
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.tenant_id'))
        .addColumn('at', sql.raw(time), (c) => c.notNull())
        .addColumn('from_status', 'text', (c) => c.check(sql`from_status in ${statuses}`))
        .addColumn('to_status', 'text', (c) => c.notNull().check(sql`to_status in ${statuses}`))
        .addColumn('reason', 'text')
        .addColumn('details', 'text')
        .execute();
      await db.schema
        .createIndex('tenant_events_by_tenant')
        .on('tenant_events')
        .columns(['tenant_id', 'id'])
        .execute();

      // Evidence of who was provisioned when: refuse edits and deletes at the database.
      if (driver === 'postgres') {
        await sql`
          create function colibri_tenant_events_append_only() returns trigger language plpgsql as $$
          begin raise exception 'tenant_events is append-only'; end $$`.execute(db);
        await sql`
          create trigger tenant_events_append_only before update or delete on tenant_events
          for each row execute function colibri_tenant_events_append_only()`.execute(db);
      } else {
        for (const op of ['update', 'delete']) {
          await sql
            .raw(
              `create trigger tenant_events_no_${op} before ${op} on tenant_events
               begin select raise(abort, 'tenant_events is append-only'); end`,
            )
            .execute(db);
        }
      }
    },
  };
}
