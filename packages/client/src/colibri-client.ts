import type {
  ApiAgent,
  ApiTask,
  IntakeTaskRequest,
  IntakeTaskResponse,
  JoinTokenRequest,
  JoinTokenResponse,
  RegisterAgentRequest,
  RegisterAgentResponse,
  ShowTaskResponse,
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
  poll(agentId: string, options?: { waitSeconds?: number }): Promise<{ tasks: ApiTask[] }>;
  intakeTask(request: IntakeTaskRequest): Promise<IntakeTaskResponse>;
  listTasks(filter?: { status?: string; tenant?: string; limit?: number }): Promise<{ tasks: ApiTask[] }>;
  showTask(taskId: string): Promise<ShowTaskResponse>;
  transitionTask(taskId: string, request: TransitionTaskRequest): Promise<{ task: ApiTask }>;
  createJoinToken(request: JoinTokenRequest): Promise<JoinTokenResponse>;
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
}
