import type { DaemonAddress } from '../identity/agent-identity.js';

/** The only variables a handler inherits from the agent's own environment. */
export const INHERITED_VARIABLES = ['PATH', 'HOME', 'LANG'] as const;

export interface HandlerEnvironmentInput {
  /** The agent process's environment (or any superset): only PATH, HOME and LANG are taken from it. */
  readonly inherited: Readonly<Record<string, string | undefined>>;
  /** The variables loaded from the agent's `.env` (its tenant's secrets). */
  readonly variables: Readonly<Record<string, string>>;
  readonly daemon: DaemonAddress;
  /** The agent's token: a handler may take in sub-tasks for the agent's tenant with it. */
  readonly agentToken: string;
  readonly agentId: string;
  readonly tenant: string | null;
  readonly taskId: string;
  readonly attempt: number;
}

/**
 * A handler's whole environment, built from nothing: PATH/HOME/LANG from the agent's environment,
 * then the `.env` variables (which may override those three), then the `COLIBRI_*` facts of this
 * run, which nothing overrides (a `.env` cannot pose as another task or daemon). Nothing else of
 * the agent's environment leaks in.
 */
export function handlerEnvironment(input: HandlerEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) {
    const value = input.inherited[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, input.variables);
  for (const name of Object.keys(env)) if (name.startsWith('COLIBRI_')) delete env[name];
  if ('socketPath' in input.daemon) env.COLIBRI_SOCKET = input.daemon.socketPath;
  else env.COLIBRI_URL = input.daemon.url;
  env.COLIBRI_TOKEN = input.agentToken;
  env.COLIBRI_AGENT_ID = input.agentId;
  if (input.tenant !== null) env.COLIBRI_TENANT = input.tenant;
  env.COLIBRI_TASK_ID = input.taskId;
  env.COLIBRI_ATTEMPT = String(input.attempt);
  return env;
}
