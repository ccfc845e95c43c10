import type * as v from 'valibot';
import {
  agentOfflineRequestSchema,
  destroyAgentRequestSchema,
  heartbeatRequestSchema,
  intakeTaskRequestSchema,
  joinTokenRequestSchema,
  listAgentsQuerySchema,
  listTasksQuerySchema,
  listTenantsQuerySchema,
  pollQuerySchema,
  pollRequestSchema,
  recordProvisionRequestSchema,
  registerAgentRequestSchema,
  registerTenantRequestSchema,
  resetCollectionRequestSchema,
  retireAgentRequestSchema,
  revokeJoinTokenRequestSchema,
  setTenantStatusRequestSchema,
  spawnAgentRequestSchema,
  transitionTaskRequestSchema,
  updateCapabilitiesRequestSchema,
} from './request-schemas.js';
import {
  agentOfflineResponseSchema,
  agentResponseSchema,
  boardLoginCodeResponseSchema,
  destroyReportSchema,
  healthResponseSchema,
  intakeTaskResponseSchema,
  joinTokenResponseSchema,
  listAgentsResponseSchema,
  listTenantsResponseSchema,
  openApiResponseSchema,
  registerAgentResponseSchema,
  revokeJoinTokenResponseSchema,
  showTaskResponseSchema,
  showTenantResponseSchema,
  spawnReportSchema,
  statusResponseSchema,
  taskResponseSchema,
  tasksResponseSchema,
  tenantResponseSchema,
} from './response-schemas.js';

/** Who may call a route; the daemon enforces it, the table documents it. */
export type RouteAccess =
  /** Anyone, without a token (only `/healthz`: it tells nothing but that colibrid and its database answer). */
  | 'public'
  /** Only the operator token. */
  | 'operator'
  /** The operator, or an agent within the rules the route's `who` describes. */
  | 'operator-or-agent'
  /** The operator token or a one-time join token. */
  | 'operator-or-join-token';

/** One route of colibrid's HTTP/JSON API. */
export interface ApiRoute {
  /** Stable name (also the OpenAPI operationId and the client's method name). */
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path with `:param` placeholders, e.g. `/v1/tasks/:id`. */
  readonly path: string;
  /** One line: what the route does. */
  readonly summary: string;
  readonly access: RouteAccess;
  /** Who may call it, in words (the precise rule is the daemon's). */
  readonly who: string;
  /** The body schema, when the route takes a JSON body. */
  readonly body?: v.GenericSchema;
  /** The query-string schema, when the route takes one. */
  readonly query?: v.GenericSchema;
  /** The status of a successful answer (201 for what creates something). */
  readonly status: 200 | 201;
  /** The schema of a successful answer's JSON body; absent for a text answer (`/metrics`). */
  readonly response?: v.GenericSchema;
  /** The content type of a successful answer. Default `application/json`. */
  readonly contentType?: string;
}

const route = (r: ApiRoute): ApiRoute => Object.freeze(r);

/** Every route colibrid serves (`/healthz`, `/v1/…`, `/metrics`), in one place the daemon, the client and the docs read. */
export const API_ROUTES: readonly ApiRoute[] = Object.freeze([
  route({
    id: 'health',
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness and database reachability (no token; no counts or names)',
    access: 'public',
    who: 'anyone',
    status: 200,
    response: healthResponseSchema,
  }),
  route({
    id: 'openApi',
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document, generated from the route table and its valibot schemas',
    access: 'operator-or-agent',
    who: 'operator, agent',
    status: 200,
    response: openApiResponseSchema,
  }),
  route({
    id: 'status',
    method: 'GET',
    path: '/v1/status',
    summary: 'Counts of agents and tasks, the daemon version',
    access: 'operator-or-agent',
    who: "operator (all counts), agent (its tenant's counts)",
    status: 200,
    response: statusResponseSchema,
  }),
  route({
    id: 'registerAgent',
    method: 'POST',
    path: '/v1/agents',
    summary: 'Register an agent with its capability tags; returns its token once',
    access: 'operator-or-join-token',
    who: 'operator, or a one-time join token (tenant forced)',
    body: registerAgentRequestSchema,
    status: 201,
    response: registerAgentResponseSchema,
  }),
  route({
    id: 'listAgents',
    method: 'GET',
    path: '/v1/agents',
    summary: 'List agents',
    access: 'operator',
    who: 'operator (retired agents only with includeRetired)',
    query: listAgentsQuerySchema,
    status: 200,
    response: listAgentsResponseSchema,
  }),
  route({
    id: 'retireAgent',
    method: 'POST',
    path: '/v1/agents/:id/retire',
    summary: 'Retire an agent for good: its token is refused and its name is free again',
    access: 'operator',
    who: 'operator',
    body: retireAgentRequestSchema,
    status: 200,
    response: agentOfflineResponseSchema,
  }),
  route({
    id: 'heartbeat',
    method: 'POST',
    path: '/v1/agents/:id/heartbeat',
    summary: 'Keep an agent online; with `holding`, say which held attempts were taken away',
    access: 'operator-or-agent',
    who: 'the agent itself, operator',
    body: heartbeatRequestSchema,
    status: 200,
    response: agentResponseSchema,
  }),
  route({
    id: 'updateCapabilities',
    method: 'PUT',
    path: '/v1/agents/:id/capabilities',
    summary: "Replace an agent's capability tags",
    access: 'operator-or-agent',
    who: 'the agent itself, operator',
    body: updateCapabilitiesRequestSchema,
    status: 200,
    response: agentResponseSchema,
  }),
  route({
    id: 'poll',
    method: 'POST',
    path: '/v1/agents/:id/poll',
    summary: "Long-poll for the agent's assigned tasks; with `holding`, until they differ from what it holds",
    access: 'operator-or-agent',
    who: 'the agent itself, operator',
    body: pollRequestSchema,
    query: pollQuerySchema,
    status: 200,
    response: tasksResponseSchema,
  }),
  route({
    id: 'goOffline',
    method: 'POST',
    path: '/v1/agents/:id/offline',
    summary: 'Take an agent offline now; its tasks are handed back',
    access: 'operator-or-agent',
    who: 'the agent itself, operator',
    body: agentOfflineRequestSchema,
    status: 200,
    response: agentOfflineResponseSchema,
  }),
  route({
    id: 'listSkills',
    method: 'GET',
    path: '/v1/skills',
    summary:
      'Every skill offered in the hive: its manifest variants, the agents offering each, who declines it and why',
    access: 'operator-or-agent',
    who: "operator (every agent), agent (the agents its tasks may reach: its tenant's and the shared ones)",
  }),
  route({
    id: 'intakeTask',
    method: 'POST',
    path: '/v1/tasks',
    summary: 'Intake a task: assigned to the best capable agent, or parked with the reason',
    access: 'operator-or-agent',
    who: 'operator (any tenant), agent (its own tenant)',
    body: intakeTaskRequestSchema,
    status: 201,
    response: intakeTaskResponseSchema,
  }),
  route({
    id: 'listTasks',
    method: 'GET',
    path: '/v1/tasks',
    summary: 'List tasks',
    access: 'operator-or-agent',
    who: 'operator, agent (only the tasks it may show)',
    query: listTasksQuerySchema,
    status: 200,
    response: tasksResponseSchema,
  }),
  route({
    id: 'showTask',
    method: 'GET',
    path: '/v1/tasks/:id',
    summary: 'A task with its history and, when parked, why',
    access: 'operator-or-agent',
    who: "operator, the assigned agent, agents of the task's tenant",
    status: 200,
    response: showTaskResponseSchema,
  }),
  route({
    id: 'transitionTask',
    method: 'POST',
    path: '/v1/tasks/:id/transition',
    summary: 'Move a task: running, done, failed, cancelled, parked',
    access: 'operator-or-agent',
    who: 'operator, the assigned agent (with its attempt)',
    body: transitionTaskRequestSchema,
    status: 200,
    response: taskResponseSchema,
  }),
  route({
    id: 'createJoinToken',
    method: 'POST',
    path: '/v1/join-tokens',
    summary: 'Issue a one-time join token for a tenant',
    access: 'operator',
    who: 'operator',
    body: joinTokenRequestSchema,
    status: 201,
    response: joinTokenResponseSchema,
  }),
  route({
    id: 'revokeJoinToken',
    method: 'POST',
    path: '/v1/join-tokens/revoke',
    summary: 'Revoke a join token',
    access: 'operator',
    who: 'operator',
    body: revokeJoinTokenRequestSchema,
    status: 200,
    response: revokeJoinTokenResponseSchema,
  }),
  route({
    id: 'spawnAgent',
    method: 'POST',
    path: '/v1/spawn',
    summary: 'Join an agent to the hive: jail, secrets, start, registered',
    access: 'operator-or-agent',
    who: 'operator, a mother agent within the spawn policy',
    body: spawnAgentRequestSchema,
    status: 201,
    response: spawnReportSchema,
  }),
  route({
    id: 'destroyAgent',
    method: 'POST',
    path: '/v1/spawn/destroy',
    summary: 'Stop and remove a spawned agent and its jail',
    access: 'operator-or-agent',
    who: "operator, the agent's mother",
    body: destroyAgentRequestSchema,
    status: 200,
    response: destroyReportSchema,
  }),
  route({
    id: 'registerTenant',
    method: 'POST',
    path: '/v1/tenants',
    summary: 'Register a tenant (jail and collection named after it)',
    access: 'operator',
    who: 'operator',
    body: registerTenantRequestSchema,
    status: 201,
    response: tenantResponseSchema,
  }),
  route({
    id: 'listTenants',
    method: 'GET',
    path: '/v1/tenants',
    summary: 'List tenants',
    access: 'operator',
    who: 'operator',
    query: listTenantsQuerySchema,
    status: 200,
    response: listTenantsResponseSchema,
  }),
  route({
    id: 'getTenant',
    method: 'GET',
    path: '/v1/tenants/:tenant',
    summary: 'A tenant with its event log',
    access: 'operator',
    who: 'operator',
    status: 200,
    response: showTenantResponseSchema,
  }),
  route({
    id: 'recordProvision',
    method: 'POST',
    path: '/v1/tenants/:tenant/provision',
    summary: "Record a provision's outcome",
    access: 'operator',
    who: 'operator',
    body: recordProvisionRequestSchema,
    status: 200,
    response: tenantResponseSchema,
  }),
  route({
    id: 'resetTenantCollection',
    method: 'POST',
    path: '/v1/tenants/:tenant/reset-collection',
    summary: "Forget a tenant's resolved collection id",
    access: 'operator',
    who: 'operator',
    body: resetCollectionRequestSchema,
    status: 200,
    response: tenantResponseSchema,
  }),
  route({
    id: 'setTenantStatus',
    method: 'POST',
    path: '/v1/tenants/:tenant/status',
    summary: "Set a tenant's status",
    access: 'operator',
    who: 'operator',
    body: setTenantStatusRequestSchema,
    status: 200,
    response: tenantResponseSchema,
  }),
  route({
    id: 'createBoardLoginCode',
    method: 'POST',
    path: '/v1/board/login-codes',
    summary: 'A one-time code that signs a browser in to the board as the caller (60 s, once)',
    access: 'operator-or-agent',
    who: "operator (sees the whole hive), agent (sees what its token may read: its tenant's tasks and itself)",
    status: 201,
    response: boardLoginCodeResponseSchema,
  }),
  route({
    id: 'metrics',
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus text exposition',
    access: 'operator',
    who: 'operator',
    status: 200,
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
  }),
]);
