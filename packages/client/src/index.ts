export type * from './api-types.js';
export type { ClientOptions, ColibriClient } from './colibri-client.js';
export { colibriPaths, defaultColibriHome, type HomeContext } from './colibri-home.js';
export { createClient } from './create-client.js';
export {
  agentOfflineRequestSchema,
  destroyAgentRequestSchema,
  intakeTaskRequestSchema,
  joinTokenRequestSchema,
  listAgentsQuerySchema,
  listTasksQuerySchema,
  listTenantsQuerySchema,
  MAX_JOIN_TOKEN_TTL_SECONDS,
  MAX_POLL_WAIT_SECONDS,
  parseRequest,
  pollQuerySchema,
  recordProvisionRequestSchema,
  registerAgentRequestSchema,
  registerTenantRequestSchema,
  retireAgentRequestSchema,
  revokeJoinTokenRequestSchema,
  setTenantStatusRequestSchema,
  spawnAgentRequestSchema,
  transitionTaskRequestSchema,
  updateCapabilitiesRequestSchema,
} from './request-schemas.js';
