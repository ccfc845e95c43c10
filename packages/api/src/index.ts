export type * from './api-types.js';
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
export { API_ROUTES, type ApiRoute, type RouteAccess } from './route-table.js';
