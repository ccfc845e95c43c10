import type { ApiAgent, ApiTenant } from '@colibri/api';
import type { ColibriClient } from '@colibri/client';
import type { HiveAgent, HivePort, HiveTenant } from '@colibri/join';

/** The join chain's view of a tenant row. */
export function toHiveTenant(tenant: ApiTenant): HiveTenant {
  return {
    tenant: tenant.tenant,
    jail: tenant.jail,
    collection: tenant.collection,
    collectionId: tenant.collectionId,
    status: tenant.status,
  };
}

/** The join chain's view of an agent; it is heard from whenever its heartbeat (or registration) lands. */
export function toHiveAgent(agent: ApiAgent): HiveAgent {
  return {
    id: agent.id,
    name: agent.name,
    tenant: agent.tenant,
    status: agent.status,
    lastSeenAt: agent.lastHeartbeatAt ?? agent.registeredAt,
  };
}

/**
 * The join chain's {@link HivePort} over colibrid's HTTP API, with the operator token the CLI
 * holds. Errors keep the daemon's codes (the client throws `ColibriError`s). `setTenantStatus`
 * to the status the tenant already has is a no-op, as the port promises (the daemon would call
 * it an illegal transition).
 */
export function createClientHivePort(client: ColibriClient): HivePort {
  return {
    async getTenant(tenant) {
      return toHiveTenant((await client.getTenant(tenant)).tenant);
    },
    async findAgent(name) {
      // Retired agents are not listed: their names are free again.
      const { agents } = await client.listAgents();
      const agent = agents.find((candidate) => candidate.name === name);
      return agent === undefined ? undefined : toHiveAgent(agent);
    },
    async createJoinToken(tenant, ttlSeconds) {
      const { token, expiresAt } = await client.createJoinToken({ tenant, ttlSeconds });
      return { token, expiresAt };
    },
    async revokeJoinToken(token) {
      await client.revokeJoinToken(token);
    },
    async retireAgent(agentId, reason) {
      await client.retireAgent(agentId, { reason });
    },
    async setTenantStatus(tenant, status, reason) {
      const current = (await client.getTenant(tenant)).tenant.status;
      if (current === status) return;
      await client.setTenantStatus(tenant, { status, reason });
    },
  };
}
