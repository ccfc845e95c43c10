import type {
  ApiAgent,
  ApiSpawnReport,
  ApiTask,
  IntakeTaskRequest,
  IntakeTaskResponse,
  JoinTokenRequest,
  JoinTokenResponse,
  ListSkillsResponse,
  ShowTaskResponse,
  SpawnAgentRequest,
  StatusResponse,
  TransitionTaskRequest,
} from '@colibri/api';

/**
 * What the tools need of the daemon: a subset of `ColibriClient`, so the CLI passes its client
 * over the socket or TCP, and colibrid passes one that calls its own route handlers in-process.
 * Every method acts as one caller (the token the client presents, or the principal colibrid
 * authenticated), so the tools can do exactly what that caller may do through the HTTP API.
 * Failures are `ColibriError`s with the daemon's stable codes.
 */
export interface HivePort {
  status(): Promise<StatusResponse>;
  intakeTask(request: IntakeTaskRequest): Promise<IntakeTaskResponse>;
  showTask(taskId: string): Promise<ShowTaskResponse>;
  listTasks(filter?: { status?: string; tenant?: string; limit?: number }): Promise<{ tasks: ApiTask[] }>;
  transitionTask(taskId: string, request: TransitionTaskRequest): Promise<{ task: ApiTask }>;
  listAgents(filter?: {
    status?: string;
    tenant?: string;
    includeRetired?: boolean;
  }): Promise<{ agents: ApiAgent[] }>;
  /** Every skill offered in the hive: its manifest variants, who offers each, who declines it and why. */
  listSkills(): Promise<ListSkillsResponse>;
  heartbeat(agentId: string): Promise<{ agent: ApiAgent }>;
  /** The agent's assigned and running tasks; with `waitSeconds` (≤ 60) a long poll `signal` may abort. */
  poll(
    agentId: string,
    options?: { waitSeconds?: number; signal?: AbortSignal },
  ): Promise<{ tasks: ApiTask[] }>;
  spawnAgent(request: SpawnAgentRequest, options?: { timeoutMs?: number }): Promise<ApiSpawnReport>;
  createJoinToken(request: JoinTokenRequest): Promise<JoinTokenResponse>;
}
