import { ColibriError } from '@colibri/errors';
import type { AgentCredential } from '@colibri/mother';

export interface AgentCredentialSources {
  /** The variables loaded from the agent's `.env`. */
  readonly variables: Readonly<Record<string, string>>;
  /** Which `.env` variable holds the one-time join token (`--join-token-env`). */
  readonly joinTokenEnv: string;
  /** The CLI's token (`--token` > `COLIBRI_TOKEN` > the operator token file), if any. */
  readonly token: string | undefined;
  /** `--agent`: the CLI's token is that agent's token, not the operator's. */
  readonly agentId: string | undefined;
}

export interface ChosenCredential {
  /** What to register (or resume) with when no stored agent token works; undefined = none. */
  readonly credential: AgentCredential | undefined;
  /** The `.env` variables for handlers, without the join token (they have no use for it). */
  readonly variables: Record<string, string>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Which credential `colibri run-agent` falls back on after its stored agent token (which always
 * wins, in the runtime): `--agent` with the CLI's token (an agent token) > the join token in the
 * `.env` (a jail's normal first start) > the CLI's token as the operator's.
 */
export function chooseAgentCredential(sources: AgentCredentialSources): ChosenCredential {
  if (!ENV_NAME.test(sources.joinTokenEnv)) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `--join-token-env ${JSON.stringify(sources.joinTokenEnv)} is not a variable name (letters, digits, _)`,
      { flag: 'join-token-env' },
    );
  }
  const { [sources.joinTokenEnv]: joinToken, ...variables } = sources.variables;
  if (sources.agentId !== undefined) {
    if (sources.token === undefined) {
      throw new ColibriError(
        'COLIBRI_INVALID_INPUT',
        "--agent needs that agent's token: set COLIBRI_TOKEN (or --token) to it",
        { flag: 'agent-id' },
      );
    }
    return { credential: { kind: 'agent', token: sources.token, agentId: sources.agentId }, variables };
  }
  if (joinToken !== undefined && joinToken.trim() !== '') {
    return { credential: { kind: 'join', token: joinToken.trim() }, variables };
  }
  if (sources.token !== undefined)
    return { credential: { kind: 'operator', token: sources.token }, variables };
  return { credential: undefined, variables };
}
