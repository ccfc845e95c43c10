import type {
  AgentOfflineRequest,
  AgentOfflineResponse,
  ApiAgent,
  ApiDestroyReport,
  ApiSpawnReport,
  ApiTask,
  ApiTenant,
  BoardLoginCodeResponse,
  HeartbeatResponse,
  HeldTask,
  IntakeTaskRequest,
  IntakeTaskResponse,
  JoinTokenRequest,
  JoinTokenResponse,
  ListSkillsResponse,
  PollResponse,
  PruneRequest,
  PruneResponse,
  RecordProvisionRequest,
  RegisterAgentRequest,
  RegisterAgentResponse,
  RegisterTenantRequest,
  RetireAgentResponse,
  RetryTaskRequest,
  RevokeJoinTokenResponse,
  SetTenantStatusRequest,
  ShowTaskResponse,
  ShowTenantResponse,
  SpawnAgentRequest,
  StatusResponse,
  TransitionTaskRequest,
} from '@colibri/api';

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
  /** Agents ordered by name; retired ones only with `includeRetired`. Operator only. */
  listAgents(filter?: {
    status?: string;
    tenant?: string;
    includeRetired?: boolean;
  }): Promise<{ agents: ApiAgent[] }>;
  /**
   * Retires an agent for good: its token refused at once, offline, its unfinished tasks handed
   * back, its name free for a new agent. Idempotent. Operator only. `COLIBRI_AGENT_NOT_FOUND`.
   */
  retireAgent(agentId: string, request: { reason: string }): Promise<RetireAgentResponse>;
  /** Makes an unused one-time join token unusable (a rolled-back spawn). Operator only. */
  revokeJoinToken(token: string): Promise<RevokeJoinTokenResponse>;
  /**
   * Spawns a jailed agent through colibrid (`POST /v1/spawn`): the operator, or a mother agent
   * its spawn policy allows (`COLIBRI_SPAWN_POLICY_DENIED` listing every reason otherwise). A
   * failed spawn throws the failing step's code with `details.steps` and `details.rollback`.
   * The whole chain runs in the request: `timeoutMs` (default 180000) bounds the wait.
   */
  spawnAgent(request: SpawnAgentRequest, options?: { timeoutMs?: number }): Promise<ApiSpawnReport>;
  /**
   * Tears a jailed agent down through colibrid (`POST /v1/spawn/destroy`): the operator, or the
   * mother of that agent. `timeoutMs` default 120000.
   */
  destroyAgent(name: string, options?: { tenant?: string; timeoutMs?: number }): Promise<ApiDestroyReport>;
  /** With `holding`, the answer's `revoked` lists the held attempts that are no longer the agent's. */
  heartbeat(agentId: string, options?: { holding?: readonly HeldTask[] }): Promise<HeartbeatResponse>;
  /** Replaces the agent's tags, and its skills (and slots) when given in `skills`. */
  updateCapabilities(
    agentId: string,
    capabilities: readonly string[],
    skills?: Pick<RegisterAgentRequest, 'skills' | 'declinedSkills' | 'slots'>,
  ): Promise<{ agent: ApiAgent }>;
  /** Every skill offered in the hive (an agent sees its tenant's and the shared lanes'). */
  listSkills(): Promise<ListSkillsResponse>;
  /**
   * The agent's assigned and running tasks. With `waitSeconds` it waits (long-poll) until there is
   * at least one assigned task or, with `holding`, until the agent's assigned/running set differs
   * from the attempts it holds (a new task, or a held one cancelled or taken away: `revoked`).
   * With `claim: N` (opt-in, the agent's free slots) the poll also moves up to N of the assigned
   * tasks it returns to running, listed in `claimed`: the agent starts those without a `running`
   * report.
   */
  poll(
    agentId: string,
    options?: { waitSeconds?: number; signal?: AbortSignal; holding?: readonly HeldTask[]; claim?: number },
  ): Promise<PollResponse>;
  /**
   * The agent stops: offline now (not after its TTL), its unfinished tasks handed back (re-queued,
   * or failed after their last attempt). Self or operator.
   */
  goOffline(agentId: string, request?: AgentOfflineRequest): Promise<AgentOfflineResponse>;
  intakeTask(request: IntakeTaskRequest): Promise<IntakeTaskResponse>;
  listTasks(filter?: { status?: string; tenant?: string; limit?: number }): Promise<{ tasks: ApiTask[] }>;
  showTask(taskId: string): Promise<ShowTaskResponse>;
  transitionTask(taskId: string, request: TransitionTaskRequest): Promise<{ task: ApiTask }>;
  /**
   * A failed, cancelled or expired task back in line with `attempts` more attempts (default 1),
   * its history kept. Operator only. `COLIBRI_ILLEGAL_TRANSITION` for a task done or not finished.
   */
  retryTask(taskId: string, request?: RetryTaskRequest): Promise<{ task: ApiTask }>;
  /**
   * Deletes finished tasks (and their events) that finished longer ago than `olderThanSeconds`, in
   * small batches; with `dryRun` only counts them. Operator only.
   */
  prune(request: PruneRequest): Promise<PruneResponse>;
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
  /**
   * A one-time code that signs a browser in to the board (`/board/login?code=…`) as this client's
   * token would: good once, for 60 s. Operator or agent. What `colibri board` opens.
   */
  createBoardLoginCode(): Promise<BoardLoginCodeResponse>;
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
}
