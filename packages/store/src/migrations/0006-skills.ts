import type { Kysely } from 'kysely';

/**
 * Skills (a handler with a manifest of what it needs):
 * - `agents.skills`: JSON list of the skills the agent offers, each its manifest plus digest;
 * - `agents.declined_skills`: JSON list of the skills it has a manifest for but does not offer,
 *   with the tags it lacks — what "why is my task waiting?" reports;
 * - `tasks.skill` / `tasks.skill_digest`: the skill a task asks for, and which manifest of it
 *   (null while no agent had offered it at intake).
 */
export function skillsSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('agents')
        .addColumn('skills', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema
        .alterTable('agents')
        .addColumn('declined_skills', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema.alterTable('tasks').addColumn('skill', 'text').execute();
      await db.schema.alterTable('tasks').addColumn('skill_digest', 'text').execute();
    },
  };
}
