import type { ApiAgent, DeclinedSkill } from '@colibri/api';
import type { ColibriClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';
import { type Skill, skillDigest } from '@colibri/protocol';
import type { AgentEventSink, RegistrationVia } from './agent-event.js';
import { type Backoff, createBackoff } from './backoff.js';
import { classifyError, errorCode, errorMessage } from './classify-error.js';
import type { ResolvedRunAgentOptions } from './run-agent-options.js';
import { sleep } from './sleep.js';

/** The agent as the daemon knows it, and a client that speaks as it. */
export interface AgentSession {
  readonly agentId: string;
  /** The agent token: a secret, never logged. */
  readonly token: string;
  /** As the daemon has it (a join token forces its tenant). */
  readonly tenant: string | null;
  readonly client: ColibriClient;
}

export interface EstablishSessionInput {
  readonly options: ResolvedRunAgentOptions;
  readonly clientFor: (token: string) => ColibriClient;
  readonly emit: AgentEventSink;
  /** Aborted when the agent is stopped: waiting for the daemon ends, the result is undefined. */
  readonly signal: AbortSignal;
  /** Skip the stored token (the daemon just refused it mid-run). */
  readonly skipStored?: boolean;
  /** The skills this agent offers and declines (from its handlers' manifests). */
  readonly skills: { readonly skills: readonly Skill[]; readonly declinedSkills: readonly DeclinedSkill[] };
}

const STOPPED = Symbol('stopped');

/** Calls `fn` until it answers, waiting out an unreachable daemon with backoff; other errors are thrown. */
async function untilAnswered<T>(
  fn: () => Promise<T>,
  input: EstablishSessionInput,
  backoff: Backoff,
): Promise<T | typeof STOPPED> {
  let lost = false;
  for (;;) {
    if (input.signal.aborted) return STOPPED;
    try {
      const answer = await fn();
      if (lost) input.emit({ type: 'connection-restored', during: 'register' });
      backoff.reset();
      return answer;
    } catch (error) {
      if (classifyError(error) !== 'retry') throw error;
      const retryInMs = backoff.next();
      // Once per outage: the backoff keeps trying quietly until connection-restored.
      if (!lost) {
        input.emit({
          type: 'connection-lost',
          during: 'register',
          code: errorCode(error),
          message: errorMessage(error),
          retryInMs,
        });
      }
      lost = true;
      await sleep(retryInMs, input.signal);
    }
  }
}

const sameTags = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Names with digests, and declined names with reasons: what must match for the daemon's record to be current. */
const skillSignature = (
  skills: readonly (Parameters<typeof skillDigest>[0] & { readonly name: string })[],
  declined: readonly DeclinedSkill[],
) =>
  JSON.stringify([
    skills.map((s) => `${s.name}@${skillDigest(s)}`).sort(),
    declined.map((d) => `${d.name}:${d.reason}`).sort(),
  ]);

/** Resumes as an agent the daemon already knows; 'rejected' when the daemon does not know the token or agent. */
async function resume(
  input: EstablishSessionInput,
  backoff: Backoff,
  token: string,
  agentId: string,
  via: RegistrationVia,
): Promise<AgentSession | 'rejected' | typeof STOPPED> {
  const { options, emit } = input;
  const client = input.clientFor(token);
  let agent: ApiAgent;
  try {
    const answer = await untilAnswered(() => client.heartbeat(agentId), input, backoff);
    if (answer === STOPPED) return STOPPED;
    agent = answer.agent;
  } catch (error) {
    const code = errorCode(error);
    // FORBIDDEN: a valid token of another agent (the state file was edited or mixed up).
    if (classifyError(error) === 'unknown-agent' || code === 'COLIBRI_FORBIDDEN') {
      emit({ type: 'stored-token-rejected', agentId, code });
      return 'rejected';
    }
    throw error;
  }
  const where = via === 'stored' ? `the agent stored in ${options.tokenStore.describe}` : `agent ${agentId}`;
  if (agent.name !== options.name || (options.tenant !== null && agent.tenant !== options.tenant)) {
    throw new ColibriError(
      'COLIBRI_IDENTITY_INVALID',
      `${where} is ${agent.name} (tenant ${agent.tenant ?? 'none'}), but this agent is ${options.name} ` +
        `(tenant ${options.tenant ?? 'none'}): use this agent's own state directory, or remove ${options.tokenStore.describe} to register anew`,
      { agentId, name: agent.name },
    );
  }
  const skillsChanged =
    skillSignature(agent.skills ?? [], agent.declinedSkills ?? []) !==
    skillSignature(input.skills.skills, input.skills.declinedSkills);
  if (!sameTags(agent.capabilities, options.capabilities) || skillsChanged || agent.slots !== options.slots) {
    const updated = await untilAnswered(
      () =>
        client.updateCapabilities(agentId, options.capabilities, { ...input.skills, slots: options.slots }),
      input,
      backoff,
    );
    if (updated === STOPPED) return STOPPED;
    emit({ type: 'capabilities-updated', agentId, capabilities: updated.agent.capabilities });
  }
  emit({
    type: 'registered',
    agentId: agent.id,
    name: agent.name,
    tenant: agent.tenant,
    capabilities: options.capabilities,
    via,
  });
  // The id as the daemon has it: `--agent` may have named the agent by a prefix of its id or its name.
  return { agentId: agent.id, token, tenant: agent.tenant, client };
}

/** The registration error with what only the agent knows: which credential, which state file. */
function explainRefusal(error: unknown, input: EstablishSessionInput, kind: 'join' | 'operator'): unknown {
  const code = errorCode(error);
  const { options } = input;
  const hint =
    code === 'COLIBRI_AGENT_NAME_TAKEN'
      ? `if this is that agent and its state in ${options.tokenStore.describe} was lost, the operator must retire the old registration; or choose another name`
      : code === 'COLIBRI_JOIN_TOKEN_INVALID'
        ? 'the join token was used by an earlier start whose agent token was not kept, or it expired: ask the operator for a new one (colibri join-token)'
        : code === 'COLIBRI_UNAUTHENTICATED'
          ? `the ${kind === 'join' ? 'join token' : 'operator token'} was not accepted`
          : undefined;
  if (hint === undefined || !(error instanceof ColibriError)) return error;
  return new ColibriError(error.code, `${error.message}; ${hint}`, error.details, { cause: error });
}

/**
 * Becomes an agent the daemon knows, in this order: the agent token kept in the token store
 * (same agent id, its tags brought up to date); else an agent credential; else registration with
 * the join or operator credential, whose new agent token is stored before anything else happens.
 * An unreachable daemon is waited out with backoff. Returns undefined when stopped first. Throws
 * when nothing works, with the reason and the fix.
 */
export async function establishSession(input: EstablishSessionInput): Promise<AgentSession | undefined> {
  const { options, emit } = input;
  const backoff = createBackoff(options.backoff);
  if (input.skipStored !== true) {
    const stored = await options.tokenStore.load();
    if (stored !== undefined) {
      const resumed = await resume(input, backoff, stored.token, stored.agentId, 'stored');
      if (resumed === STOPPED) return undefined;
      if (resumed !== 'rejected') return resumed;
    }
  }
  const credential = options.credential;
  if (credential === undefined) {
    throw new ColibriError(
      'COLIBRI_UNAUTHENTICATED',
      `no usable agent token in ${options.tokenStore.describe} and no join or operator token to register with: ` +
        'provision a one-time join token in the .env (COLIBRI_JOIN_TOKEN), or run with the operator token',
    );
  }
  if (credential.kind === 'agent') {
    const resumed = await resume(input, backoff, credential.token, credential.agentId, 'agent');
    if (resumed === STOPPED) return undefined;
    if (resumed === 'rejected') {
      throw new ColibriError(
        'COLIBRI_UNAUTHENTICATED',
        `the daemon does not accept the agent token given for agent ${credential.agentId}: register with a join or operator token instead`,
        { agentId: credential.agentId },
      );
    }
    await options.tokenStore.save({ agentId: resumed.agentId, token: resumed.token });
    return resumed;
  }
  const client = input.clientFor(credential.token);
  let answer: Awaited<ReturnType<ColibriClient['registerAgent']>> | typeof STOPPED;
  try {
    answer = await untilAnswered(
      () =>
        client.registerAgent({
          name: options.name,
          capabilities: options.capabilities,
          ...(input.skills.skills.length > 0 ? { skills: input.skills.skills } : {}),
          ...(input.skills.declinedSkills.length > 0 ? { declinedSkills: input.skills.declinedSkills } : {}),
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(options.tenant !== null ? { tenant: options.tenant } : {}),
          slots: options.slots,
        }),
      input,
      backoff,
    );
  } catch (error) {
    throw explainRefusal(error, input, credential.kind);
  }
  if (answer === STOPPED) return undefined;
  // Keep the token first: a join token is spent now, the stored token is the only way back in.
  await options.tokenStore.save({ agentId: answer.agent.id, token: answer.token });
  emit({
    type: 'registered',
    agentId: answer.agent.id,
    name: answer.agent.name,
    tenant: answer.agent.tenant,
    capabilities: answer.agent.capabilities,
    via: credential.kind,
  });
  return {
    agentId: answer.agent.id,
    token: answer.token,
    tenant: answer.agent.tenant,
    client: input.clientFor(answer.token),
  };
}
