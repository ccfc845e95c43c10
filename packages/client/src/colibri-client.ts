import type {
  AgentOfflineRequest,
  AgentOfflineResponse,
  ApiAgent,
  ApiTask,
  ApiTenant,
  IntakeTaskRequest,
  IntakeTaskResponse,
  JoinTokenRequest,
  JoinTokenResponse,
  RecordProvisionRequest,
  RegisterAgentRequest,
  RegisterAgentResponse,
  RegisterTenantRequest,
  SetTenantStatusRequest,
  ShowTaskResponse,
  ShowTenantResponse,
  StatusResponse,
  TransitionTaskRequest,
} from './api-types.js';

/** Where the daemon is and who we are. Exactly one of `socketPath` and `url`. */
export interface ClientOptions {
  /** The daemon's Unix socket, e.g. `$COLIBRI_HOME/colibri.sock`. */
  readonly socketPath?: string;
  /** A TCP base URL, e.g. `http://100.64.0.1:9190` (through the socat bridge). */
  readonly url?: string;
  /** Operator, agent or join token, sent as `Authorization: Bearer …`. */
  readonly token?: string;
  /** Per-request timeout in ms (long polls add their wait). Default 30000. */
  readonly timeoutMs?: number;
}

/**
 * A typed client for colibrid. Every method resolves with the response body or throws a
 * `ColibriError` carrying the daemon's stable code (`COLIBRI_DAEMON_UNREACHABLE` when it cannot
 * be reached at all).
 */
export interface ColibriClient {
  status(): Promise<StatusResponse>;
  registerAgent(request: RegisterAgentRequest): Promise<RegisterAgentResponse>;
  listAgents(filter?: { status?: string; tenant?: string }): Promise<{ agents: ApiAgent[] }>;
  heartbeat(agentId: string): Promise<{ agent: ApiAgent }>;
  updateCapabilities(agentId: string, capabilities: readonly string[]): Promise<{ agent: ApiAgent }>;
  /** The agent's assigned and running tasks; with `waitSeconds`, waits (long-poll) until there is at least one assigned task. */
  poll(
    agentId: string,
    options?: { waitSeconds?: number; signal?: AbortSignal },
  ): Promise<{ tasks: ApiTask[] }>;
  /**
   * The agent stops: offline now (not after its TTL), its unfinished tasks handed back (re-queued,
   * or failed after their last attempt). Self or operator.
   */
  goOffline(agentId: string, request?: AgentOfflineRequest): Promise<AgentOfflineResponse>;
  intakeTask(request: IntakeTaskRequest): Promise<IntakeTaskResponse>;
  listTasks(filter?: { status?: string; tenant?: string; limit?: number }): Promise<{ tasks: ApiTask[] }>;
  showTask(taskId: string): Promise<ShowTaskResponse>;
  transitionTask(taskId: string, request: TransitionTaskRequest): Promise<{ task: ApiTask }>;
  createJoinToken(request: JoinTokenRequest): Promise<JoinTokenResponse>;
  /** Creates a tenant (status `pending`). Operator only. `COLIBRI_TENANT_EXISTS` when the name, jail or collection is taken. */
  registerTenant(request: RegisterTenantRequest): Promise<{ tenant: ApiTenant }>;
  /** Tenants ordered by name, optionally only those in one status. Operator only. */
  listTenants(filter?: { status?: string }): Promise<{ tenants: ApiTenant[] }>;
  /** A tenant and its event log. Operator only. `COLIBRI_TENANT_NOT_FOUND`. */
  getTenant(tenant: string): Promise<ShowTenantResponse>;
  /** Records the outcome of provisioning the tenant's `.env` (caching the resolved collection id). Operator only. */
  recordProvision(tenant: string, request: RecordProvisionRequest): Promise<{ tenant: ApiTenant }>;
  /** Forgets the cached collection id: accepts a collection that was re-created under the same name. Operator only. */
  resetTenantCollection(tenant: string): Promise<{ tenant: ApiTenant }>;
  /** Moves the tenant along a legal edge (`TENANT_TRANSITIONS`), e.g. to `active` once its agent registered. Operator only. */
  setTenantStatus(tenant: string, request: SetTenantStatusRequest): Promise<{ tenant: ApiTenant }>;
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
}
