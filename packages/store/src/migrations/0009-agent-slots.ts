import type { Kysely } from 'kysely';

/**
 * Agent slots: `agents.slots`, how many tasks the agent holds (assigned or running) at once. The
 * scheduler gives an agent a task only while it holds fewer, and weighs load as used/slots.
 * Existing agents get 1 (what an agent without the column ran at once by default).
 */
export function agentSlotsSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('agents')
        .addColumn('slots', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
  };
}
