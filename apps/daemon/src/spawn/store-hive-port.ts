import type { HivePort } from '@colibri/join';
import { retireAgent } from '../agents/retire-agent.js';
import type { App } from '../api/app.js';
import { hashToken, newToken } from '../auth/hash-token.js';
import type { SpawnLineage } from './spawn-service.js';

/**
 * The join chain's view of the hive, over this daemon's own store (the CLI implements the same
 * port over the HTTP client). Join tokens carry `lineage`, so the agent that registers with one
 * becomes the mother's child at her depth + 1; retiring goes through the same path as
 * `POST /v1/agents/:id/retire` (token refused at once, tasks handed back and dispatched).
 */
export function createStoreHivePort(app: App, lineage: SpawnLineage): HivePort {
  const { store } = app;
  return {
    async getTenant(tenant) {
      const record = await store.getTenant(tenant);
      return {
        tenant: record.tenantId,
        jail: record.jail,
        collection: record.collection,
        collectionId: record.collectionId,
        status: record.status,
      };
    },

    async findAgent(name) {
      const found = await store.findAgentByName(name);
      if (found === undefined) return undefined;
      // Heard from as this daemon knows it: an idle agent's heartbeats are kept in memory first.
      const agent = app.lastSeen.view(found);
      return {
        id: agent.id,
        name: agent.name,
        tenant: agent.tenant,
        status: agent.status,
        lastSeenAt: (agent.lastHeartbeatAt ?? agent.registeredAt).toISOString(),
      };
    },

    async createJoinToken(tenant, ttlSeconds) {
      const token = newToken();
      const now = app.clock();
      const record = await store.createJoinToken({
        tokenHash: hashToken(token),
        tenant,
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
        ...(lineage.spawnedBy === null
          ? {}
          : { spawnedBy: lineage.spawnedBy, spawnDepth: lineage.spawnDepth }),
        at: now,
      });
      app.logger.info(
        {
          tenant,
          expiresAt: record.expiresAt.toISOString(),
          spawnedBy: record.spawnedBy,
          spawnDepth: record.spawnDepth,
        },
        'join token issued for a spawn',
      );
      return { token, expiresAt: record.expiresAt.toISOString() };
    },

    async revokeJoinToken(token) {
      const revoked = await store.revokeJoinToken(hashToken(token));
      app.logger.info(
        { revoked },
        revoked ? 'join token revoked' : 'join token revocation: nothing to revoke',
      );
    },

    async retireAgent(agentId, reason) {
      await retireAgent(app, agentId, reason, 'the spawner');
    },

    async setTenantStatus(tenant, status, reason) {
      const current = await store.getTenant(tenant);
      if (current.status === status) return;
      const changed = await store.setTenantStatus(tenant, status, reason, { at: app.clock() });
      app.logger.info(
        { tenant, from: current.status, status: changed.status, reason },
        'tenant status changed',
      );
    },
  };
}
