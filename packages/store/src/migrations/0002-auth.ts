import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

/**
 * Authentication and tag history. Only hashes (sha256, hex) of tokens are stored, never a token:
 * - `agents.token_hash`: the hash of the agent's bearer token, unique (a unique index rather than a
 *   column constraint: SQLite cannot add a UNIQUE column to an existing table). Nullable, so
 *   agents registered before this migration simply have no token.
 * - `join_tokens`: one-time registration tokens, each bound to a tenant and an expiry, marked
 *   used (by which agent) in the same transaction that registers the agent.
 * - `advertised_tags`: every capability tag any agent has ever advertised, so that a task requiring
 *   a tag nobody ever offered can be flagged as a likely typo. Back-filled from existing agents.
 */
export function authSchema(driver: StoreDriverName) {
  const time = driver === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('agents').addColumn('token_hash', 'text').execute();
      await db.schema.createIndex('agents_token_hash').unique().on('agents').column('token_hash').execute();

      await db.schema
        .createTable('join_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('expires_at', sql.raw(time), (c) => c.notNull())
        .addColumn('used_at', sql.raw(time))
        .addColumn('used_by_agent_id', 'text', (c) => c.references('agents.id'))
        .addColumn('created_at', sql.raw(time), (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('advertised_tags')
        .addColumn('tag', 'text', (c) => c.primaryKey())
        .addColumn('first_advertised_at', sql.raw(time), (c) => c.notNull())
        .execute();
      const agents = await sql<{
        capabilities: string;
        registered_at: string | Date;
      }>`select capabilities, registered_at from agents`.execute(db);
      const seen = new Map<string, string | Date>();
      for (const row of agents.rows) {
        for (const tag of JSON.parse(row.capabilities) as string[]) {
          if (!seen.has(tag)) seen.set(tag, row.registered_at);
        }
      }
      for (const [tag, at] of seen) {
        await sql`insert into advertised_tags (tag, first_advertised_at) values (${tag}, ${at})`.execute(db);
      }
    },
  };
}
