import { type Kysely, sql } from 'kysely';
import type { StoreDriverName } from '../store.js';

/**
 * Retiring agents, and the lineage of spawned ones:
 * - `agents.retired_at` / `retired_reason`: a retired agent is gone for good (its jail destroyed,
 *   its token revoked). Its row stays: tasks and events still point at it.
 * - `agents.retired_name`: the name it had. A retired agent's name must become free for a new
 *   agent, but SQLite cannot drop the column's UNIQUE constraint without rebuilding the table
 *   (and every table referencing it). So retiring moves the name here and sets `name` to
 *   `~retired~<id>`: unique (the id is), and unequal to every valid agent name
 *   (`^[a-z][a-z0-9-]*$` never starts with `~`), so no registration or lookup can ever meet it.
 *   The store shows the original name back (`AgentRecord.name`).
 * - `agents.spawned_by` / `spawn_depth`: the agent that asked the daemon to spawn this one (null
 *   when the operator did) and its generation (0 = started by the operator, parent's + 1 for a
 *   child): the spawn policy's `maxChildren` and `maxDepth` are counted from them.
 * - `join_tokens.spawned_by` / `spawn_depth`: the same, carried by the one-time token that the
 *   spawned agent registers with, and copied to the agent by that registration.
 * - `join_tokens.revoked_at`: a token made unusable before it was used (a spawn rolled back).
 */
export function agentRetirementSchema(driver: StoreDriverName) {
  const time = driver === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('agents').addColumn('retired_at', sql.raw(time)).execute();
      await db.schema.alterTable('agents').addColumn('retired_name', 'text').execute();
      await db.schema.alterTable('agents').addColumn('retired_reason', 'text').execute();
      await db.schema
        .alterTable('agents')
        .addColumn('spawned_by', 'text', (c) => c.references('agents.id'))
        .execute();
      await db.schema
        .alterTable('agents')
        .addColumn('spawn_depth', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('agents_spawned_by').on('agents').column('spawned_by').execute();

      await db.schema
        .alterTable('join_tokens')
        .addColumn('spawned_by', 'text', (c) => c.references('agents.id'))
        .execute();
      await db.schema
        .alterTable('join_tokens')
        .addColumn('spawn_depth', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('join_tokens').addColumn('revoked_at', sql.raw(time)).execute();
    },
  };
}
