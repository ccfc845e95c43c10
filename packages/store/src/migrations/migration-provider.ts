import type { Migration, MigrationProvider } from 'kysely';
import type { StoreDriverName } from '../store.js';
import { initialSchema } from './0001-initial-schema.js';
import { authSchema } from './0002-auth.js';
import { tenantLifecycleSchema } from './0003-tenant-lifecycle.js';
import { changeFeedSchema } from './0004-change-feed.js';
import { agentRetirementSchema } from './0005-agent-retirement.js';
import { skillsSchema } from './0006-skills.js';
import { expiryRetentionSchema } from './0007-expiry-retention.js';
import { retryAndIdempotencySchema } from './0008-retry-and-idempotency.js';
import { agentSlotsSchema } from './0009-agent-slots.js';
import { changeOriginSchema } from './0010-change-origin.js';
import { moveTaskFunctionSchema } from './0011-move-task-function.js';
import { assignTasksFunctionSchema } from './0012-assign-tasks-function.js';

/**
 * Migrations live in code (not files on disk) so a bundled or installed package always carries
 * exactly the schema it was built for. Names sort in application order; never rename one.
 */
export function migrationProvider(driver: StoreDriverName): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-initial-schema': initialSchema(driver),
    '0002-auth': authSchema(driver),
    '0003-tenant-lifecycle': tenantLifecycleSchema(driver),
    '0004-change-feed': changeFeedSchema(driver),
    '0005-agent-retirement': agentRetirementSchema(driver),
    '0006-skills': skillsSchema(),
    '0007-expiry-retention': expiryRetentionSchema(driver),
    '0008-retry-and-idempotency': retryAndIdempotencySchema(driver),
    '0009-agent-slots': agentSlotsSchema(),
    '0010-change-origin': changeOriginSchema(driver),
    '0011-move-task-function': moveTaskFunctionSchema(driver),
    '0012-assign-tasks-function': assignTasksFunctionSchema(driver),
  };
  return { getMigrations: async () => migrations };
}
