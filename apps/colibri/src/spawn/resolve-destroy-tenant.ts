import type { ColibriClient } from '@colibri/client';
import { ColibriError } from '@colibri/errors';

/**
 * Whose jail holds the agent: the registered agent's tenant; else, for an agent already retired
 * (a second destroy-agent), the tenant of its latest retired registration; else the agent name
 * (the 1:1:1 default). A shared-lane agent has no jail: refused.
 */
export async function resolveDestroyTenant(client: ColibriClient, agentName: string): Promise<string> {
  const { agents } = await client.listAgents({ includeRetired: true });
  const named = agents.filter((agent) => agent.name === agentName);
  const live = named.find((agent) => agent.retiredAt === null || agent.retiredAt === undefined);
  const latest =
    live ?? named.sort((a, b) => String(b.retiredAt ?? '').localeCompare(String(a.retiredAt ?? '')))[0];
  if (latest !== undefined && latest.tenant === null) {
    throw new ColibriError(
      'COLIBRI_INVALID_INPUT',
      `agent ${agentName} is a shared-lane agent (no tenant), not a jailed one: destroy-agent tears down jailed agents only`,
      { agentName },
    );
  }
  return latest?.tenant ?? agentName;
}
